/// A tensor's memory as the CPU kernels walk it: the address of its first element and its
/// strides lifted to `[N, C, D, H, W]`, so that a tensor travels as one argument instead of a
/// pointer and five strides.
///
/// The kernels write only the outputs they own; which of their handles those are is each
/// kernel's contract, so the pointer is mutable throughout. In debug builds the handle also
/// keeps the offsets that lie inside the tensor's memory and `assert`s every move and access
/// against them; release builds keep neither the bounds nor the checks.
@usableFromInline
struct StridedPointer<Element>: @unchecked Sendable {
    /// The element every offset counts from.
    @usableFromInline let base: UnsafeMutablePointer<Element>
    /// The tensor's strides, in elements, lifted to `[N, C, D, H, W]`.
    @usableFromInline let strides: LiftedStrides
    #if DEBUG
    /// The offsets from `base` inside the memory (debug builds only).
    @usableFromInline let bounds: Range<Int>
    #endif

    /// `base` with `strides`; `bounds` are the offsets from `base` inside its memory.
    @inlinable @inline(__always)
    init(_ base: UnsafeMutablePointer<Element>, _ strides: LiftedStrides, bounds: @autoclosure () -> Range<Int>) {
        self.base = base
        self.strides = strides
        #if DEBUG
        self.bounds = bounds()
        #endif
    }

    /// `base` read-only, with `strides`: the kernels never write through an input's handle.
    @inlinable @inline(__always)
    init(reading base: UnsafePointer<Element>, _ strides: LiftedStrides, bounds: @autoclosure () -> Range<Int>) {
        self.init(UnsafeMutablePointer(mutating: base), strides, bounds: bounds())
    }


    /// The handle moved `offset` elements on, with the same strides; `offset` must address an
    /// element of the memory, unless the memory is empty (an input with an empty axis can still
    /// have outputs, all read from padding: its handle moves but is never read).
    @inlinable @inline(__always)
    func advanced(by offset: Int) -> StridedPointer {
        #if DEBUG
        assert(bounds.isEmpty || bounds.contains(offset), "offset \(offset) outside \(bounds)")
        return StridedPointer(base + offset, strides, bounds: (bounds.lowerBound - offset)..<(bounds.upperBound - offset))
        #else
        return StridedPointer(base + offset, strides, bounds: 0..<0)
        #endif
    }

    /// Plane `(n, c)`, spatial position `(d, h, w)` in lifted coordinates: the handle there.
    @inlinable @inline(__always)
    func plane(_ n: Int, _ c: Int, _ d: Int = 0, _ h: Int = 0) -> StridedPointer {
        advanced(by: n &* strides.n &+ c &* strides.c &+ d &* strides.d &+ h &* strides.h)
    }

    /// The element `offset` elements on.
    @inlinable @inline(__always)
    subscript(offset: Int) -> Element {
        get {
            #if DEBUG
            assert(bounds.contains(offset), "offset \(offset) outside \(bounds)")
            #endif
            return base[offset]
        }
        nonmutating set {
            #if DEBUG
            assert(bounds.contains(offset), "offset \(offset) outside \(bounds)")
            #endif
            base[offset] = newValue
        }
    }

    /// The address, for the loops that read through it.
    @inlinable @inline(__always)
    var reading: UnsafePointer<Element> { UnsafePointer(base) }
}

extension StridedPointer where Element: TensorElement {
    /// The tensor's first element and strides (its storage must outlive the handle).
    @inlinable
    init(_ tensor: Tensor<Element>) {
        self.init(tensor.storage.base + tensor.offset, LiftedStrides(tensor), bounds: Self.extent(of: tensor))
    }

    /// The offsets from a tensor's first element that its elements occupy, as a half-open range.
    @usableFromInline
    static func extent(of tensor: Tensor<Element>) -> Range<Int> {
        if tensor.shape.contains(0) { return 0..<0 }
        var lo = 0, hi = 0
        for (size, stride) in zip(tensor.shape, tensor.strides) {
            if stride < 0 { lo += (size - 1) * stride } else { hi += (size - 1) * stride }
        }
        return lo..<(hi + 1)
    }
}

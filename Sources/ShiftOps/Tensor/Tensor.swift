/// A strided n-dimensional array with value semantics.
///
/// A tensor is a view: a `shape`, `strides` (in elements, any sign but negative is not produced by
/// ShiftOps itself) and an `offset` into storage that several tensors may share. Views made by
/// ``permuted(_:)``, ``sliced(axis:range:step:)``, ``reshaped(_:)`` and friends share storage; writing through
/// ``subscript(_:)-(Int...)`` copies shared storage first, so no write is ever seen through
/// another tensor.
///
/// Every op in ShiftOps accepts any strides and gives the same numbers; outputs are dense and keep
/// the input's dimension order in memory (see ``denseStrides(shape:order:)``).
///
/// Because a tensor is a value, an op writing `into:` a view (a slice of a larger output, say)
/// fills the view's own copy of the storage, and the tensor it was cut from does not change. To
/// write into part of a larger tensor, use ``withMutableRegion(_:_:)`` or
/// ``withMutableView(_:_:)``, whose writes reach it. Memory another library owns is used without
/// a copy through ``withBorrowed(_:shape:strides:offset:_:)`` and
/// ``withBorrowed(mutating:shape:strides:offset:_:)``, and a dense tensor's elements are read and
/// written in place through ``withUnsafeBufferPointer(_:)`` and
/// ``withUnsafeMutableBufferPointer(_:)``.
public struct Tensor<Element: TensorElement>: Sendable {
    @usableFromInline var storage: TensorStorage<Element>
    /// The length of each axis.
    public internal(set) var shape: [Int]
    /// The distance in elements between neighbours along each axis.
    public internal(set) var strides: [Int]
    /// The storage position of the element at all-zero indices.
    public internal(set) var offset: Int

    @usableFromInline
    init(storage: TensorStorage<Element>, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A dense tensor of `shape` filled with `value`, laid out in row-major (C) order, or in the
    /// memory order `order` lists from outermost to innermost axis.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` for a negative length or an `order` that is
    ///   not a permutation of the axes; ``ShiftOpsError/Code/sizeOverflow`` when the element count
    ///   does not fit in `Int`.
    @inlinable
    public init(shape: [Int], repeating value: Element = .zero, order: [Int]? = nil) throws {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        let order = order ?? Array(shape.indices)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "order",
                                "expected a permutation of 0..<\(shape.count), got \(order)")
        }
        self.init(storage: try TensorStorage(count: count, repeating: value), shape: shape,
                  strides: Tensor.validDenseStrides(shape: shape, order: order), offset: 0)
    }

    /// A dense tensor whose elements the caller overwrites before anyone reads them: kernel
    /// outputs, which skip a pass of initialisation.
    @usableFromInline
    init(uninitializedShape shape: [Int], order: [Int]? = nil) throws {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        self.init(storage: try TensorStorage(uninitializedCount: count), shape: shape,
                  strides: Tensor.validDenseStrides(shape: shape, order: order ?? Array(shape.indices)), offset: 0)
    }

    /// A dense row-major tensor holding `elements`.
    ///
    /// - Throws: ``ShiftOpsError/Code/shapeMismatch`` when `elements.count` is not the product of
    ///   `shape`.
    public init(shape: [Int], elements: [Element]) throws {
        self = try elements.withUnsafeBufferPointer { try Tensor(shape: shape, copying: $0, argument: "elements") }
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements (the product of `shape`).
    public var count: Int { shape.reduce(1, &*) }

    /// Whether the tensor is dense in row-major order with no gaps.
    public var isContiguous: Bool { strides == Tensor.validDenseStrides(shape: shape, order: Array(shape.indices)) }

    /// The axes from outermost to innermost in memory: by decreasing stride magnitude, ties in
    /// axis order.
    ///
    /// A channels-last `[N, C, H, W]` tensor has dimension order `[0, 2, 3, 1]`.
    public var dimensionOrder: [Int] {
        // Magnitudes as UInt: `abs(Int.min)` would trap on a stride that wrapped.
        shape.indices.sorted { a, b in
            let (sa, sb) = (strides[a].magnitude, strides[b].magnitude)
            return sa != sb ? sa > sb : a < b
        }
    }

    /// The element at `indices` (one per axis).
    public subscript(_ indices: Int...) -> Element {
        get { self[indices] }
        set { self[indices] = newValue }
    }

    /// The element at `indices` (one per axis).
    ///
    /// - Precondition: one index per axis, each within its axis.
    public subscript(_ indices: [Int]) -> Element {
        get { storage.base[position(of: indices)] }
        set {
            let p = position(of: indices)
            makeUnique()
            storage.base[p] = newValue
        }
    }

    /// The elements in row-major order of the logical indices, whatever the layout.
    ///
    /// A row-major contiguous tensor is copied in one block; any other layout is gathered as
    /// ``dense(order:)`` copies, at about the same speed.
    public var elements: [Element] {
        let n = count
        guard n > 0 else { return [] }
        let source = storage.base + offset
        if isContiguous { return Array(UnsafeBufferPointer(start: source, count: n)) }
        return Array(unsafeUninitializedCapacity: n) { buffer, initialized in
            gatherRows(from: source, into: buffer.baseAddress!)
            initialized = n
        }
    }

    /// Copies the elements, in row-major logical order, from `source` (the element at all-zero
    /// indices) to the dense `target`, through ``StridedCopy``: a block copy per contiguous run,
    /// transposes in registers for a channels-last tensor of 4-byte elements (with AVX2).
    @usableFromInline
    func gatherRows(from source: UnsafePointer<Element>, into target: UnsafeMutablePointer<Element>) {
        StridedCopy.copy(source, strides: strides, into: target, strides: Tensor.validDenseStrides(shape: shape, order: Array(shape.indices)),
                         shape: shape)
    }

    func position(of indices: [Int]) -> Int {
        precondition(indices.count == rank, "expected \(rank) indices, got \(indices.count)")
        var p = offset
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range 0..<\(shape[axis]) on axis \(axis)")
            p += i * strides[axis]
        }
        return p
    }

    /// Calls `body` with the storage position of every element, in row-major logical order.
    @usableFromInline
    func forEachPosition(_ body: (Int) -> Void) {
        guard count > 0 else { return }
        var walk = StrideOdometer(shape: shape, strides: strides, position: offset)
        repeat {
            body(walk.position)
        } while walk.advance()
    }

    /// Gives this tensor storage of its own before a write.
    @usableFromInline
    mutating func makeUnique() {
        // Memory lent read-only is copied like shared storage: the lender promised not to see writes.
        guard !(storage.isWritable && isKnownUniquelyReferenced(&storage)) else { return }
        // The copy is the size of a buffer that exists already; running out of memory here is
        // the one allocation failure a write (which cannot throw) has to treat as fatal.
        do {
            storage = try TensorStorage(copying: storage)
        } catch {
            fatalError("ShiftOps: copying a shared tensor before a write: \(error)")
        }
    }

    /// Whether both tensors read the same memory (a write to one would be seen by the other if
    /// tensors were not values): the same storage, or borrowed memory that overlaps the other's.
    ///
    /// Two tensors over overlapping memory of the caller's (``withBorrowed(_:shape:strides:offset:_:)``)
    /// share storage in this sense, so an op refuses to write into one while reading the other.
    public func sharesStorage<Other>(with other: Tensor<Other>) -> Bool {
        storage.overlaps(other.storage)
    }

    /// Whether no two indices reach the same storage element: no zero stride on an axis longer
    /// than 1, and no axis whose steps land inside the span of a finer one. Tensors with no
    /// elements are disjoint.
    @usableFromInline
    var hasDisjointElements: Bool {
        guard !shape.contains(0) else { return true }
        // In UInt, with overflow reported: user strides may be anything, and a span that does not
        // fit is wider than any finer step can reach (so the next axis overlaps it).
        var spans = zip(shape, strides).filter { $0.0 > 1 }.map { (length: UInt($0.0), stride: $0.1.magnitude) }
        spans.sort { $0.stride < $1.stride }
        var reach: UInt = 1
        for span in spans {
            if span.stride < reach { return false }
            let (next, overflow) = span.stride.multipliedReportingOverflow(by: span.length)
            reach = overflow ? .max : next
        }
        return true
    }
}

extension Tensor {
    /// The strides of a dense tensor of `shape` whose axes lie in memory in `order`, outermost
    /// first. An axis of length 0 or 1 counts as length 1, so every stride is non-zero.
    ///
    /// Every partial product is checked: with a shape that ``elementCount(of:argument:)`` accepts
    /// (every tensor's shape is one) none can overflow.
    /// - Precondition: no length is negative, the product of the non-zero lengths fits in `Int`
    ///   (validate a shape from outside with ``elementCount(of:argument:)``, which throws), and
    ///   `order` is a permutation of the axes.
    public static func denseStrides(shape: [Int], order: [Int]) -> [Int] {
        precondition(order.count == shape.count && order.sorted() == Array(shape.indices),
                     "denseStrides: order \(order) is not a permutation of 0..<\(shape.count)")
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in order.reversed() {
            precondition(shape[axis] >= 0, "denseStrides: negative length in shape \(shape)")
            strides[axis] = step
            let (next, overflow) = step.multipliedReportingOverflow(by: Swift.max(shape[axis], 1))
            precondition(!overflow, "denseStrides: the lengths of shape \(shape) overflow Int")
            step = next
        }
        return strides
    }

    /// ``denseStrides(shape:order:)`` for a shape and order already validated (a tensor's own),
    /// whose partial products are known to fit.
    @usableFromInline
    static func validDenseStrides(shape: [Int], order: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in order.reversed() {
            strides[axis] = step
            step &*= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// The product of `shape`, or an error naming `argument` when an axis is negative or when the
    /// product of the non-zero lengths, or its size in bytes, overflows `Int`.
    ///
    /// A zero axis makes the count 0 but does not excuse the other axes: `[0, 2^40, 2^40]` is an
    /// error, as it would be without the zero, so that every stride and offset a kernel derives
    /// from a valid shape fits in `Int`.
    public static func elementCount(of shape: [Int], argument: String) throws -> Int {
        try ShapeArithmetic.elementCount(of: shape, elementSize: MemoryLayout<Element>.stride, argument: argument)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = count <= 16 ? "\(elements)" : "[\(count) elements]"
        return "Tensor<\(Element.self)>(shape: \(shape), strides: \(strides), \(shown))"
    }
}

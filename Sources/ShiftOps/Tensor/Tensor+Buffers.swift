// Direct access to a tensor's memory: building one from a buffer without a zero fill, and reading
// or writing a dense tensor's elements in place.

extension Tensor {
    /// A dense tensor of `shape` whose elements `body` writes, with no zero fill first.
    ///
    /// `body` gets the tensor's whole buffer, `count` elements laid out in memory in `order`
    /// (outermost axis first; row-major, the logical order of the indices, by default) and must
    /// write every one of them: the buffer starts with unspecified values. It works like
    /// `Array(unsafeUninitializedCapacity:initializingWith:)` for a capacity the shape fixes.
    ///
    /// ```swift
    /// let ramp = try Tensor<Float>(unsafeUninitializedShape: [2, 3]) { buffer in
    ///     for i in buffer.indices { buffer[i] = Float(i) }
    /// }
    /// ```
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` for a negative length or an `order` that is
    ///   not a permutation of the axes; ``ShiftOpsError/Code/sizeOverflow`` when the element count
    ///   does not fit in `Int`; ``ShiftOpsError/Code/outOfMemory``; and whatever `body` throws.
    @inlinable
    public init(unsafeUninitializedShape shape: [Int], order: [Int]? = nil,
                initializingWith body: (UnsafeMutableBufferPointer<Element>) throws -> Void) throws {
        let order = order ?? Array(shape.indices)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "order",
                                "expected a permutation of 0..<\(shape.count), got \(order)")
        }
        try self.init(uninitializedShape: shape, order: order)
        try body(UnsafeMutableBufferPointer(start: storage.memory, count: count))
    }

    /// A dense row-major tensor of `shape` holding a copy of `source`: one copy, no zero fill.
    ///
    /// - Parameters:
    ///   - shape: The tensor's shape; `source.count` must be its element count.
    ///   - source: The elements in row-major order.
    /// - Throws: ``ShiftOpsError/Code/shapeMismatch`` naming `source` when its count is not the
    ///   product of `shape`, and the shape errors of ``init(shape:repeating:order:)``.
    public init(shape: [Int], copying source: UnsafeBufferPointer<Element>) throws {
        try self.init(shape: shape, copying: source, argument: "source")
    }

    @usableFromInline
    init(shape: [Int], copying source: UnsafeBufferPointer<Element>, argument: String) throws {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        guard source.count == count else {
            throw ShiftOpsError(.shapeMismatch, argument: argument,
                                "expected \(count) elements for shape \(shape), got \(source.count)")
        }
        try self.init(uninitializedShape: shape)
        if count > 0 { storage.memory.initialize(from: source.baseAddress!, count: count) }
    }

    /// Whether the elements fill a block of memory with no gaps and no overlaps, in any dimension
    /// order: row-major, channels-last and any permutation of a dense tensor are dense; a slice
    /// with a gap, a step or a broadcast (zero) stride is not.
    ///
    /// A dense tensor's elements lie at `offset ..< offset + count` of its storage, which
    /// ``withUnsafeBufferPointer(_:)`` exposes.
    public var isDense: Bool {
        guard count > 0 else { return true }
        // Axes of length 1 have no neighbours, so their strides do not matter.
        var spans = zip(shape, strides).filter { $0.0 > 1 }
        spans.sort { $0.1 < $1.1 }
        var expected = 1
        for (length, stride) in spans {
            guard stride == expected else { return false }
            let (next, overflow) = stride.multipliedReportingOverflow(by: length)
            guard !overflow else { return false }
            expected = next
        }
        return true
    }

    /// Calls `body` with the elements of a dense tensor, in place.
    ///
    /// The buffer holds `count` elements in memory order: the element at indices `i` lies at
    /// `sum(i[axis] * strides[axis])`. For a row-major tensor (``isContiguous``) that is the
    /// logical order of ``elements``; a channels-last tensor gives its channels-last memory. The
    /// buffer is valid only inside `body`.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `self` when the tensor is not
    ///   ``isDense`` (call ``dense(order:)`` or ``contiguous()`` first, which copy), and whatever
    ///   `body` throws.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        guard isDense else { throw notDenseError() }
        return try body(UnsafeBufferPointer(start: storage.base + offset, count: count))
    }

    /// Calls `body` with the elements of a dense tensor, in place, for reading and writing.
    ///
    /// The tensor first gets storage of its own (copy on write), so other tensors that shared it
    /// and memory lent read-only never see the writes; the memory order is as for
    /// ``withUnsafeBufferPointer(_:)``. A tensor over memory lent for writing
    /// (``withBorrowed(mutating:shape:strides:offset:_:)``) is written in place, in the lender's
    /// memory. The buffer is valid only inside `body`.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `self` when the tensor is not
    ///   ``isDense``, before anything is copied; and whatever `body` throws.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws -> R
    ) throws -> R {
        guard isDense else { throw notDenseError() }
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: count))
    }

    @usableFromInline
    func notDenseError() -> ShiftOpsError {
        ShiftOpsError(.invalidArgument, argument: "self",
                      "expected a dense tensor (no gaps, steps or zero strides), got shape \(shape) with strides \(strides); "
                      + "call dense(order:) or contiguous() for a dense copy")
    }

    /// Calls `body` with the elements laid out densely in `order` (outermost axis first), without
    /// a copy when the tensor already is laid out so. For backends that copy whole tensors.
    package func withDenseElements<R>(order: [Int], _ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        let dense = strides == Tensor.validDenseStrides(shape: shape, order: order) ? self : try self.dense(order: order)
        return try body(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: count))
    }

    /// A dense tensor laid out in `order` whose elements `fill` writes, in that memory order.
    package init(shape: [Int], order: [Int], fill: (UnsafeMutableBufferPointer<Element>) throws -> Void) throws {
        try self.init(unsafeUninitializedShape: shape, order: order, initializingWith: fill)
    }
}

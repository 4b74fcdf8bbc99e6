extension Tensor {
    /// Calls `body` with the elements laid out densely in `order` (outermost axis first), without
    /// a copy when the tensor already is laid out so. For backends that copy whole tensors.
    package func withDenseElements<R>(order: [Int], _ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        let dense = strides == Tensor.denseStrides(shape: shape, order: order) ? self : try self.dense(order: order)
        return try body(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: count))
    }

    /// A dense tensor laid out in `order` whose elements `fill` writes, in that memory order.
    package init(shape: [Int], order: [Int], fill: (UnsafeMutableBufferPointer<Element>) throws -> Void) throws {
        try self.init(uninitializedShape: shape, order: order)
        try fill(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }
}

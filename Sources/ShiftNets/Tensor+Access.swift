import ShiftOps

// Dense row-major access, so kernels here read and write whole buffers instead of walking elements
// one by one.
extension Tensor {
    /// Calls `body` with the elements in row-major order; a non-dense tensor is copied first.
    func withDenseBuffer<R>(_ body: (UnsafeBufferPointer<Element>) -> R) -> R {
        // Only the dense copy of an existing tensor can throw, and it cannot fail.
        try! withDenseElements(order: Array(shape.indices), body)
    }

    /// A dense row-major tensor of `shape` whose every element `body` writes.
    init(shape: [Int], writingWith body: (UnsafeMutableBufferPointer<Element>) throws -> Void) throws {
        try self.init(unsafeUninitializedShape: shape, initializingWith: body)
    }
}

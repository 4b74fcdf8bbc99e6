/// The reference-counted buffer that tensors and their views share.
///
/// Elements are trivial numbers, so buffers are raw memory from ``TensorMemory`` with no
/// per-element lifetime. Mutation goes through ``Tensor`` only, which copies a shared buffer
/// before writing (copy on write).
@usableFromInline
final class TensorStorage<Element: TensorElement>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    @usableFromInline let count: Int

    /// Storage whose elements the caller writes before anyone reads them (kernel outputs).
    @inlinable
    init(uninitializedCount count: Int) {
        self.count = count
        base = TensorMemory.allocate(byteCount: count * MemoryLayout<Element>.stride,
                                     alignment: MemoryLayout<Element>.alignment)
            .bindMemory(to: Element.self, capacity: Swift.max(count, 1))
    }

    @inlinable
    convenience init(count: Int, repeating value: Element) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    @inlinable
    convenience init(copying source: TensorStorage) {
        self.init(uninitializedCount: source.count)
        base.initialize(from: source.base, count: count)
    }

    deinit {
        TensorMemory.deallocate(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<Element>.stride)
    }
}

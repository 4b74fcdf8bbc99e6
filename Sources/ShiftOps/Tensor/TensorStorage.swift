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
    ///
    /// - Throws: ``ShiftOpsError/Code/sizeOverflow`` when the byte count does not fit in `Int`,
    ///   ``ShiftOpsError/Code/outOfMemory`` when the system has no such block to give.
    @inlinable
    init(uninitializedCount count: Int) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: "shape",
                                "\(count) elements of \(Element.self) take more bytes than Int can count")
        }
        guard let memory = TensorMemory.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment) else {
            throw ShiftOpsError(.outOfMemory, argument: "shape",
                                "cannot allocate \(bytes) bytes for \(count) elements of \(Element.self)")
        }
        self.count = count
        base = memory.bindMemory(to: Element.self, capacity: Swift.max(count, 1))
    }

    @inlinable
    convenience init(count: Int, repeating value: Element) throws {
        try self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    @inlinable
    convenience init(copying source: TensorStorage) throws {
        try self.init(uninitializedCount: source.count)
        base.initialize(from: source.base, count: count)
    }

    deinit {
        TensorMemory.deallocate(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<Element>.stride)
    }
}

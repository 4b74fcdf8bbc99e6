/// The reference-counted buffer that tensors and their views share.
///
/// Elements are trivial numbers, so the buffer is allocated and freed without per-element
/// initialisation beyond the fill. Mutation goes through ``Tensor`` only, which copies a shared
/// buffer before writing (copy on write).
@usableFromInline
final class TensorStorage<Element: TensorElement>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    @usableFromInline let count: Int

    @usableFromInline
    init(count: Int, repeating value: Element) {
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: value, count: count)
    }

    @usableFromInline
    init(copying source: TensorStorage) {
        count = source.count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(from: source.base, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}

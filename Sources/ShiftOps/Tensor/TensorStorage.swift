/// The reference-counted buffer that tensors and their views share.
///
/// Elements are trivial numbers, so buffers are raw memory with no per-element lifetime. Mutation
/// goes through ``Tensor`` only, which copies a shared buffer before writing (copy on write).
///
/// Storage either owns its memory (from ``TensorMemory``, released in `deinit`) or borrows memory
/// someone else owns for the length of a scope (`Tensor.withBorrowed`, `Tensor.withMutableView`).
/// Borrowed storage is never freed here; when its scope ends while a tensor still holds it (the
/// tensor escaped), the lender revokes it and every later access traps.
@usableFromInline
final class TensorStorage<Element: TensorElement>: @unchecked Sendable {
    /// The first element. Read it through ``base``, which refuses revoked borrowed memory.
    @usableFromInline let memory: UnsafeMutablePointer<Element>
    @usableFromInline let count: Int
    /// Whether `deinit` gives the memory back (false for borrowed memory).
    @usableFromInline let ownsMemory: Bool
    /// Whether a tensor holding this storage alone may write to it in place. Memory lent read-only
    /// is not: a write copies it first, as a shared buffer would be.
    @usableFromInline let isWritable: Bool
    /// Set once, by the lender, when borrowed memory outlives its scope in an escaped tensor.
    ///
    /// A plain flag: it is written only when a tensor escaped its scope, and a program that uses
    /// such a tensor on another thread while the scope ends has already lost the memory.
    @usableFromInline var isRevoked = false

    /// The first element, for reading and (through ``Tensor``'s copy-on-write) writing.
    ///
    /// - Precondition: the storage was not revoked: a tensor over borrowed memory is used only
    ///   inside the scope that lent the memory.
    @inlinable
    var base: UnsafeMutablePointer<Element> {
        precondition(!isRevoked,
                     "ShiftOps: a tensor over borrowed memory was used after the scope that lent it ended")
        return memory
    }

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
        self.memory = memory.bindMemory(to: Element.self, capacity: Swift.max(count, 1))
        ownsMemory = true
        isWritable = true
    }

    /// Storage over `count` elements at `memory` that someone else owns and frees.
    @usableFromInline
    init(borrowing memory: UnsafeMutablePointer<Element>, count: Int, writable: Bool) {
        self.memory = memory
        self.count = count
        ownsMemory = false
        isWritable = writable
    }

    @inlinable
    convenience init(count: Int, repeating value: Element) throws {
        try self.init(uninitializedCount: count)
        memory.initialize(repeating: value, count: count)
    }

    @inlinable
    convenience init(copying source: TensorStorage) throws {
        let from = source.base
        try self.init(uninitializedCount: source.count)
        memory.initialize(from: from, count: count)
    }

    /// Makes every later access trap: the lender's scope ended while a tensor still holds this.
    @usableFromInline
    func revoke() {
        isRevoked = true
    }

    /// Whether the elements of both storages overlap in memory. Owned buffers never overlap one
    /// another; borrowed ones may overlap each other or an owned buffer they were lent from.
    @usableFromInline
    func overlaps<Other>(_ other: TensorStorage<Other>) -> Bool {
        if ObjectIdentifier(self) == ObjectIdentifier(other) { return true }
        guard count > 0, other.count > 0 else { return false }
        let a = UInt(bitPattern: UnsafeRawPointer(memory))
        let b = UInt(bitPattern: UnsafeRawPointer(other.memory))
        let aEnd = a + UInt(count) * UInt(MemoryLayout<Element>.stride)
        let bEnd = b + UInt(other.count) * UInt(MemoryLayout<Other>.stride)
        return a < bEnd && b < aEnd
    }

    deinit {
        if ownsMemory {
            TensorMemory.deallocate(UnsafeMutableRawPointer(memory), byteCount: count * MemoryLayout<Element>.stride)
        }
    }
}

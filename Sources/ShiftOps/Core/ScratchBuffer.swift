/// Working memory a call needs beside its outputs (the backward's partial sums), sized from the
/// input and so allocated through the throwing path: a size the system cannot give is a thrown
/// ``ShiftOpsError/Code/outOfMemory``, never an abort. Freed when the last reference goes.
@usableFromInline
final class ScratchBuffer<Element>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    @usableFromInline let byteCount: Int

    /// `planes * perPlane` uninitialised elements. `argument` and `purpose` name the input the
    /// size came from and what the memory is for, in the error.
    @usableFromInline
    init(planes: Int, perPlane: Int, argument: String, purpose: String) throws {
        let (count, countOverflow) = planes.multipliedReportingOverflow(by: perPlane)
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !countOverflow, !overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: argument,
                                "\(planes) x \(perPlane) elements of \(purpose) take more bytes than Int can count")
        }
        guard let memory = TensorMemory.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment) else {
            throw ShiftOpsError(.outOfMemory, argument: argument,
                                "cannot allocate \(bytes) bytes for \(count) elements of \(purpose)")
        }
        byteCount = bytes
        base = memory.bindMemory(to: Element.self, capacity: Swift.max(count, 1))
    }

    deinit {
        TensorMemory.deallocate(UnsafeMutableRawPointer(base), byteCount: byteCount)
    }
}

/// A read-only view of the `[C, k]` shift table at any strides.
@usableFromInline
struct ShiftTable<Weight: ShiftFloatingPoint>: @unchecked Sendable {
    @usableFromInline let base: UnsafePointer<Weight>
    @usableFromInline let channelStride: Int
    @usableFromInline let axisStride: Int

    @inlinable
    init(base: UnsafePointer<Weight>, channelStride: Int, axisStride: Int) {
        self.base = base
        self.channelStride = channelStride
        self.axisStride = axisStride
    }

    @inlinable
    subscript(c: Int, j: Int) -> Weight { base[c &* channelStride &+ j &* axisStride] }
}

extension ShiftTable {
    @inlinable
    init(_ shifts: Tensor<Weight>) {
        self.init(base: shifts.storage.base + shifts.offset,
                  channelStride: shifts.strides[0], axisStride: shifts.strides[1])
    }
}

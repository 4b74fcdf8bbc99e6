#if CUDA
import ShiftOps

/// The gradients of a GPU shift, both on the GPU: the device form of ShiftOps' `ShiftGradients`,
/// with the same field names. For `Float16` data the shift gradient is `Float` (`T.Compute`).
///
/// The fields are device tensors, which are references: a backward's `into:` form writes into
/// the tensors this value holds.
public struct CUDAShiftGradients<T: CUDAElement>: Sendable {
    /// `dL/dx`, the input's shape and dimension order.
    public var input: CUDATensor<T>
    /// `dL/ds`, shape `[C, k]`, row-major; nil for grouped shifts, which do not learn.
    public var shifts: CUDATensor<T.Compute>?

    /// Both gradients, as the backward ops return them, or as a backward's `into:` form takes them.
    public init(input: CUDATensor<T>, shifts: CUDATensor<T.Compute>?) {
        self.input = input
        self.shifts = shifts
    }
}

extension CUDAShiftGradients where T: CUDAFloatingPoint {
    /// Both gradients copied to the host, as the CPU's backward returns them.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
    public func host() throws -> ShiftGradients<T> {
        ShiftGradients(input: try input.host(), shifts: try shifts?.host())
    }
}

extension CUDAShiftGradients where T == Float16 {
    /// Both gradients copied to the host, the input gradient widened to `Float`.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
    public func host() throws -> ShiftGradients<Float> {
        ShiftGradients(input: try input.host(), shifts: try shifts?.host())
    }
}
#endif

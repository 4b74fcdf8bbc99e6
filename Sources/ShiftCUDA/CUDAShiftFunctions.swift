#if CUDA
import ShiftOps

// The public CUDA ops, one family per spatial rank, mirroring ShiftOps' CPU functions.

/// The 1-D shift on the GPU; see ShiftOps' CPU `shift1d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, L]` in any dimension order; `shifts` a host `[C, 1]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift1d<T: CUDAFloatingPoint>(
    _ input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts, spatialRank: 1, mode: mode, padding: padding, geometry: geometry)
}

/// The gradients of the 1-D GPU shift: `input` on the GPU (a deterministic gather) and the shift
/// gradient as a host `[C, 1]` table (a fixed-order reduction; nil for grouped shifts).
public func shift1dBackward<T: CUDAFloatingPoint>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> (input: CUDATensor<T>, shifts: Tensor<T>?) {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 1,
                             mode: mode, padding: padding, geometry: geometry)
}

/// The 2-D shift on the GPU; see ShiftOps' CPU `shift2d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, H, W]` in any dimension order; `shifts` a host `[C, 2]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift2d<T: CUDAFloatingPoint>(
    _ input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts, spatialRank: 2, mode: mode, padding: padding, geometry: geometry)
}

/// The gradients of the 2-D GPU shift: `input` on the GPU (a deterministic gather) and the shift
/// gradient as a host `[C, 2]` table (a fixed-order reduction; nil for grouped shifts).
public func shift2dBackward<T: CUDAFloatingPoint>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> (input: CUDATensor<T>, shifts: Tensor<T>?) {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 2,
                             mode: mode, padding: padding, geometry: geometry)
}

/// The 3-D shift on the GPU; see ShiftOps' CPU `shift3d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, D, H, W]` in any dimension order; `shifts` a host `[C, 3]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift3d<T: CUDAFloatingPoint>(
    _ input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts, spatialRank: 3, mode: mode, padding: padding, geometry: geometry)
}

/// The gradients of the 3-D GPU shift: `input` on the GPU (a deterministic gather) and the shift
/// gradient as a host `[C, 3]` table (a fixed-order reduction; nil for grouped shifts).
public func shift3dBackward<T: CUDAFloatingPoint>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> (input: CUDATensor<T>, shifts: Tensor<T>?) {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 3,
                             mode: mode, padding: padding, geometry: geometry)
}

#endif
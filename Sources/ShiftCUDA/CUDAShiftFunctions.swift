#if CUDA
import ShiftOps

// The public CUDA ops, one family per spatial rank, mirroring ShiftOps' CPU functions: the same
// names, labels and errors, with `CUDATensor` data (`Float`, `Double`, or `Float16` storage
// computing in `Float`, with `Float` shifts). Shifts may be a host `Tensor` or a device
// `CUDATensor`; gradients come back on the device.

/// The 1-D shift on the GPU; see ShiftOps' CPU `shift1d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, L]` in any dimension order; `shifts` a host `[C, 1]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 1, mode: mode, padding: padding, geometry: geometry)
}

/// The 2-D shift on the GPU; see ShiftOps' CPU `shift2d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, H, W]` in any dimension order; `shifts` a host `[C, 2]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 2, mode: mode, padding: padding, geometry: geometry)
}

/// The 3-D shift on the GPU; see ShiftOps' CPU `shift3d(_:shifts:mode:padding:geometry:)` for
/// the math. `input` is `[N, C, D, H, W]` in any dimension order; `shifts` a host `[C, 3]` table.
/// - Returns: the output on the GPU, in the input's dimension order.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 3, mode: mode, padding: padding, geometry: geometry)
}

/// The 2-D shift with shifts that live on the GPU (`[C, 2]`, row-major), as a training loop keeps
/// them: nothing is read back. A non-finite device shift makes its channel's output NaN, unless
/// `SHIFTOPS_CUDA_SYNC` is on, which checks the shifts and throws as for host shifts (SPEC §7).
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 2, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 2-D GPU shift of `input` into `output`, an existing device tensor of the output's
/// shape (any dimension order), so that a loop allocates nothing; see
/// ``shift2d(_:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/shapeMismatch`` for a wrong
///   output shape and ``ShiftOpsError/Code/aliasedOutput`` when `output` shares memory with an
///   input. On error `output` is untouched.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 2, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// ``shift2d(_:shifts:mode:padding:geometry:into:)`` with shifts that live on the GPU.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 2, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 1-D GPU shift, both on the GPU: `input` (a deterministic gather) and
/// `shifts` (`[C, 1]`, a fixed-order reduction; nil for grouped shifts).
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 1,
                             mode: mode, padding: padding, geometry: geometry)
}

/// The gradients of the 2-D GPU shift, both on the GPU: `input` (a deterministic gather) and
/// `shifts` (`[C, 2]`, a fixed-order reduction; nil for grouped shifts).
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 2,
                             mode: mode, padding: padding, geometry: geometry)
}

/// ``shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:)`` with shifts that live on
/// the GPU.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 2,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 2-D GPU shift into existing device tensors (`gradients.input` of
/// the input's shape, any dimension order; `gradients.shifts` a row-major `[C, 2]` tensor, nil for
/// grouped shifts), so that a training loop allocates nothing but the small stream-ordered
/// workspace; see ``shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOpsError/Code/aliasedOutput`` naming the gradient at fault. On error nothing is written.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 2,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// ``shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:into:)`` with shifts that live
/// on the GPU.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 2,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The gradients of the 3-D GPU shift, both on the GPU: `input` (a deterministic gather) and
/// `shifts` (`[C, 3]`, a fixed-order reduction; nil for grouped shifts).
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 3,
                             mode: mode, padding: padding, geometry: geometry)
}
#endif

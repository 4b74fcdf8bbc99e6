#if CUDA
import ShiftOps

// The rank-generic CUDA ops, as ShiftOps' CPU `shift`/`shiftBackward`: the spatial rank is the
// input's rank minus 2. With these, code written for `Tensor` reads the same for `CUDATensor`,
// for every rank, with host or device shifts and with or without a preallocated output.

/// The input's spatial rank, or the CPU op's error naming `input`.
func cudaSpatialRank<T>(of input: CUDATensor<T>) throws -> Int {
    let k = input.shape.count - 2
    guard (1...3).contains(k) else {
        throw ShiftOpsError(.invalidRank, argument: "input",
                            "expected rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W]), got rank \(input.shape.count) with shape \(input.shape)")
    }
    return k
}

/// Shifts each channel of a 1-D, 2-D or 3-D device batch by its own amount; see ShiftOps' CPU
/// `shift(_:shifts:mode:padding:geometry:)`. `shifts` is a host `[C, k]` table.
/// - Throws: the CPU op's errors, and ``ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: cudaSpatialRank(of: input), mode: mode,
                            padding: padding, geometry: geometry)
}

/// ``shift(_:shifts:mode:padding:geometry:)`` with shifts that live on the GPU (`[C, k]`,
/// row-major): nothing is read back unless `SHIFTOPS_CUDA_SYNC` is on (see ``CUDABackend``).
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: cudaSpatialRank(of: input), mode: mode,
                            padding: padding, geometry: geometry)
}

/// Writes the shift of `input` (any spatial rank) into `output`, an existing device tensor of the
/// output's shape.
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOpsError/Code/aliasedOutput`` naming `output`. On error `output` is untouched.
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: cudaSpatialRank(of: input), mode: mode,
                                padding: padding, geometry: geometry, into: output)
}

/// ``shift(_:shifts:mode:padding:geometry:into:)`` with shifts that live on the GPU.
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: cudaSpatialRank(of: input), mode: mode,
                                padding: padding, geometry: geometry, into: output)
}

/// The gradients of the GPU shift of any spatial rank, both on the GPU; see ShiftOps' CPU
/// `shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)`.
public func shiftBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts),
                             spatialRank: cudaSpatialRank(of: input), mode: mode, padding: padding, geometry: geometry)
}

/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)`` with shifts that live on
/// the GPU.
public func shiftBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts),
                             spatialRank: cudaSpatialRank(of: input), mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the GPU shift of any spatial rank into existing device tensors; see
/// ``shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
public func shiftBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts),
                                 spatialRank: cudaSpatialRank(of: input), mode: mode, padding: padding,
                                 geometry: geometry, into: gradients)
}
#endif

#if CUDA
import ShiftOps

// The public CUDA shift ops of one spatial rank, with ShiftOps' CPU names, labels, defaults and
// errors. Each is the rank-generic op of CUDAShiftAnyRank.swift with the rank fixed, so the
// prose they share is written there once; the docs here give only each rank's shapes.

/// The 1-D shift on the GPU: ``shift(_:shifts:mode:padding:geometry:)`` for an `input` of
/// shape `[N, C, L]` and `shifts` of shape `[C, 1]`, giving `[N, C, L']`.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:)``.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 1, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 1-D GPU shift of `input` into `output`, an existing `[N, C, L']` device tensor;
/// see ``shift(_:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:into:)``.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 1, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 1-D GPU shift, for a `gradOutput` of shape `[N, C, L']`: `input` of
/// the input's shape and `shifts` `[C, 1]`; see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 1,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 1-D GPU shift into existing device tensors (`gradients.shifts`
/// a row-major `[C, 1]` tensor); see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 1,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The 2-D shift on the GPU: ``shift(_:shifts:mode:padding:geometry:)`` for an `input` of
/// shape `[N, C, H, W]` and `shifts` of shape `[C, 2]`, giving `[N, C, H', W']`.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:)``.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 2, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 2-D GPU shift of `input` into `output`, an existing `[N, C, H', W']` device tensor;
/// see ``shift(_:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:into:)``.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 2, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 2-D GPU shift, for a `gradOutput` of shape `[N, C, H', W']`: `input` of
/// the input's shape and `shifts` `[C, 2]`; see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 2,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 2-D GPU shift into existing device tensors (`gradients.shifts`
/// a row-major `[C, 2]` tensor); see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 2,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The 3-D shift on the GPU: ``shift(_:shifts:mode:padding:geometry:)`` for an `input` of
/// shape `[N, C, D, H, W]` and `shifts` of shape `[C, 3]`, giving `[N, C, D', H', W']`.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:)``.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 3, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 3-D GPU shift of `input` into `output`, an existing `[N, C, D', H', W']` device tensor;
/// see ``shift(_:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shift(_:shifts:mode:padding:geometry:into:)``.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 3, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 3-D GPU shift, for a `gradOutput` of shape `[N, C, D', H', W']`: `input` of
/// the input's shape and `shifts` `[C, 3]`; see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 3,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 3-D GPU shift into existing device tensors (`gradients.shifts`
/// a row-major `[C, 3]` tensor); see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
/// - Throws: as ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:into:)``.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 3,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}
#endif

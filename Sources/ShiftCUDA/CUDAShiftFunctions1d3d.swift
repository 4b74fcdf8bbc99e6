#if CUDA
import ShiftOps

// The 1-D and 3-D forms that CUDAShiftFunctions.swift gives for 2-D only: shifts that live on
// the GPU, and `into:` forms that write existing device tensors. Same names, labels and errors as
// the 2-D ones (and as the CPU), so code reads the same for every rank and device.

/// The 1-D shift with shifts that live on the GPU (`[C, 1]`, row-major); see
/// the 2-D form with device shifts.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 1, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 1-D GPU shift of `input` ([N, C, L]) into `output`, an existing device tensor of
/// the output's shape; on error `output` is untouched.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 1, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The `into:` form of the 1-D GPU shift with shifts that live on the GPU.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 1, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 1-D GPU shift with shifts that live on the GPU, both on the GPU.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 1,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 1-D GPU shift into existing device tensors (`gradients.input` of
/// the input's shape, `gradients.shifts` a row-major `[C, 1]` tensor, nil for grouped shifts).
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 1,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The `into:` form of the 1-D GPU backward with shifts that live on the GPU.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 1,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The 3-D shift with shifts that live on the GPU (`[C, 3]`, row-major); see
/// the 2-D form with device shifts.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 3, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 3-D GPU shift of `input` ([N, C, D, H, W]) into `output`, an existing device tensor of
/// the output's shape; on error `output` is untouched.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .host(shifts), spatialRank: 3, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The `into:` form of the 3-D GPU shift with shifts that live on the GPU.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: .device(shifts), spatialRank: 3, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 3-D GPU shift with shifts that live on the GPU, both on the GPU.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 3,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 3-D GPU shift into existing device tensors (`gradients.input` of
/// the input's shape, `gradients.shifts` a row-major `[C, 3]` tensor, nil for grouped shifts).
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .host(shifts), spatialRank: 3,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The `into:` form of the 3-D GPU backward with shifts that live on the GPU.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDATensor<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into gradients: inout CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: .device(shifts), spatialRank: 3,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}
#endif

#if CUDA
import ShiftOps

// The public CUDA shift ops of one spatial rank, with ShiftOps' CPU names, labels, defaults and
// errors, on `CUDATensor` data (`Float`, `Double`, or `Float16` storage computing in `Float`).
// Shifts on the host or on the device go through one parameter (``CUDAShiftSource``); gradients
// come back on the device. Four doors per rank: forward, forward `into:`, backward, backward
// `into:` (the `into:` forms let a training loop run without allocating its outputs).

/// The 1-D shift on the GPU; see ShiftOps' CPU `shift1d(_:shifts:mode:padding:geometry:)` for
/// the math.
/// - Parameters:
///   - input: `[N, C, L]` in any dimension order.
///   - shifts: `[C, 1]`, a host `Tensor` or a device `CUDATensor` (see ``CUDAShiftSource``).
///   - mode, padding, geometry: as on the CPU.
/// - Returns: `[N, C, L']` on the GPU, in the input's dimension order; enqueued, not waited for.
/// - Throws: the CPU op's errors (``ShiftOps/ShiftOpsError`` naming the argument), and
///   ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 1, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 1-D GPU shift of `input` into `output`, an existing device tensor of the
/// output's shape `[N, C, L']` in any dimension order; see
/// ``shift1d(_:shifts:mode:padding:geometry:)``. `output` is a reference: every reference to it
/// sees the write.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` for a wrong
///   output shape and ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` when `output` shares memory with
///   `input` or `shifts`. On error `output` is untouched.
public func shift1d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 1, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 1-D GPU shift, both on the GPU; see ShiftOps' CPU
/// `shift1dBackward(gradOutput:input:shifts:mode:padding:geometry:)` for the math.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, L']`, any dimension order.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Returns: `input` (`dL/dx`, a deterministic gather, in the input's dimension order) and
///   `shifts` (`[C, 1]` row-major, a fixed-order reduction; nil for grouped shifts).
/// - Throws: the forward's errors, and ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 1,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 1-D GPU shift into existing device tensors: `gradients.input`
/// of the input's shape (any dimension order) and `gradients.shifts` a row-major `[C, 1]` tensor
/// (nil for grouped shifts), so that a training loop allocates nothing but a small stream-ordered
/// workspace; see ``shift1dBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` naming the gradient at fault. On error nothing is written.
public func shift1dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 1,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The 2-D shift on the GPU; see ShiftOps' CPU `shift2d(_:shifts:mode:padding:geometry:)` for
/// the math.
/// - Parameters:
///   - input: `[N, C, H, W]` in any dimension order.
///   - shifts: `[C, 2]`, a host `Tensor` or a device `CUDATensor` (see ``CUDAShiftSource``).
///   - mode, padding, geometry: as on the CPU.
/// - Returns: `[N, C, H', W']` on the GPU, in the input's dimension order; enqueued, not waited for.
/// - Throws: the CPU op's errors (``ShiftOps/ShiftOpsError`` naming the argument), and
///   ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 2, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 2-D GPU shift of `input` into `output`, an existing device tensor of the
/// output's shape `[N, C, H', W']` in any dimension order; see
/// ``shift2d(_:shifts:mode:padding:geometry:)``. `output` is a reference: every reference to it
/// sees the write.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` for a wrong
///   output shape and ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` when `output` shares memory with
///   `input` or `shifts`. On error `output` is untouched.
public func shift2d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 2, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 2-D GPU shift, both on the GPU; see ShiftOps' CPU
/// `shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:)` for the math.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, H', W']`, any dimension order.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Returns: `input` (`dL/dx`, a deterministic gather, in the input's dimension order) and
///   `shifts` (`[C, 2]` row-major, a fixed-order reduction; nil for grouped shifts).
/// - Throws: the forward's errors, and ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 2,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 2-D GPU shift into existing device tensors: `gradients.input`
/// of the input's shape (any dimension order) and `gradients.shifts` a row-major `[C, 2]` tensor
/// (nil for grouped shifts), so that a training loop allocates nothing but a small stream-ordered
/// workspace; see ``shift2dBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` naming the gradient at fault. On error nothing is written.
public func shift2dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 2,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}

/// The 3-D shift on the GPU; see ShiftOps' CPU `shift3d(_:shifts:mode:padding:geometry:)` for
/// the math.
/// - Parameters:
///   - input: `[N, C, D, H, W]` in any dimension order.
///   - shifts: `[C, 3]`, a host `Tensor` or a device `CUDATensor` (see ``CUDAShiftSource``).
///   - mode, padding, geometry: as on the CPU.
/// - Returns: `[N, C, D', H', W']` on the GPU, in the input's dimension order; enqueued, not waited for.
/// - Throws: the CPU op's errors (``ShiftOps/ShiftOpsError`` naming the argument), and
///   ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 3, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the 3-D GPU shift of `input` into `output`, an existing device tensor of the
/// output's shape `[N, C, D', H', W']` in any dimension order; see
/// ``shift3d(_:shifts:mode:padding:geometry:)``. `output` is a reference: every reference to it
/// sees the write.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` for a wrong
///   output shape and ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` when `output` shares memory with
///   `input` or `shifts`. On error `output` is untouched.
public func shift3d<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: 3, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the 3-D GPU shift, both on the GPU; see ShiftOps' CPU
/// `shift3dBackward(gradOutput:input:shifts:mode:padding:geometry:)` for the math.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, D', H', W']`, any dimension order.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Returns: `input` (`dL/dx`, a deterministic gather, in the input's dimension order) and
///   `shifts` (`[C, 3]` row-major, a fixed-order reduction; nil for grouped shifts).
/// - Throws: the forward's errors, and ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 3,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the 3-D GPU shift into existing device tensors: `gradients.input`
/// of the input's shape (any dimension order) and `gradients.shifts` a row-major `[C, 3]` tensor
/// (nil for grouped shifts), so that a training loop allocates nothing but a small stream-ordered
/// workspace; see ``shift3dBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` naming the gradient at fault. On error nothing is written.
public func shift3dBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: 3,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}
#endif

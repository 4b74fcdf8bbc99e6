#if CUDA
import ShiftOps

// The rank-generic CUDA shift ops, as ShiftOps' CPU `shift`/`shiftBackward`: the spatial rank is
// the input's rank minus 2, so code written for `Tensor` reads the same for `CUDATensor`, for
// every rank, with host or device shifts and with or without preallocated outputs. Their docs
// hold what the per-rank forms (`shift1d` ... `shift3dBackward`) share. Four doors: forward,
// forward `into:`, backward, backward `into:` (the `into:` forms let a training loop run without
// allocating its outputs).

/// Shifts each channel of a 1-D, 2-D or 3-D device batch by its own amount, with ShiftOps' CPU
/// names, labels, defaults and errors; see the CPU `shift(_:shifts:mode:padding:geometry:)` for
/// the math. Data is `Float`, `Double`, or `Float16` storage computing in `Float`.
/// - Parameters:
///   - input: `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]` in any dimension order.
///   - shifts: `[C, k]` for spatial rank k, a host `Tensor` or a device `CUDATensor` (see
///     ``CUDAShiftSource``).
///   - mode, padding, geometry: as on the CPU.
/// - Returns: `[N, C] + output spatial sizes` on the GPU, in the input's dimension order;
///   enqueued, not waited for.
/// - Throws: the CPU op's errors (``ShiftOps/ShiftOpsError`` naming the argument), among them
///   ``ShiftOps/ShiftOpsError/Code/invalidRank`` naming `input` for a rank outside 3...5, and
///   ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDATensor<T> {
    try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: nil, mode: mode, padding: padding,
                            geometry: geometry)
}

/// Writes the shift of `input` (any spatial rank) into `output`, an existing device tensor of the
/// output's shape in any dimension order; see ``shift(_:shifts:mode:padding:geometry:)``.
/// `output` is a reference: every reference to it sees the write.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` for a wrong
///   output shape and ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` when `output` shares memory with
///   `input` or `shifts`. On error `output` is untouched.
public func shift<T: CUDAElement>(
    _ input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: CUDATensor<T>
) throws {
    _ = try CUDAShiftOp.forward(input, shifts: shifts.cudaShiftTable, spatialRank: nil, mode: mode, padding: padding,
                                geometry: geometry, into: output)
}

/// The gradients of the GPU shift of any spatial rank, both on the GPU; see ShiftOps' CPU
/// `shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)` for the math.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape, any dimension order.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Returns: `input` (`dL/dx`, a deterministic gather, in the input's dimension order) and
///   `shifts` (`[C, k]` row-major, a fixed-order reduction; nil for grouped shifts).
/// - Throws: the forward's errors, and ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`.
public func shiftBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> CUDAShiftGradients<T> {
    try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: nil,
                             mode: mode, padding: padding, geometry: geometry)
}

/// Writes the gradients of the GPU shift of any spatial rank into existing device tensors:
/// `gradients.input` of the input's shape (any dimension order) and `gradients.shifts` a
/// row-major `[C, k]` tensor (nil for grouped shifts), so that a training loop allocates nothing
/// but a small stream-ordered workspace; see
/// ``shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)``.
/// - Throws: as the allocating form, plus ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` and
///   ``ShiftOps/ShiftOpsError/Code/aliasedOutput`` naming the gradient at fault. On error nothing is written.
public func shiftBackward<T: CUDAElement>(
    gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: some CUDAShiftSource<T.Compute>,
    mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
    into gradients: CUDAShiftGradients<T>
) throws {
    _ = try CUDAShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts.cudaShiftTable, spatialRank: nil,
                                 mode: mode, padding: padding, geometry: geometry, into: gradients)
}
#endif

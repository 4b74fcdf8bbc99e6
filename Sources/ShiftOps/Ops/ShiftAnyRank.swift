// The shift ops for data of any spatial rank, read from the input: one door for code (command
// lines, runners, tests) that handles 1-D, 2-D and 3-D data alike, instead of a switch over
// `shift1d`/`shift2d`/`shift3d` at every call site.

/// The spatial rank of `input` (its rank minus the batch and channel axes), or an error naming it.
@usableFromInline
func spatialRank<Element>(of input: Tensor<Element>) throws -> Int {
    let k = input.rank - 2
    guard (1...3).contains(k) else {
        throw ShiftOpsError(.invalidRank, argument: "input",
                            "expected rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W]), got rank \(input.rank) with shape \(input.shape)")
    }
    return k
}

/// Shifts each channel of a 1-D, 2-D or 3-D batch by its own amount; the spatial rank k
/// is the input's rank minus 2.
///
/// The same op as ``shift1d(_:shifts:mode:padding:geometry:)``, ``shift2d(_:shifts:mode:padding:geometry:)``
/// and ``shift3d(_:shifts:mode:padding:geometry:)``: output position `p` of channel `c` samples
/// the input at `u = p * stride + origin - shifts[c]` on each spatial axis, interpolating
/// (k-linearly) for `.active`, rounding half to even for `.sparse`.
///
/// - Parameters:
///   - input: `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`, any strides.
///   - shifts: `[C, k]`, columns in tensor axis order.
///   - mode, padding, geometry: as for the rank-specific ops.
/// - Returns: `[N, C] + output spatial sizes`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError``: ``ShiftOpsError/Code/invalidRank`` naming `input` for a rank
///   outside 3...5, and every error of the rank-specific ops.
@inlinable
public func shift<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> Tensor<T> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: spatialRank(of: input), mode: mode,
                        padding: padding, geometry: geometry)
}

/// Writes the shift of `input` (any spatial rank) into `output`, an existing tensor of the
/// output's shape and any strides; see ``shift(_:shifts:mode:padding:geometry:)``.
///
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/aliasedOutput`` when `output`
///   shares storage with `input` or `shifts`. On error `output` is untouched.
@inlinable
public func shift<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout Tensor<T>
) throws {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: spatialRank(of: input), mode: mode,
                        padding: padding, geometry: geometry, into: &output)
}

/// The integer-shift forward of any spatial rank for integer tensors (quantized inference):
/// pure data movement; zero padding reads `fill`.
///
/// - Parameters:
///   - input: `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]` of `Int8`, `UInt8` or `Int32`.
///   - shifts: `[C, k]` floating-point shifts; `mode` is `.sparse` or `.grouped`.
/// - Returns: the output, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError/Code/unsupportedMode`` for `.active`, and the errors of
///   ``shift(_:shifts:mode:padding:geometry:)``.
@inlinable
public func shift<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
    _ input: Tensor<Q>, shifts: Tensor<S>, mode: ShiftMode = .sparse,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, fill: Q = 0
) throws -> Tensor<Q> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: spatialRank(of: input), mode: mode,
                        padding: padding, geometry: geometry, fill: fill)
}

/// The gradients of ``shift(_:shifts:mode:padding:geometry:)`` for any spatial rank:
/// `J_x^T g` and, unless `mode` is `.grouped`, the shift gradient `[C, k]`, reduced in a fixed
/// order (the same bits for any thread count).
///
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape, any strides.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Throws: the forward's errors, and ``ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`
///   when it is not the output's shape.
@inlinable
public func shiftBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> ShiftGradients<T> {
    try ShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: spatialRank(of: input),
                         mode: mode, padding: padding, geometry: geometry)
}

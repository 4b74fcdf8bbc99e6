// The public shift ops, one family per spatial rank. Each is a thin, documented door onto
// `ShiftOp`, which is rank-generic.

/// Shifts each channel of a 1-D batch by its own amount, interpolating or not by `mode`.
///
/// Output position `p` of channel `c` samples the input at `u = p * stride + origin - shifts[c]`
/// on each spatial axis: an integer shift moves content toward higher indices (`y[i] = x[i - s]`);
/// a fractional one interpolates linearly between the neighbouring samples. Samples
/// beyond the edges are read through `padding`. A tap of weight zero is not read, so at an
/// integer shift a NaN beside the sample does not leak into it.
///
/// - Parameters:
///   - input: `[N, C, L]`, any strides.
///   - shifts: `[C, 1]`, columns `[dx]` in tensor axis order.
///   - mode: `.active` interpolates; `.sparse` rounds each shift half to even; `.grouped`
///     requires integer shifts.
///   - padding: How samples beyond the edges are read.
///   - geometry: Stride, origin and output size per spatial axis.
/// - Returns: `[N, C, L']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError`` naming the argument: wrong rank, a shift table that is not
///   `[C, 1]`, a non-finite (or, grouped, non-integer) shift, a bad stride/origin/output size.
@inlinable
public func shift1d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> Tensor<T> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 1, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 1-D shift of `input` into `output`, an existing `[N, C, L']` tensor of any
/// strides; see ``shift1d(_:shifts:mode:padding:geometry:)``.
///
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/aliasedOutput`` when `output`
///   shares storage with `input` or `shifts`. On error `output` is untouched.
@inlinable
public func shift1d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout Tensor<T>
) throws {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 1, mode: mode, padding: padding,
                        geometry: geometry, into: &output)
}

/// The integer-shift 1-D forward for integer tensors (quantized inference): pure data movement.
///
/// `mode` must be `.sparse` (shifts rounded half to even) or `.grouped` (integer shifts); zero
/// padding reads `fill`, the quantization zero point.
/// - Parameters:
///   - input: `[N, C, L]` of `Int8`, `UInt8` or `Int32`, any strides.
///   - shifts: `[C, 1]` floating-point shifts.
/// - Returns: `[N, C, L']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError/Code/unsupportedMode`` for `.active`, and the errors of the
///   floating-point form.
@inlinable
public func shift1d<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
    _ input: Tensor<Q>, shifts: Tensor<S>, mode: ShiftMode = .sparse,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, fill: Q = 0
) throws -> Tensor<Q> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 1, mode: mode, padding: padding,
                        geometry: geometry, fill: fill)
}

/// The gradients of ``shift1d(_:shifts:mode:padding:geometry:)``.
///
/// `gradients.input = J_x^T g`, the exact adjoint of the forward (it accumulates where several
/// outputs read one input). `gradients.shifts[c, j] = sum over n, p of g * dy/ds[c, j]`, taken
/// through the interpolation at the unrounded shift for `.active` and `.sparse` (at an integer
/// shift, the derivative of the cell `[s, s + 1]` below `u`), and nil for `.grouped`. The shift
/// gradient is reduced in a fixed order: the same inputs give the same bits on any thread count.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, L']`, any strides.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Throws: the forward's errors, and ``ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`
///   when it is not the output's shape.
@inlinable
public func shift1dBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> ShiftGradients<T> {
    try ShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 1,
                         mode: mode, padding: padding, geometry: geometry)
}

/// Shifts each channel of a 2-D batch by its own amount, interpolating or not by `mode`.
///
/// Output position `p` of channel `c` samples the input at `u = p * stride + origin - shifts[c]`
/// on each spatial axis: an integer shift moves content toward higher indices (`y[i] = x[i - s]`);
/// a fractional one interpolates bilinearly between the neighbouring samples. Samples
/// beyond the edges are read through `padding`. A tap of weight zero is not read, so at an
/// integer shift a NaN beside the sample does not leak into it.
///
/// - Parameters:
///   - input: `[N, C, H, W]`, any strides.
///   - shifts: `[C, 2]`, columns `[dy, dx]` in tensor axis order.
///   - mode: `.active` interpolates; `.sparse` rounds each shift half to even; `.grouped`
///     requires integer shifts.
///   - padding: How samples beyond the edges are read.
///   - geometry: Stride, origin and output size per spatial axis.
/// - Returns: `[N, C, H', W']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError`` naming the argument: wrong rank, a shift table that is not
///   `[C, 2]`, a non-finite (or, grouped, non-integer) shift, a bad stride/origin/output size.
@inlinable
public func shift2d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> Tensor<T> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 2, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 2-D shift of `input` into `output`, an existing `[N, C, H', W']` tensor of any
/// strides; see ``shift2d(_:shifts:mode:padding:geometry:)``.
///
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/aliasedOutput`` when `output`
///   shares storage with `input` or `shifts`. On error `output` is untouched.
@inlinable
public func shift2d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout Tensor<T>
) throws {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 2, mode: mode, padding: padding,
                        geometry: geometry, into: &output)
}

/// The integer-shift 2-D forward for integer tensors (quantized inference): pure data movement.
///
/// `mode` must be `.sparse` (shifts rounded half to even) or `.grouped` (integer shifts); zero
/// padding reads `fill`, the quantization zero point.
/// - Parameters:
///   - input: `[N, C, H, W]` of `Int8`, `UInt8` or `Int32`, any strides.
///   - shifts: `[C, 2]` floating-point shifts.
/// - Returns: `[N, C, H', W']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError/Code/unsupportedMode`` for `.active`, and the errors of the
///   floating-point form.
@inlinable
public func shift2d<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
    _ input: Tensor<Q>, shifts: Tensor<S>, mode: ShiftMode = .sparse,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, fill: Q = 0
) throws -> Tensor<Q> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 2, mode: mode, padding: padding,
                        geometry: geometry, fill: fill)
}

/// The gradients of ``shift2d(_:shifts:mode:padding:geometry:)``.
///
/// `gradients.input = J_x^T g`, the exact adjoint of the forward (it accumulates where several
/// outputs read one input). `gradients.shifts[c, j] = sum over n, p of g * dy/ds[c, j]`, taken
/// through the interpolation at the unrounded shift for `.active` and `.sparse` (at an integer
/// shift, the derivative of the cell `[s, s + 1]` below `u`), and nil for `.grouped`. The shift
/// gradient is reduced in a fixed order: the same inputs give the same bits on any thread count.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, H', W']`, any strides.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Throws: the forward's errors, and ``ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`
///   when it is not the output's shape.
@inlinable
public func shift2dBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> ShiftGradients<T> {
    try ShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 2,
                         mode: mode, padding: padding, geometry: geometry)
}

/// Shifts each channel of a 3-D batch by its own amount, interpolating or not by `mode`.
///
/// Output position `p` of channel `c` samples the input at `u = p * stride + origin - shifts[c]`
/// on each spatial axis: an integer shift moves content toward higher indices (`y[i] = x[i - s]`);
/// a fractional one interpolates trilinearly between the neighbouring samples. Samples
/// beyond the edges are read through `padding`. A tap of weight zero is not read, so at an
/// integer shift a NaN beside the sample does not leak into it.
///
/// - Parameters:
///   - input: `[N, C, D, H, W]`, any strides.
///   - shifts: `[C, 3]`, columns `[dd, dy, dx]` in tensor axis order.
///   - mode: `.active` interpolates; `.sparse` rounds each shift half to even; `.grouped`
///     requires integer shifts.
///   - padding: How samples beyond the edges are read.
///   - geometry: Stride, origin and output size per spatial axis.
/// - Returns: `[N, C, D', H', W']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError`` naming the argument: wrong rank, a shift table that is not
///   `[C, 3]`, a non-finite (or, grouped, non-integer) shift, a bad stride/origin/output size.
@inlinable
public func shift3d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> Tensor<T> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 3, mode: mode, padding: padding, geometry: geometry)
}

/// Writes the 3-D shift of `input` into `output`, an existing `[N, C, D', H', W']` tensor of any
/// strides; see ``shift3d(_:shifts:mode:padding:geometry:)``.
///
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/aliasedOutput`` when `output`
///   shares storage with `input` or `shifts`. On error `output` is untouched.
@inlinable
public func shift3d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, into output: inout Tensor<T>
) throws {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 3, mode: mode, padding: padding,
                        geometry: geometry, into: &output)
}

/// The integer-shift 3-D forward for integer tensors (quantized inference): pure data movement.
///
/// `mode` must be `.sparse` (shifts rounded half to even) or `.grouped` (integer shifts); zero
/// padding reads `fill`, the quantization zero point.
/// - Parameters:
///   - input: `[N, C, D, H, W]` of `Int8`, `UInt8` or `Int32`, any strides.
///   - shifts: `[C, 3]` floating-point shifts.
/// - Returns: `[N, C, D', H', W']`, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError/Code/unsupportedMode`` for `.active`, and the errors of the
///   floating-point form.
@inlinable
public func shift3d<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
    _ input: Tensor<Q>, shifts: Tensor<S>, mode: ShiftMode = .sparse,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity, fill: Q = 0
) throws -> Tensor<Q> {
    try ShiftOp.forward(input, shifts: shifts, spatialRank: 3, mode: mode, padding: padding,
                        geometry: geometry, fill: fill)
}

/// The gradients of ``shift3d(_:shifts:mode:padding:geometry:)``.
///
/// `gradients.input = J_x^T g`, the exact adjoint of the forward (it accumulates where several
/// outputs read one input). `gradients.shifts[c, j] = sum over n, p of g * dy/ds[c, j]`, taken
/// through the interpolation at the unrounded shift for `.active` and `.sparse` (at an integer
/// shift, the derivative of the cell `[s, s + 1]` below `u`), and nil for `.grouped`. The shift
/// gradient is reduced in a fixed order: the same inputs give the same bits on any thread count.
/// - Parameters:
///   - gradOutput: `dL/dy`, the output's shape `[N, C, D', H', W']`, any strides.
///   - input, shifts, mode, padding, geometry: as given to the forward.
/// - Throws: the forward's errors, and ``ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`
///   when it is not the output's shape.
@inlinable
public func shift3dBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
    padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
) throws -> ShiftGradients<T> {
    try ShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts, spatialRank: 3,
                         mode: mode, padding: padding, geometry: geometry)
}

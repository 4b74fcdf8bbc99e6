// The temporal shift of video networks (TSM, Lin et al. 2019): part of the channels of each frame
// take their values from the next frame, part from the previous one. Built on the grouped shift:
// the clip is viewed with time as a spatial axis, with no copy, and shifted by one frame.

/// Which fold of channels takes the next frame in ``temporalShift(_:segments:fold:direction:)``.
public enum TemporalShiftDirection: String, Sendable, CaseIterable {
    /// TSM's convention: channels `0..<fold` of frame `t` take frame `t + 1`'s values and
    /// channels `fold..<2 * fold` take frame `t - 1`'s.
    case nextFrameFirst
    /// The opposite, which PaddlePaddle's `temporal_shift` uses: channels `0..<fold` take frame
    /// `t - 1`, channels `fold..<2 * fold` take frame `t + 1`.
    case previousFrameFirst

    /// The other direction: the backward of one direction is the forward of the other.
    public var reversed: TemporalShiftDirection {
        self == .nextFrameFirst ? .previousFrameFirst : .nextFrameFirst
    }
}

/// Shifts part of the channels of each frame of a batch of clips by one frame in time, as TSM's
/// temporal shift module does.
///
/// `input` holds `N` clips of `T = segments` frames each, frames of a clip consecutive along axis
/// 0: `[N * T, C, H, W]` (also `[N * T, C, L]` and `[N * T, C, D, H, W]`). With
/// `.nextFrameFirst` (TSM's convention), for frame `t` of each clip:
/// - channels `0..<fold` take frame `t + 1`'s values (zeros for the last frame);
/// - channels `fold..<2 * fold` take frame `t - 1`'s values (zeros for the first frame);
/// - the other channels are unchanged.
///
/// Frames never mix across clips. In this library's sign convention (a positive shift moves
/// content toward higher indices), the first fold is shifted by -1 along time and the second by +1.
/// PaddlePaddle's `temporal_shift` uses the opposite assignment (its first fold takes frame
/// `t - 1`) and a default fold of `C / 4`: pass `.previousFrameFirst` and `fold: C / 4` to match it.
///
/// The same result as `shift(_:shifts:mode:padding:geometry:)` in `.grouped` mode with `.zeros`
/// padding over the input viewed as `[N, C, T, spatial...]` (a ``Tensor/reshaped(_:)`` and a
/// ``Tensor/permuted(_:)``, no copy), which is how it runs.
///
/// - Parameters:
///   - input: `[N * T, C, spatial...]` with one to three spatial axes, any strides.
///   - segments: `T`, the frames per clip; it must divide the length of axis 0.
///   - fold: The channels in each shifted group; `C / 8` (rounded down) when nil, as TSM.
///   - direction: Which fold takes the next frame; `.nextFrameFirst` is TSM's.
/// - Returns: The input's shape, dense in the input's dimension order.
/// - Throws: ``ShiftOpsError``: ``ShiftOpsError/Code/invalidRank`` naming `input` for a rank
///   outside 3...5; ``ShiftOpsError/Code/invalidArgument`` naming `segments` when it is below 1 or
///   does not divide the length of axis 0, and `fold` when it is negative or `2 * fold > C`.
@inlinable
public func temporalShift<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, segments: Int, fold: Int? = nil, direction: TemporalShiftDirection = .nextFrameFirst
) throws -> Tensor<T> {
    try TemporalShiftOp.run(input, segments: segments, fold: fold, direction: direction, argument: "input")
}

/// Writes the temporal shift of `input` into `output`, an existing tensor of the input's shape and
/// any strides (for instance one over the caller's memory, from
/// ``Tensor/withBorrowed(mutating:shape:strides:offset:_:)``); see
/// ``temporalShift(_:segments:fold:direction:)``.
///
/// The result is written in place when `output`'s memory can be viewed as the input's clips
/// (always for dense outputs of 1-D and 2-D data); otherwise it is computed aside and copied in.
/// - Throws: as the allocating form, plus ``ShiftOpsError/Code/shapeMismatch`` naming `output`
///   when its shape is not the input's and ``ShiftOpsError/Code/aliasedOutput`` when it shares
///   memory with `input` or has overlapping elements. On error `output` is untouched.
@inlinable
public func temporalShift<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, segments: Int, fold: Int? = nil, direction: TemporalShiftDirection = .nextFrameFirst,
    into output: inout Tensor<T>
) throws {
    try TemporalShiftOp.run(input, segments: segments, fold: fold, direction: direction, argument: "input", into: &output)
}

/// The input gradient of ``temporalShift(_:segments:fold:direction:)``: the exact adjoint, which is
/// the temporal shift in the other direction (each value moves back to the frame it came from;
/// values that left the clip are gone, so the frames they came from get zeros).
///
/// - Parameters:
///   - gradOutput: `dL/dy`, the forward's shape `[N * T, C, spatial...]`, any strides.
///   - segments, fold, direction: as given to the forward.
/// - Returns: `dL/dx`, the same shape, dense in `gradOutput`'s dimension order.
/// - Throws: the forward's errors, naming `gradOutput` for a wrong rank.
@inlinable
public func temporalShiftBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, segments: Int, fold: Int? = nil, direction: TemporalShiftDirection = .nextFrameFirst
) throws -> Tensor<T> {
    try TemporalShiftOp.run(gradOutput, segments: segments, fold: fold, direction: direction.reversed,
                            argument: "gradOutput")
}

@usableFromInline
enum TemporalShiftOp {
    /// The shift over a clip view: the input as `[N, C, T, spatial...]`, its shift table, and
    /// whether the view needed a copy.
    struct Plan<T: ShiftFloatingPoint> {
        var timeMajor: Tensor<T>
        var shifts: Tensor<T>
        /// The shape of the `[N, T, C, spatial...]` view before time moved next to the spatial axes.
        var clipShape: [Int]
        var copied: Bool
    }

    /// `[N, T, C, S...]` to `[N, C, T, S...]` and back.
    static func timeFirst(_ rank: Int) -> [Int] { [0, 2, 1] + Array(3..<rank) }

    /// Validates and views `input` as clips with time as a spatial axis.
    static func plan<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, segments: Int, fold: Int?, direction: TemporalShiftDirection, argument: String
    ) throws -> Plan<T> {
        guard (3...5).contains(input.rank) else {
            throw ShiftOpsError(.invalidRank, argument: argument,
                                "expected [N * T, C, spatial...] of rank 3, 4 or 5, got rank \(input.rank) with shape \(input.shape)")
        }
        let frames = input.shape[0], channels = input.shape[1]
        guard segments >= 1, frames % segments == 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "segments",
                                "expected a frame count >= 1 that divides axis 0 (\(frames) = N * T), got \(segments)")
        }
        let fold = fold ?? channels / 8
        guard fold >= 0, fold <= channels / 2 else {
            throw ShiftOpsError(.invalidArgument, argument: "fold",
                                "expected 0...\(channels / 2) (two folds of the \(channels) channels), got \(fold)")
        }
        let clips = frames / segments
        let spatial = Array(input.shape.dropFirst(2))
        // [N * T, C, S...] as [N, T, C, S...]: splitting axis 0 is always a view. The spatial axes
        // merge into one when memory allows (longer rows for the kernel), and must for 3-D data,
        // since time takes one of the three spatial axes the shift has.
        let count = spatial.reduce(1, *)
        let clipView: Tensor<T>
        var copied = false
        if let merged = try? input.reshaped([clips, segments, channels, count]) {
            clipView = merged
        } else if spatial.count < 3 {
            clipView = try input.reshaped([clips, segments, channels] + spatial)
        } else {
            clipView = try input.contiguous().reshaped([clips, segments, channels, count])
            copied = true
        }
        let k = clipView.rank - 2
        let shifts = try Tensor<T>(unsafeUninitializedShape: [channels, k]) { table in
            table.update(repeating: 0)
            let (first, second): (T, T) = direction == .nextFrameFirst ? (-1, 1) : (1, -1)
            for c in 0..<fold {
                table[c * k] = first
                table[(fold + c) * k] = second
            }
        }
        return Plan(timeMajor: try clipView.permuted(timeFirst(clipView.rank)), shifts: shifts,
                    clipShape: clipView.shape, copied: copied)
    }

    @usableFromInline
    static func run<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, segments: Int, fold: Int?, direction: TemporalShiftDirection, argument: String
    ) throws -> Tensor<T> {
        let plan = try plan(input, segments: segments, fold: fold, direction: direction, argument: argument)
        let shifted = try shift(plan.timeMajor, shifts: plan.shifts, mode: .grouped, padding: .zeros)
        // Back to [N, T, C, S...] and the input's shape; the output is dense in the input's
        // order, where N and T are adjacent, so this is a view too.
        let frameMajor = try shifted.permuted(timeFirst(shifted.rank))
        let output = try (try? frameMajor.reshaped(input.shape)) ?? frameMajor.contiguous().reshaped(input.shape)
        // 3-D data whose spatial axes are apart in memory went through a row-major copy; the
        // output still keeps the input's dimension order.
        return plan.copied ? try output.dense(order: input.dimensionOrder) : output
    }

    @usableFromInline
    static func run<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, segments: Int, fold: Int?, direction: TemporalShiftDirection, argument: String,
        into output: inout Tensor<T>
    ) throws {
        let plan = try plan(input, segments: segments, fold: fold, direction: direction, argument: argument)
        guard output.shape == input.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "output", "expected shape \(input.shape), got \(output.shape)")
        }
        guard !output.sharesStorage(with: input) else {
            throw ShiftOpsError(.aliasedOutput, argument: "output", "shares storage with the input; pass a tensor of its own")
        }
        guard output.hasDisjointElements else {
            throw ShiftOpsError(.aliasedOutput, argument: "output",
                                "has overlapping elements (a zero stride); pass a dense tensor")
        }
        // The output seen as the input's clip view, written in place; an output whose memory does
        // not allow that view takes the result through a copy.
        let rank = plan.clipShape.count
        if !plan.copied, (try? output.reshaped(plan.clipShape)) != nil {
            try output.withMutableView({ try $0.reshaped(plan.clipShape).permuted(timeFirst(rank)) }) { view in
                try shift(plan.timeMajor, shifts: plan.shifts, mode: .grouped, padding: .zeros, into: &view)
            }
        } else {
            let result = try shift(plan.timeMajor, shifts: plan.shifts, mode: .grouped, padding: .zeros)
                .permuted(timeFirst(rank)).contiguous().reshaped(input.shape)
            try output.withMutableView({ $0 }) { $0 = result }
        }
    }
}

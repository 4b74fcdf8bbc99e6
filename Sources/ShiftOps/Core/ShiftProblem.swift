/// A validated shift call, lifted to three spatial axes `[D, H, W]`.
///
/// 1-D and 2-D data get leading spatial axes of length 1 that read tap 0 with weight 1, so one
/// set of kernels serves every rank. Everything here has been checked, once: ranks and shapes,
/// the geometry, the shift values, and the shape arithmetic (the product of the non-zero extents
/// of the input and of the output fits in `Int`, so kernels may index with wrapping arithmetic).
/// Kernels trust it, and never see an empty call (see ``hasNoOutput``).
@usableFromInline
package struct ShiftProblem: Sendable {
    @usableFromInline package var spatialRank: Int
    @usableFromInline package var batch: Int
    @usableFromInline package var channels: Int
    @usableFromInline package var inputSize: [Int]
    @usableFromInline package var outputSize: [Int]
    @usableFromInline package var step: [Int]
    @usableFromInline package var origin: [Int]
    @usableFromInline package var mode: ShiftMode
    @usableFromInline package var padding: ShiftPadding
    /// The number of input and output elements (either may be zero).
    @usableFromInline package var inputCount: Int
    @usableFromInline package var outputCount: Int

    /// The shape of the output in the caller's rank: `[N, C] + output spatial sizes`.
    @usableFromInline package var outputShape: [Int] { [batch, channels] + outputSize.suffix(spatialRank) }

    /// Number of output rows (`N * C * D' * H'`), the unit of forward work.
    @usableFromInline var outputRows: Int { batch * channels * outputSize[0] * outputSize[1] }

    /// Whether the output has no elements. Then the forward has nothing to write and the backward
    /// nothing to read: ops return at once, before any kernel, loop or allocation sized by the
    /// other axes (which may be astronomically long around an empty one).
    @usableFromInline package var hasNoOutput: Bool { outputCount == 0 }

    /// Largest |origin| and largest `(outputSize - 1) * stride + inputSize` accepted: far beyond
    /// any tensor that fits in memory, and small enough that index math cannot overflow.
    static let indexLimit = 1 << 52

    /// Checks a call and lifts it to three axes. `shifts` is read for finiteness (and integrality
    /// in grouped mode) here, once, so that no kernel meets a NaN shift.
    @usableFromInline
    static func make<Input: TensorElement, Weight: ShiftFloatingPoint>(
        input: Tensor<Input>, shifts: Tensor<Weight>, spatialRank k: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> ShiftProblem {
        let problem = try make(inputShape: input.shape, shiftsShape: shifts.shape, of: Weight.self, spatialRank: k,
                               mode: mode, padding: padding, geometry: geometry, elementSize: MemoryLayout<Input>.stride)
        try checkValues(of: shifts, mode: mode)
        return problem
    }

    /// The same checks for an input known by its shape alone (a device tensor).
    package static func make<Weight: ShiftFloatingPoint>(
        inputShape: [Int], shifts: Tensor<Weight>, spatialRank k: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> ShiftProblem {
        let problem = try make(inputShape: inputShape, shiftsShape: shifts.shape, of: Weight.self, spatialRank: k,
                               mode: mode, padding: padding, geometry: geometry)
        try checkValues(of: shifts, mode: mode)
        return problem
    }

    /// The checks of shapes and geometry alone, for shifts whose values are not on the host (a
    /// device table): everything but finiteness and integrality, without reading a shift. The
    /// input's elements take `elementSize` bytes (by default those of the shifts).
    package static func make<Weight: ShiftFloatingPoint>(
        inputShape: [Int], shiftsShape: [Int], of _: Weight.Type, spatialRank k: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry, elementSize: Int? = nil
    ) throws -> ShiftProblem {
        let input = (rank: inputShape.count, shape: inputShape)
        let shifts = (rank: shiftsShape.count, shape: shiftsShape)
        let size = elementSize ?? MemoryLayout<Weight>.stride
        let names = ["1-D [N, C, L]", "2-D [N, C, H, W]", "3-D [N, C, D, H, W]"]
        guard input.rank == k + 2 else {
            throw ShiftOpsError(.invalidRank, argument: "input",
                                "expected rank \(k + 2) (\(names[k - 1])), got rank \(input.rank) with shape \(input.shape)")
        }
        let inputCount = try ShapeArithmetic.elementCount(of: input.shape, elementSize: size, argument: "input")
        let channels = input.shape[1]
        guard shifts.rank == 2, shifts.shape[1] == k else {
            throw ShiftOpsError(.shapeMismatch, argument: "shifts",
                                "expected shape [C, \(k)] (one shift per channel and spatial axis), got \(shifts.shape)")
        }
        guard shifts.shape[0] == channels else {
            throw ShiftOpsError(.shapeMismatch, argument: "shifts",
                                "has \(shifts.shape[0]) channels but input has \(channels) (shape \(input.shape))"
                                    + channelsLastHint(inputShape: input.shape, channels: shifts.shape[0]))
        }
        let inputSize = Array(input.shape.suffix(k))
        let step = try geometry.perAxis(geometry.stride, rank: k, argument: "geometry.stride")
        for (axis, s) in step.enumerated() where s < 1 {
            throw ShiftOpsError(.invalidGeometry, argument: "geometry.stride",
                                "expected >= 1 on every axis, got \(s) on spatial axis \(axis)")
        }
        let origin = try geometry.perAxis(geometry.origin, rank: k, argument: "geometry.origin")
        for (axis, o) in origin.enumerated() where o.magnitude > UInt(indexLimit) {
            throw ShiftOpsError(.invalidGeometry, argument: "geometry.origin",
                                "expected |origin| <= 2^52, got \(o) on spatial axis \(axis)")
        }
        let outputSize = geometry.outputSize ?? zip(inputSize, step).map { ($0 + $1 - 1) / $1 }
        guard outputSize.count == k else {
            throw ShiftOpsError(.invalidGeometry, argument: "geometry.outputSize",
                                "expected \(k) lengths, got \(outputSize.count)")
        }
        for (axis, m) in outputSize.enumerated() {
            guard m >= 0 else {
                throw ShiftOpsError(.invalidGeometry, argument: "geometry.outputSize",
                                    "expected lengths >= 0, got \(m) on spatial axis \(axis)")
            }
            let (span, overflow) = Swift.max(m - 1, 0).multipliedReportingOverflow(by: step[axis])
            guard !overflow, span <= indexLimit - inputSize[axis] else {
                throw ShiftOpsError(.sizeOverflow, argument: "geometry.outputSize",
                                    "output length \(m) at stride \(step[axis]) spans more than 2^52 input positions")
            }
        }
        let outputCount = try ShapeArithmetic.elementCount(of: [input.shape[0], channels] + outputSize, elementSize: size,
                                                           argument: "geometry.outputSize")
        if inputSize.contains(0) && outputSize.allSatisfy({ $0 > 0 }) && padding != .zeros {
            throw ShiftOpsError(.invalidGeometry, argument: "input",
                                "\(padding) padding needs non-empty spatial axes to read from, got shape \(input.shape)")
        }
        let lift = 3 - k
        return ShiftProblem(
            spatialRank: k, batch: input.shape[0], channels: channels,
            inputSize: Array(repeating: 1, count: lift) + inputSize,
            outputSize: Array(repeating: 1, count: lift) + outputSize,
            step: Array(repeating: 1, count: lift) + step,
            origin: Array(repeating: 0, count: lift) + origin,
            mode: mode, padding: padding, inputCount: inputCount, outputCount: outputCount)
    }

    /// The value checks of a `[C, k]` table whose shape has passed: every shift finite, and an
    /// integer in grouped mode.
    package static func checkValues<Weight: ShiftFloatingPoint>(of shifts: Tensor<Weight>, mode: ShiftMode) throws {
        for c in 0..<shifts.shape[0] {
            for j in 0..<shifts.shape[1] {
                let s = shifts[c, j]
                guard s.isFinite else {
                    throw ShiftOpsError(.nonFiniteShift, argument: "shifts",
                                        "shift [\(c), \(j)] is \(s); shifts must be finite")
                }
                if mode == .grouped && s != s.rounded() {
                    throw ShiftOpsError(.nonIntegerShift, argument: "shifts",
                                        "grouped shifts must be integers, got \(s) at [\(c), \(j)]")
                }
            }
        }
    }

    /// A hint for a channel mismatch that a channels-last shape explains: the shift table's
    /// channel count is the input's last axis, as in an `[N, H, W, C]` array passed as it is.
    static func channelsLastHint(inputShape shape: [Int], channels: Int) -> String {
        guard shape.count >= 3, shape.last == channels, shape[1] != channels else { return "" }
        let rank = shape.count
        let axes = [0, rank - 1] + Array(1..<(rank - 1))
        return "; the input looks channels-last (its last axis has \(channels)): shifts take [N, C, spatial...]"
            + " logically, so pass a channels-last view of the data, permuted(\(axes)) of an [N, spatial..., C] tensor"
            + " (or channelsLast() of an NCHW one)"
    }

    /// Checks `output` for the forward's `into:` form: the output's shape, no storage shared with
    /// an input (`others`), and no two indices on one element.
    @usableFromInline
    func checkOutput<T, A, B>(_ output: Tensor<T>, notSharingWith input: Tensor<A>, _ shifts: Tensor<B>) throws {
        guard output.shape == outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "output",
                                "expected shape \(outputShape), got \(output.shape)")
        }
        guard !output.sharesStorage(with: input), !output.sharesStorage(with: shifts) else {
            throw ShiftOpsError(.aliasedOutput, argument: "output",
                                "shares storage with an input; pass a tensor of its own")
        }
        guard output.hasDisjointElements else {
            throw ShiftOpsError(.aliasedOutput, argument: "output",
                                "has overlapping elements (a zero stride); pass a dense tensor")
        }
    }

    /// Checks the backward's `gradOutput` against the output's shape.
    @usableFromInline
    func checkGradOutput<T>(_ gradOutput: Tensor<T>) throws {
        guard gradOutput.shape == outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                                "expected the output's shape \(outputShape), got \(gradOutput.shape)")
        }
    }
}

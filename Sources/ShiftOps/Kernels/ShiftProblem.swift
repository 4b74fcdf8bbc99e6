/// A validated shift call, lifted to three spatial axes `[D, H, W]`.
///
/// 1-D and 2-D data get leading spatial axes of length 1 that read tap 0 with weight 1, so one
/// set of kernels serves every rank. Everything here has been checked: kernels trust it.
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

    /// The shape of the output in the caller's rank: `[N, C] + output spatial sizes`.
    @usableFromInline package var outputShape: [Int] { [batch, channels] + outputSize.suffix(spatialRank) }

    /// Number of output rows (`N * C * D' * H'`), the unit of forward work.
    @usableFromInline var outputRows: Int { batch * channels * outputSize[0] * outputSize[1] }

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
        try make(inputShape: input.shape, shifts: shifts, spatialRank: k, mode: mode, padding: padding, geometry: geometry)
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
    /// device table): everything but finiteness and integrality, without reading a shift.
    package static func make<Weight: ShiftFloatingPoint>(
        inputShape: [Int], shiftsShape: [Int], of _: Weight.Type, spatialRank k: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> ShiftProblem {
        let input = (rank: inputShape.count, shape: inputShape)
        let shifts = (rank: shiftsShape.count, shape: shiftsShape)
        let names = ["1-D [N, C, L]", "2-D [N, C, H, W]", "3-D [N, C, D, H, W]"]
        guard input.rank == k + 2 else {
            throw ShiftOpsError(.invalidRank, argument: "input",
                                "expected rank \(k + 2) (\(names[k - 1])), got rank \(input.rank) with shape \(input.shape)")
        }
        let channels = input.shape[1]
        guard shifts.rank == 2, shifts.shape[1] == k else {
            throw ShiftOpsError(.shapeMismatch, argument: "shifts",
                                "expected shape [C, \(k)] (one shift per channel and spatial axis), got \(shifts.shape)")
        }
        guard shifts.shape[0] == channels else {
            throw ShiftOpsError(.shapeMismatch, argument: "shifts",
                                "has \(shifts.shape[0]) channels but input has \(channels) (shape \(input.shape))")
        }
        let inputSize = Array(input.shape.suffix(k))
        let step = try geometry.expand(geometry.stride, rank: k, argument: "geometry.stride")
        for (axis, s) in step.enumerated() where s < 1 {
            throw ShiftOpsError(.invalidGeometry, argument: "geometry.stride",
                                "expected >= 1 on every axis, got \(s) on spatial axis \(axis)")
        }
        let origin = try geometry.expand(geometry.origin, rank: k, argument: "geometry.origin")
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
        _ = try Tensor<Weight>.elementCount(of: [input.shape[0], channels] + outputSize, argument: "geometry.outputSize")
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
            mode: mode, padding: padding)
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

    /// The taps of channel `c`; lifted axes read tap 0 only.
    @inlinable
    func taps<Weight: ShiftFloatingPoint>(channel c: Int, shifts: ShiftTable<Weight>,
                                          sampling: AxisTaps<Weight>.Sampling) -> ChannelTaps<Weight> {
        let lift = 3 - spatialRank
        func axis(_ a: Int) -> AxisTaps<Weight> {
            let lifted = a < lift
            return AxisTaps(shift: lifted ? 0 : shifts[c, a - lift], origin: origin[a],
                            length: inputSize[a], count: outputSize[a], step: step[a], padding: padding,
                            sampling: lifted ? .round : sampling)
        }
        return ChannelTaps(d: axis(0), h: axis(1), w: axis(2))
    }
}

/// The strides of a tensor lifted to `[N, C, D, H, W]`.
@usableFromInline
struct LiftedStrides: Sendable {
    @usableFromInline var n: Int, c: Int, d: Int, h: Int, w: Int

    @inlinable
    init(n: Int, c: Int, d: Int, h: Int, w: Int) {
        (self.n, self.c, self.d, self.h, self.w) = (n, c, d, h, w)
    }

    @usableFromInline
    init<Element>(_ tensor: Tensor<Element>) {
        // Batch and channel strides stay in front; lifted spatial axes (length 1) get stride 0.
        let st = tensor.strides
        let k = tensor.rank - 2
        n = st[0]
        c = st[1]
        d = k == 3 ? st[2] : 0
        h = k >= 2 ? st[tensor.rank - 2] : 0
        w = st[tensor.rank - 1]
    }
}

/// A read-only view of the `[C, k]` shift table at any strides.
@usableFromInline
struct ShiftTable<Weight: ShiftFloatingPoint>: @unchecked Sendable {
    @usableFromInline let base: UnsafePointer<Weight>
    @usableFromInline let channelStride: Int
    @usableFromInline let axisStride: Int

    @inlinable
    init(base: UnsafePointer<Weight>, channelStride: Int, axisStride: Int) {
        self.base = base
        self.channelStride = channelStride
        self.axisStride = axisStride
    }

    @inlinable
    subscript(c: Int, j: Int) -> Weight { base[c &* channelStride &+ j &* axisStride] }
}

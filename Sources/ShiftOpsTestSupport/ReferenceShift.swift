import ShiftOps

/// The naive shift every fast path is checked against: the sampling rule, the five paddings and
/// the exact adjoint written out one output sample and one corner at a time, in `Double`, for any
/// spatial rank, mode, padding, stride, origin and output length, and for inputs in any memory
/// layout (it reads them in logical order).
///
/// It shares nothing with the library's kernels or with the C tap map: its padding rule is its own
/// (``tap(_:length:padding:)``) and so is its index walk, so that a mistake in either shows up as a
/// disagreement rather than being repeated here. It is slow by design; it is meant for small
/// problems in tests, for the benchmark's check before it times a kernel, and as the benchmark's
/// naive baseline.
public enum ReferenceShift {
    /// The input index that position `i` reads along an axis of `length` elements, or nil where
    /// the padding supplies a zero.
    ///
    /// - Parameters:
    ///   - i: any position, inside the axis or beyond either end.
    ///   - length: the axis length, at least 1.
    ///   - padding: how positions beyond the ends map back onto the axis.
    /// - Returns: an index in `0..<length`, or nil for zero padding outside the axis.
    public static func tap(_ i: Int, length n: Int, padding: ShiftPadding) -> Int? {
        switch padding {
        case .zeros:
            return (0..<n).contains(i) ? i : nil
        case .border:
            return Swift.min(Swift.max(i, 0), n - 1)
        case .periodic:
            return ((i % n) + n) % n
        case .reflect:
            // Mirrored about the end samples: the period is 2(n - 1), and an axis of one sample
            // has no period at all.
            if n == 1 { return 0 }
            let r = ((i % (2 * n - 2)) + 2 * n - 2) % (2 * n - 2)
            return r < n ? r : 2 * n - 2 - r
        case .symmetric:
            // Mirrored about the outer edges: the end samples repeat, so the period is 2n.
            let r = ((i % (2 * n)) + 2 * n) % (2 * n)
            return r < n ? r : 2 * n - 1 - r
        }
    }

    /// The forward shift of `x`: `[N, C, spatial...]` in, `[N, C, output spatial...]` out, dense.
    ///
    /// - Parameters:
    ///   - x: the input, `[N, C, D1, ..., Dk]`, any layout.
    ///   - shifts: `[C, k]`, one shift per channel and spatial axis; rounded half to even first in
    ///     the integer modes. Finite and well inside `Int`'s range: the reference is for the
    ///     sampling rule, not for the library's handling of non-finite or huge shifts (which its
    ///     own tests check), and it traps on those as it does on an empty axis it must read.
    ///   - mode: how the shifts are read.
    ///   - padding: what lies beyond the input's edges.
    ///   - geometry: the output grid (stride, origin, length); one stride or origin serves every axis.
    /// - Returns: the output, computed in `Double` and rounded once to `T`.
    public static func forward<T: ShiftFloatingPoint>(
        _ x: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
        padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
    ) -> Tensor<T> {
        let problem = Problem(x.shape, geometry)
        let input = x.elements.map(Double.init), table = shifts.elements.map(Double.init)
        var y = [Double](repeating: 0, count: problem.outputCount)
        for n in 0..<problem.batch {
            for c in 0..<problem.channels {
                let axes = problem.axes(shifts: problem.effective(table, channel: c, mode: mode), padding: padding)
                let inputBase = (n * problem.channels + c) * problem.inputPlane
                let outputBase = (n * problem.channels + c) * problem.outputPlane
                for (q, p) in problem.outputPositions.enumerated() {
                    var sum = 0.0
                    problem.forEachCorner(p, axes) { offset, weight, _ in sum += weight * input[inputBase + offset] }
                    y[outputBase + q] = sum
                }
            }
        }
        return try! Tensor(shape: problem.outputShape, elements: y.map { T($0) })
    }

    /// The exact gradients of ``forward(_:shifts:mode:padding:geometry:)``.
    ///
    /// The input gradient is the forward's transpose applied to `gradOutput`: each input element
    /// collects every output that reads it, with that output's corner weight. The shift gradient is
    /// the derivative of the bilinear (trilinear, ...) weights at the shifts as given, before any
    /// rounding, summed over the batch and the output positions; there is none in the grouped mode.
    ///
    /// - Parameters:
    ///   - gradOutput: `[N, C, output spatial...]`, the gradient of a loss with respect to the output.
    ///   - input: the forward's input, `[N, C, D1, ..., Dk]`.
    ///   - shifts: `[C, k]`.
    ///   - mode: as in the forward.
    ///   - padding: as in the forward.
    ///   - geometry: as in the forward.
    /// - Returns: the input gradient (the input's shape, dense) and the shift gradient `[C, k]`, or
    ///   nil in the grouped mode.
    public static func backward<T: ShiftFloatingPoint>(
        gradOutput: Tensor<T>, input x: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
        padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
    ) -> (input: Tensor<T>, shifts: Tensor<T>?) {
        let problem = Problem(x.shape, geometry)
        let input = x.elements.map(Double.init), g = gradOutput.elements.map(Double.init)
        let table = shifts.elements.map(Double.init)
        let k = problem.rank
        var gx = [Double](repeating: 0, count: input.count)
        var gs = [Double](repeating: 0, count: problem.channels * k)
        for n in 0..<problem.batch {
            for c in 0..<problem.channels {
                let sampled = problem.axes(shifts: problem.effective(table, channel: c, mode: mode), padding: padding)
                let raw = problem.axes(shifts: Array(table[c * k..<(c + 1) * k]), padding: padding)
                let inputBase = (n * problem.channels + c) * problem.inputPlane
                let outputBase = (n * problem.channels + c) * problem.outputPlane
                for (q, p) in problem.outputPositions.enumerated() {
                    let gp = g[outputBase + q]
                    problem.forEachCorner(p, sampled) { offset, weight, _ in gx[inputBase + offset] += weight * gp }
                    // The output falls as the shift grows: d/ds of the weight of the upper tap
                    // along axis j is -1, of the lower +1, times the other axes' weights.
                    problem.forEachCorner(p, raw) { offset, _, upper in
                        let value = input[inputBase + offset]
                        for j in 0..<k {
                            var w: Double = upper(j) ? 1 : -1
                            for m in 0..<k where m != j {
                                let t = raw[m].fraction[p[m]]
                                w *= upper(m) ? t : 1 - t
                            }
                            gs[c * k + j] -= gp * w * value
                        }
                    }
                }
            }
        }
        let gradInput = try! Tensor(shape: x.shape, elements: gx.map { T($0) })
        let gradShifts = mode == .grouped ? nil : try! Tensor(shape: [problem.channels, k], elements: gs.map { T($0) })
        return (gradInput, gradShifts)
    }
}

/// The sizes of one reference problem and the walk over its samples.
private struct Problem {
    /// Where one output position reads along one axis: per output index, the lower and upper taps
    /// (nil for a zero) and the upper tap's weight.
    struct Axis {
        var lower: [Int?]
        var upper: [Int?]
        var fraction: [Double]
    }

    let batch: Int
    let channels: Int
    let rank: Int
    let inputSize: [Int]
    let outputSize: [Int]
    let stride: [Int]
    let origin: [Int]
    let inputPlane: Int
    let outputPlane: Int
    /// Every output spatial multi-index, row-major.
    let outputPositions: [[Int]]

    init(_ shape: [Int], _ geometry: ShiftGeometry) {
        batch = shape[0]
        channels = shape[1]
        rank = shape.count - 2
        inputSize = Array(shape.dropFirst(2))
        stride = geometry.stride.count == 1 ? Array(repeating: geometry.stride[0], count: rank) : geometry.stride
        origin = geometry.origin.count == 1 ? Array(repeating: geometry.origin[0], count: rank) : geometry.origin
        outputSize = geometry.outputSize ?? zip(inputSize, stride).map { ($0 + $1 - 1) / $1 }
        inputPlane = inputSize.reduce(1, *)
        outputPlane = outputSize.reduce(1, *)
        outputPositions = outputSize.reduce([[]]) { prefixes, n in prefixes.flatMap { p in (0..<n).map { p + [$0] } } }
    }

    var outputShape: [Int] { [batch, channels] + outputSize }
    var outputCount: Int { batch * channels * outputPlane }

    /// Channel `c`'s shifts as the sampling reads them: as given in the active mode, rounded half
    /// to even in the integer modes.
    func effective(_ table: [Double], channel c: Int, mode: ShiftMode) -> [Double] {
        let row = table[c * rank..<(c + 1) * rank]
        return mode == .active ? Array(row) : row.map { $0.rounded(.toNearestOrEven) }
    }

    /// Per axis, where each output index samples: position `p * stride + origin - shift`.
    func axes(shifts: [Double], padding: ShiftPadding) -> [Axis] {
        (0..<rank).map { j in
            var axis = Axis(lower: [], upper: [], fraction: [])
            for p in 0..<outputSize[j] {
                let u = Double(p * stride[j] + origin[j]) - shifts[j]
                let floor = u.rounded(.down)
                axis.lower.append(ReferenceShift.tap(Int(floor), length: inputSize[j], padding: padding))
                axis.upper.append(ReferenceShift.tap(Int(floor) + 1, length: inputSize[j], padding: padding))
                axis.fraction.append(u - floor)
            }
            return axis
        }
    }

    /// Calls `body` for each of the 2^k input samples output `p` blends, lower taps first along
    /// the first axis, skipping those the padding makes zero; `body` gets the sample's offset in
    /// the input plane, its weight, and whether it is the upper tap along a given axis.
    func forEachCorner(_ p: [Int], _ axes: [Axis], _ body: (Int, Double, (Int) -> Bool) -> Void) {
        corners: for bits in 0..<(1 << rank) {
            let upper = { (j: Int) in bits >> (rank - 1 - j) & 1 == 1 }
            var offset = 0, weight = 1.0
            for j in 0..<rank {
                let t = axes[j].fraction[p[j]]
                guard let i = upper(j) ? axes[j].upper[p[j]] : axes[j].lower[p[j]] else { continue corners }
                offset = offset * inputSize[j] + i
                weight *= upper(j) ? t : 1 - t
            }
            body(offset, weight, upper)
        }
    }
}

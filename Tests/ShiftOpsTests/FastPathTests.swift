import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The fast kernels against the naive reference on random, odd and tiny shapes, through both the
/// flattened-plane path (dense, stride 1) and the row path. These shapes are below the kernels'
/// parallel grain: ``ThreadingTests`` covers several threads.
@Suite struct FastPathTests {
    @Test(arguments: 1...3)
    func randomShapesAndThreadCounts(k: Int) throws {
        var generator = SeededGenerator(seed: UInt64(100 + k))
        for trial in 0..<24 {
            let mode = ShiftMode.allCases[trial % 3]
            let padding = ShiftPadding.allCases[trial % 5]
            let spatial = (0..<k).map { _ in [1, 2, 3, Int.random(in: 1...9, using: &generator)][Int.random(in: 0...3, using: &generator)] }
            let stride = trial % 4 == 3 ? [Int.random(in: 1...3, using: &generator)] : [1]
            let origin = trial % 5 == 4 ? [Int.random(in: -2...2, using: &generator)] : [0]
            let shape = [Int.random(in: 1...2, using: &generator), Int.random(in: 1...4, using: &generator)] + spatial
            let config = ShiftCase(k: k, mode: mode, padding: padding, geometry: ShiftGeometry(stride: stride, origin: origin))
            let x = try Tensor<Double>.random(shape: shape, seed: UInt64(trial))
            let s: Tensor<Double> = try Tensor(shape: [shape[1], k], elements: (0..<shape[1] * k).map { _ in
                let v = Double.random(in: -4...4, using: &generator)
                return mode == .grouped ? v.rounded() : v
            })
            let expected = config.reference(x, s)
            let g = try Tensor<Double>.random(shape: expected.shape, seed: UInt64(50 + trial))
            let expectedGradients = config.referenceBackward(g, x, s)
            let (y, gradients) = (try config.forward(x, s), try config.backward(g, x, s))
            expectClose(y, expected, tolerance: 1e-13, "\(config) \(shape)")
            expectClose(gradients.input, expectedGradients.input, tolerance: 1e-12, "\(config) \(shape)")
            if let shifts = gradients.shifts { expectClose(shifts, expectedGradients.shifts!, tolerance: 1e-11, "\(config) \(shape)") }
            // Non-contiguous: the same input seen through a transposed copy of its spatial axes.
            let axes = [0, 1] + Array((2..<k + 2).reversed())
            let transposed = try x.permuted(axes).contiguous().permuted(axes)
            expectClose(try config.forward(transposed, s), expected, tolerance: 1e-13, "\(config) transposed")
        }
    }

    /// The periodic modes reduce a shift modulo the period; the reduced base must stay near the
    /// axis, or no output would be padding-free and every sample would take the slow path
    /// (reflect and symmetric at -57.5 on 56 samples once had an empty interior).
    ///
    /// For every padding and many shifts, origins, strides and lengths: the base reads the same
    /// samples as the unreduced one, `interior` is exactly the outputs whose taps all fall inside
    /// the axis, and no base that reads the same samples has a longer such run.
    @Test(arguments: ShiftPadding.allCases)
    func interiorIsAsLongAsTheShiftAllows(padding: ShiftPadding) {
        func run(base: Int, taps: Int, length: Int, count: Int, step: Int) -> [Int] {
            (0..<count).filter { p in (0..<taps).allSatisfy { b in (0..<length).contains(p * step + base + b) } }
        }
        var checked = 0
        for length in [1, 2, 3, 7, 56] {
            for step in [1, 2, 3] {
                let count = (length + step - 1) / step
                for origin in [-3, 0, 2] {
                    for shift in [-57.5, -57.0, -13.25, -2.5, -1.0, 0.0, 0.4, 1.3, 2.0, 55.5, 111.75, 1e6 + 0.5] {
                        let taps = AxisTaps<Double>(shift: shift, origin: origin, length: length, count: count,
                                                    step: step, padding: padding, sampling: .interpolate)
                        let unreduced = origin + Int((-shift).rounded(.down))
                        let label = "\(padding) length \(length) step \(step) origin \(origin) shift \(shift): base \(taps.base), interior \(taps.interior)"
                        let valid = run(base: taps.base, taps: taps.taps, length: length, count: count, step: step)
                        #expect(Array(taps.interior) == valid, "\(label); valid \(valid)")
                        if let period = padding.period(length: length) {
                            #expect((taps.base - unreduced) % period == 0, "\(label): not congruent to \(unreduced)")
                            let best = (-4...4).map { m in
                                run(base: taps.base + m * period, taps: taps.taps, length: length, count: count, step: step).count
                            }.max()!
                            #expect(taps.interior.count == best, "\(label): a congruent base reaches \(best)")
                        } else if abs(unreduced) < length + count * step {
                            #expect(taps.base == unreduced, "\(label)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 5 * 3 * 3 * 12)
        // The case the old test waved through, on 56 samples: periodic content past the edge is a
        // straight copy (54 of 56 outputs padding-free); reflected and symmetric content is
        // mirrored, so only the outputs that reach back across the mirror are (3 and 1).
        let regression = AxisTaps<Double>(shift: -57.5, origin: 0, length: 56, count: 56, step: 1, padding: padding,
                                          sampling: .interpolate)
        let expected = [ShiftPadding.zeros: 0, .border: 0, .periodic: 54, .reflect: 3, .symmetric: 1][padding]!
        #expect(regression.interior.count == expected, "\(padding): \(regression.interior)")
    }
}

import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// SPEC §5: the adjoint identity for gradInput and central finite differences for gradShifts, in
/// Double, at non-lattice shifts, for every mode x padding x rank, on every grid of the shared case list.
@Suite struct GradientTests {
    static let cases: [ShiftCase] = ShiftCase.allGeometries

    @Test(arguments: cases)
    func adjointIdentity(config: ShiftCase) throws {
        let x = try Tensor<Double>.random(shape: config.shape(), seed: 1)
        let s: Tensor<Double> = config.shifts(channels: 3, seed: 2)
        let y = try config.forward(x, s)
        let g = try Tensor<Double>.random(shape: y.shape, seed: 3)
        let v = try Tensor<Double>.random(shape: x.shape, seed: 4)
        let gradients = try config.backward(g, x, s)
        let lhs = dot(g, try config.forward(v, s))
        let rhs = dot(gradients.input, v)
        #expect(abs(lhs - rhs) <= 1e-12 * Swift.max(abs(lhs), 1), "<g, f(v)> = \(lhs), <f^T g, v> = \(rhs)")
        let reference = config.referenceBackward(g, x, s)
        expectClose(gradients.input, reference.input, tolerance: 1e-13)
        #expect((gradients.shifts == nil) == (config.mode == .grouped))
        if let shifts = gradients.shifts { expectClose(shifts, reference.shifts!, tolerance: 1e-12) }
    }

    @Test(arguments: cases.filter { $0.mode != .grouped })
    func shiftGradientMatchesFiniteDifferences(config: ShiftCase) throws {
        var active = config
        active.mode = .active  // sparse learns through the active derivative at the unrounded shift
        let x = try Tensor<Double>.random(shape: config.shape(), seed: 5)
        var s: Tensor<Double> = config.shifts(channels: 3, seed: 6)
        let g = try Tensor<Double>.random(shape: try config.forward(x, s).shape, seed: 7)
        let analytic = try config.backward(g, x, s).shifts!
        let h = 1e-6
        for c in 0..<3 {
            for j in 0..<config.k {
                let original = s[c, j]
                s[c, j] = original + h
                let plus = dot(g, try active.forward(x, s))
                s[c, j] = original - h
                let minus = dot(g, try active.forward(x, s))
                s[c, j] = original
                let numeric = (plus - minus) / (2 * h)
                let scale = Swift.max(abs(numeric), 1)
                #expect(abs(numeric - analytic[c, j]) <= 1e-6 * scale,
                        "[\(c), \(j)] numeric \(numeric) analytic \(analytic[c, j])")
            }
        }
    }

    @Test func latticeDerivativeUsesTheCellAbove() throws {
        // At an integer shift the derivative is the one of the cell [f, f + 1] (SPEC §4), i.e. the
        // right-sided derivative in u: the left-sided difference of s.
        let x = try Tensor<Double>.random(shape: [1, 1, 6, 6], seed: 8)
        let g = try Tensor<Double>.random(shape: [1, 1, 6, 6], seed: 9)
        let s = try Tensor<Double>(shape: [1, 2], elements: [1, -2])
        let analytic = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect).shifts!
        for j in 0..<2 {
            var below = s
            below[0, j] -= 1e-7
            let f0 = dot(g, try shift2d(x, shifts: s, padding: .reflect))
            let f1 = dot(g, try shift2d(x, shifts: below, padding: .reflect))
            let numeric = (f0 - f1) / 1e-7
            #expect(abs(numeric - analytic[0, j]) <= 1e-5 * Swift.max(abs(numeric), 1))
        }
    }

    /// SPEC §5: each gradInput element is a direct sum of the contributions of the outputs that
    /// read it, so an input no output reads is exactly zero (a difference that cancels would leave
    /// ~1e-8 there), on every layout, mode, padding and rank.
    @Test(.tags(.slow), .skippedInFastLane, arguments: ShiftCase.all)
    func inputsNoOutputReadsGetExactlyZero(base: ShiftCase) throws {
        for geometry in [ShiftGeometry.identity, ShiftGeometry(stride: [2], origin: [0])] {
            var config = base
            config.geometry = geometry
            let shape = [2, 5] + [[23], [9, 11], [5, 6, 7]][config.k - 1]
            let x = try Tensor<Float>.random(shape: shape, seed: 20)
            // Large shifts, so that many inputs are read by no output under zero padding.
            var generator = SeededGenerator(seed: 21)
            let s = try Tensor<Float>(shape: [5, config.k], elements: (0..<5 * config.k).map { _ in
                let v = Float.random(in: -4.5...4.5, using: &generator)
                return config.mode == .grouped ? v.rounded() : v
            })
            let y = try config.forward(x, s)
            let g = try Tensor<Float>.random(shape: y.shape, in: 0.5...1, seed: 22)   // no zero in g
            // Which inputs some output reads: the reference backward of an all-ones g, in Double.
            let ones = try Tensor<Double>(shape: y.shape, repeating: 1)
            let xd = try Tensor<Double>(shape: x.shape, elements: x.elements.map(Double.init))
            let sd = try Tensor<Double>(shape: s.shape, elements: s.elements.map(Double.init))
            let reach = config.referenceBackward(ones, xd, sd).input.elements
            for layout in [x, try x.channelsLast()] {
                let gradients = try config.backward(g, layout, s).input.elements
                let unread = zip(gradients, reach).filter { $0.1 == 0 }
                #expect(!unread.isEmpty || config.padding != .zeros || geometry.stride != [1], "\(config): every input is read")
                let nonZero = unread.filter { $0.0 != 0 }
                #expect(nonZero.isEmpty, "\(config): \(nonZero.count) of \(unread.count) unread inputs are \(nonZero.prefix(3).map(\.0))")
            }
        }
    }
}

import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport
@testable import ShiftOpsTool

@Suite struct LayerTests {
    @Test(arguments: [1, 2, 3])
    func forwardAndBackwardEqualTheOps(k: Int) throws {
        for mode in ShiftMode.allCases {
            let config = ShiftCase(k: k, mode: mode, padding: .reflect, geometry: ShiftGeometry(stride: 2))
            var layer = try ShiftLayer<Double>(channels: 3, spatialRank: k, mode: mode, padding: .reflect,
                                               sampling: .fixed(ShiftGeometry(stride: 2)),
                                               initialization: mode == .grouped ? .grouped(kernelSize: 3, assignment: .contiguous)
                                                                                : .uniform(bound: 2), seed: 5)
            let x = try Tensor<Double>.random(shape: config.shape(), seed: 1)
            let y = try layer(x)
            #expect(y.elements == (try config.forward(x, layer.shifts)).elements)
            let g1 = try Tensor<Double>.random(shape: y.shape, seed: 2), g2 = try Tensor<Double>.random(shape: y.shape, seed: 3)
            let gx = try layer.backward(gradOutput: g1, input: x)
            _ = try layer.backward(gradOutput: g2, input: x)
            let expected1 = try config.backward(g1, x, layer.shifts), expected2 = try config.backward(g2, x, layer.shifts)
            #expect(gx.elements == expected1.input.elements)
            if mode == .grouped {
                #expect(layer.shiftGradient.elements.allSatisfy { $0 == 0 })
                #expect(try layer.updateGradient().elements.allSatisfy { $0 == 0 })
            } else {
                // Accumulated over the two batches.
                let sum = zip(expected1.shifts!.elements, expected2.shifts!.elements).map { $0 + $1 }
                #expect(zip(layer.shiftGradient.elements, sum).allSatisfy { abs($0 - $1) <= 1e-12 * max(abs($1), 1) })
                layer.zeroGradient()
                #expect(layer.shiftGradient.elements.allSatisfy { $0 == 0 })
            }
        }
    }

    @Test func gradientOptionsFollowTheirFormulas() throws {
        let shifts = try Tensor<Double>(shape: [3, 2], elements: [0.3, -1.6, 0, 2.2, -0.5, 0.49])
        let raw = try Tensor<Double>(shape: [3, 2], elements: [3, 4, 0, 0, -1, 1])
        func expected(_ c: Int, _ scaling: ShiftGradientOptions<Double>.Scaling, lambda: Double, decay: Double) -> [Double] {
            var g = (0..<2).map { raw[c, $0] + lambda * (shifts[c, $0] > 0 ? 1 : shifts[c, $0] < 0 ? -1 : 0) }
            let norm = (g[0] * g[0] + g[1] * g[1]).squareRoot()
            switch scaling {
            case .none: break
            case .normalize: if norm > 0 { g = g.map { $0 / norm } }
            case .clip(let m): if norm > m { g = g.map { $0 * m / norm } }
            }
            return (0..<2).map { g[$0] + decay * (shifts[c, $0] - shifts[c, $0].rounded(.toNearestOrEven)) }
        }
        for scaling: ShiftGradientOptions<Double>.Scaling in [.none, .normalize, .clip(maximumNorm: 2)] {
            for (lambda, decay) in [(0.0, 0.0), (0.1, 0.0), (0.0, 0.5), (0.2, 0.3)] {
                let options = ShiftGradientOptions(sparsity: lambda, scaling: scaling, latticeDecay: decay)
                let result = try options.apply(to: raw, shifts: shifts)
                for c in 0..<3 {
                    let want = expected(c, scaling, lambda: lambda, decay: decay)
                    for j in 0..<2 { #expect(abs(result[c, j] - want[j]) <= 1e-15, "\(scaling) \(lambda) \(decay) [\(c), \(j)]") }
                }
            }
        }
        // Normalize leaves a zero vector alone; clip leaves short vectors alone.
        let normalized = try ShiftGradientOptions<Double>(scaling: .normalize).apply(to: raw, shifts: shifts)
        #expect(normalized[1, 0] == 0 && normalized[1, 1] == 0 && abs(normalized[0, 0] - 0.6) < 1e-15)
        let clipped = try ShiftGradientOptions<Double>(scaling: .clip(maximumNorm: 10)).apply(to: raw, shifts: shifts)
        #expect(clipped.elements == raw.elements)
        #expect(throws: ShiftOpsError.self) { try ShiftGradientOptions<Double>(scaling: .clip(maximumNorm: 0)).apply(to: raw, shifts: shifts) }
        // The sparsity loss and its gradient through the layer.
        var layer = try ShiftLayer<Double>(channels: 3, spatialRank: 2, gradientOptions: .init(sparsity: 0.5))
        layer.shifts = shifts
        #expect(abs(layer.sparsityLoss - 0.5 * (0.3 + 1.6 + 0 + 2.2 + 0.5 + 0.49)) < 1e-15)
        #expect(try layer.updateGradient().elements == [0.5, -0.5, 0, 0.5, -0.5, 0.5])
    }

    @Test func initialisationRangesAndReproducibility() throws {
        let uniform = try ShiftInitialization<Float>.uniform(bound: 1.5).shifts(channels: 500, spatialRank: 2, seed: 3)
        #expect(uniform.elements.allSatisfy { abs($0) <= 1.5 })
        #expect(uniform.elements.contains { $0 > 1.2 } && uniform.elements.contains { $0 < -1.2 })
        #expect(uniform.elements == (try ShiftInitialization<Float>.uniform(bound: 1.5).shifts(channels: 500, spatialRank: 2, seed: 3)).elements)
        #expect(uniform.elements != (try ShiftInitialization<Float>.uniform(bound: 1.5).shifts(channels: 500, spatialRank: 2, seed: 4)).elements)
        let signed = try ShiftInitialization<Double>.signedMagnitude(bound: 2).shifts(channels: 500, spatialRank: 3, seed: 1)
        #expect(signed.elements.allSatisfy { abs($0) <= 2 })
        let negative = signed.elements.filter { $0 < 0 }.count
        #expect(negative > 600 && negative < 900, "independent signs: \(negative) of 1500 negative")
        #expect(throws: ShiftOpsError.self) { try ShiftInitialization<Double>.uniform(bound: -1).shifts(channels: 2, spatialRank: 1, seed: 0) }
    }

    @Test func groupedAssignments() throws {
        let interleaved = try groupedShifts(channels: 10, kernelSize: 3, spatialRank: 2, as: Double.self)
        #expect(interleaved.elements == [-1, -1, -1, 0, -1, 1, 0, -1, 0, 0, 0, 1, 1, -1, 1, 0, 1, 1, -1, -1])
        let contiguous = try groupedShifts(channels: 6, kernelSize: 3, spatialRank: 1, assignment: .contiguous, as: Double.self)
        #expect(contiguous.elements == [-1, -1, 0, 0, 1, 1])
        let wide = try groupedShifts(channels: 25, kernelSize: 5, spatialRank: 2, as: Float.self)
        #expect(Set(wide.elements.indices.map { i in i % 2 == 0 ? "\(wide.elements[i]),\(wide.elements[i + 1])" : "" }).count == 26)
        #expect(throws: ShiftOpsError.self) { try groupedShifts(channels: 4, kernelSize: 2, spatialRank: 2, as: Float.self) }
    }

    @Test(arguments: [(3, 1, 0), (3, 1, 1), (3, 2, 1), (5, 1, 2), (5, 2, 0), (3, 2, 2), (5, 1, 1)])
    func convolutionEmulationShapes(kernel: Int, stride: Int, padding: Int) throws {
        var layer = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 4, spatialRank: 2, kernelSize: kernel,
                                          stride: stride, convolutionPadding: padding, seed: 1)
        #expect(layer.shifts.elements.allSatisfy { abs($0) <= Float((kernel - 1) / 2) })
        for (h, w) in [(11, 14), (8, 8), (kernel, kernel + 1)] {
            let x = try Tensor<Float>.random(shape: [2, 4, h, w], seed: 2)
            let y = try layer(x)
            #expect(y.shape == [2, 4, (h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1])
            let g = try Tensor<Float>.random(shape: y.shape, seed: 3)
            #expect(try layer.backward(gradOutput: g, input: x).shape == x.shape)
        }
        if kernel == 3 && padding == 1 && stride == 1 {
            // The padding-1, 3x3 case keeps the size and the centre: origin 0.
            let x = try Tensor<Float>.random(shape: [1, 4, 6, 6], seed: 4)
            let grouped = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 4, spatialRank: 2, kernelSize: 3,
                                                stride: 1, convolutionPadding: 1, mode: .grouped)
            #expect(try grouped(x).elements == (try shift2d(x, shifts: grouped.shifts, mode: .grouped)).elements)
        }
    }

    /// README: the grouped assignment is an initialisation; the mode decides whether a layer learns.
    @Test func groupedInitialisationLearnsUnlessTheModeIsGrouped() throws {
        let x = try Tensor<Double>.random(shape: [2, 9, 8, 8], seed: 1)
        let g = try Tensor<Double>.random(shape: x.shape, seed: 2)
        for mode in ShiftMode.allCases {
            var layer = try ShiftLayer<Double>(channels: 9, spatialRank: 2, mode: mode,
                                               initialization: .grouped(kernelSize: 3, assignment: .interleaved))
            let start = layer.shifts
            #expect(start.elements == (try groupedShifts(channels: 9, kernelSize: 3, spatialRank: 2, assignment: .interleaved)).elements)
            _ = try layer.backward(gradOutput: g, input: x)
            var optimizer = SGD<Double>(learningRate: 0.1)
            try optimizer.step(&layer, path: "shift")
            let moved = zip(layer.shifts.elements, start.elements).contains { $0 != $1 }
            #expect(moved == (mode != .grouped), "\(mode)")
        }
    }

    @Test func sgdWithMomentumAndWeightDecay() throws {
        var optimizer = SGD<Double>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        optimizer.learningRateMultipliers["b"] = 10
        var parameters = ["a": try Tensor<Double>(shape: [2], elements: [1, -2]),
                          "b": try Tensor<Double>(shape: [2], elements: [3, 4])]
        let gradients = ["a": try Tensor<Double>(shape: [2], elements: [0.5, 0.25]),
                         "b": try Tensor<Double>(shape: [2], elements: [-1, 2])]
        var expected = ["a": ([1.0, -2.0], [0.0, 0.0]), "b": ([3.0, 4.0], [0.0, 0.0])]
        for _ in 0..<3 {
            try optimizer.update(&parameters, gradients: gradients)
            for (path, rate) in [("a", 0.1), ("b", 1.0)] {
                var (p, v) = expected[path]!
                for j in 0..<2 {
                    v[j] = 0.9 * v[j] + (gradients[path]![j] + 0.01 * p[j])
                    p[j] -= rate * v[j]
                }
                expected[path] = (p, v)
            }
        }
        for path in ["a", "b"] {
            #expect(zip(parameters[path]!.elements, expected[path]!.0).allSatisfy { abs($0 - $1) < 1e-14 }, "\(path)")
            #expect(zip(optimizer.velocities[path]!.elements, expected[path]!.1).allSatisfy { abs($0 - $1) < 1e-14 })
        }
    }

    /// Two same-shaped layers stepped by one optimiser move exactly as with an optimiser each.
    @Test func sgdKeepsOneVelocityPerParameter() throws {
        func layer(_ seed: UInt64) throws -> ShiftLayer<Double> {
            try ShiftLayer<Double>(channels: 3, spatialRank: 2, mode: .active, seed: seed)
        }
        var (shared1, shared2) = (try layer(1), try layer(2))
        var (alone1, alone2) = (shared1, shared2)
        var shared = SGD<Double>(learningRate: 0.05, momentum: 0.9)
        var (first, second) = (shared, shared)
        for step in 0..<4 {
            let x = try Tensor<Double>.random(shape: [2, 3, 6, 7], seed: UInt64(10 + step))
            let g = try Tensor<Double>.random(shape: [2, 3, 6, 7], seed: UInt64(20 + step))
            func backward(_ l: inout ShiftLayer<Double>, _ gradient: Tensor<Double>) throws {
                l.zeroGradient()
                _ = try l.backward(gradOutput: gradient, input: x)
            }
            let g2 = try Tensor<Double>(shape: g.shape, elements: g.elements.map { -3 * $0 })
            try backward(&shared1, g); try backward(&alone1, g)
            try backward(&shared2, g2); try backward(&alone2, g2)
            try shared.step(&shared1, path: "one")
            try shared.step(&shared2, path: "two")
            try first.step(&alone1, path: "one")
            try second.step(&alone2, path: "two")
        }
        #expect(shared1.shifts.elements == alone1.shifts.elements)
        #expect(shared2.shifts.elements == alone2.shifts.elements)
        #expect(shared.velocities.count == 2)
    }

    /// A step that throws changes no parameter and no velocity, whichever parameter is at fault.
    @Test func sgdThrowsBeforeWritingAnything() throws {
        var optimizer = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        var parameters = ["a": try Tensor<Double>(shape: [2], elements: [1, 2]),
                          "z": try Tensor<Double>(shape: [3], elements: [1, 2, 3])]
        let good = ["a": try Tensor<Double>(shape: [2], elements: [1, 1]),
                    "z": try Tensor<Double>(shape: [3], elements: [1, 1, 1])]
        try optimizer.update(&parameters, gradients: good)
        let (parametersBefore, velocitiesBefore) = (parameters, optimizer.velocities)
        var badShape = good
        badShape["z"] = try Tensor<Double>(shape: [2], elements: [1, 1])   // the last path in order is wrong
        var missing = good
        missing["z"] = nil
        var unknown = good
        unknown["q"] = good["a"]
        for bad in [badShape, missing, unknown] {
            #expect(throws: ShiftOpsError.self) { try optimizer.update(&parameters, gradients: bad) }
            #expect(parameters["a"]!.elements == parametersBefore["a"]!.elements)
            #expect(parameters["z"]!.elements == parametersBefore["z"]!.elements)
            #expect(optimizer.velocities["a"]!.elements == velocitiesBefore["a"]!.elements)
            #expect(optimizer.velocities["z"]!.elements == velocitiesBefore["z"]!.elements)
        }
        // A parameter whose shape changed under a kept velocity.
        var reshaped = parameters
        reshaped["a"] = try Tensor<Double>(shape: [1, 2], elements: [1, 2])
        var reshapedGradients = good
        reshapedGradients["a"] = try Tensor<Double>(shape: [1, 2], elements: [1, 1])
        #expect(throws: ShiftOpsError.self) { try optimizer.update(&reshaped, gradients: reshapedGradients) }
        #expect(reshaped["z"]!.elements == parametersBefore["z"]!.elements)
    }

    @Test func shiftTablesRoundTripWithConversions() throws {
        let ours = try Tensor<Double>(shape: [3, 2], elements: [0.5, -1, 2, 0.25, -3, 1.5])  // [dy, dx]
        for layout in ShiftTableLayout.allCases {
            for convention in ShiftConvention.allCases {
                let exported = try exportShifts(ours, layout: layout, convention: convention)
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("shifts-\(UUID()).npy").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                try exported.save(npyFile: path)
                let back = try importShifts(Tensor<Double>(npyFile: path), layout: layout, convention: convention)
                #expect(back.elements == ours.elements, "\(layout) \(convention)")
            }
        }
        // Active-Shift: [2, C], x row first, opposite sign.
        let activeShift = try exportShifts(ours, layout: .activeShift, convention: .contentMovesAgainstShift)
        #expect(activeShift.shape == [2, 3])
        #expect(activeShift.elements == [1, -0.25, -1.5, -0.5, -2, 3])
        // A convention-B shift applied as such: y[i] = x[i + s].
        let x = try Tensor<Double>(shape: [1, 1, 5], elements: [1, 2, 3, 4, 5])
        let theirs = try Tensor<Double>(shape: [1, 1], elements: [1])
        let converted = try importShifts(theirs, layout: .channelsByAxis, convention: .contentMovesAgainstShift)
        #expect(try shift1d(x, shifts: converted).elements == [2, 3, 4, 5, 0])
        #expect(throws: ShiftOpsError.self) { try importShifts(Tensor<Double>(shape: [4, 3]), layout: .activeShift, convention: .contentMovesWithShift) }
    }

    @Test(arguments: [ShiftMode.sparse, .grouped])
    func quantizedLayerMatchesTheFloatPath(mode: ShiftMode) throws {
        var layer = try ShiftLayer<Float>(channels: 5, spatialRank: 2, mode: mode, padding: .zeros,
                                          initialization: mode == .grouped ? .grouped(kernelSize: 3, assignment: .interleaved) : .uniform(bound: 2), seed: 9)
        // Channel 2 shifts by zero (after rounding, for sparse) in both modes.
        (layer.shifts[2, 0], layer.shifts[2, 1]) = mode == .sparse ? (0, 0.3) : (0, 0)
        var generator = SeededGenerator(seed: 1)
        let values = (0..<2 * 5 * 6 * 7).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let q = try Tensor<UInt8>(shape: [2, 5, 6, 7], elements: values)
        let zeroPoint: UInt8 = 128
        let y = try layer(q, zeroPoint: zeroPoint)
        let dequantized = try Tensor<Float>(shape: q.shape, elements: values.map { Float($0) - 128 })
        let expected = try layer(dequantized)
        #expect(y.elements.map { Float($0) - 128 } == expected.elements)
        // A channel with zero shift is passed through unchanged.
        let passedThrough = try y.sliced(axis: 1, range: 2..<3), input = try q.sliced(axis: 1, range: 2..<3)
        #expect(passedThrough.count == 2 * 6 * 7 && passedThrough.elements == input.elements)
    }

    @Test(.tags(.slow), .skippedInFastLane, arguments: [ShiftMode.active, .sparse])
    func alignmentDemoConverges(mode: ShiftMode) throws {
        for padding in [ShiftPadding.zeros, .reflect] {
            let demo = AlignmentDemo(mode: mode, padding: padding)
            let outcome = try demo.run(progress: { _ in })
            #expect(outcome.converged(for: mode), "\(mode) \(padding): max error \(outcome.maximumError)")
            if mode == .active {
                #expect(outcome.maximumError <= 0.05)
            } else {
                // README: sparse runs stop once every rounded shift is right.
                #expect(outcome.roundsToTruth && outcome.steps < demo.steps, "\(padding): \(outcome.steps) steps")
            }
        }
    }
}

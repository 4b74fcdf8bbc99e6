import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

@Suite struct ForwardTests {
    @Test(arguments: ShiftCase.all)
    func matchesReference(base: ShiftCase) throws {
        for (g, named) in ShiftCase.geometries(rank: base.k, size: ShiftCase.spatialSizes[base.k - 1]).enumerated() {
            var config = base
            config.geometry = named.geometry
            let x = try Tensor<Double>.random(shape: config.shape(), seed: UInt64(10 + g))
            let s: Tensor<Double> = config.shifts(channels: 3, seed: UInt64(20 + g))
            expectClose(try config.forward(x, s), config.reference(x, s), tolerance: 1e-14, "\(config)")
            let xf = try Tensor<Float>.random(shape: config.shape(), seed: UInt64(30 + g))
            let sf: Tensor<Float> = config.shifts(channels: 3, seed: UInt64(40 + g))
            expectClose(try config.forward(xf, sf), config.reference(xf, sf), tolerance: 1e-6, "\(config)")
        }
    }

    @Test func explicitOutputSizeReadsPaddingBeyondTheInput() throws {
        for padding in ShiftPadding.allCases {
            let config = ShiftCase(k: 2, mode: .active, padding: padding,
                                   geometry: ShiftGeometry(stride: [2, 1], origin: [-3, 1], outputSize: [9, 0 + 11]))
            let x = try Tensor<Double>.random(shape: config.shape(), seed: 5)
            let s: Tensor<Double> = config.shifts(channels: 3, seed: 6)
            let y = try config.forward(x, s)
            #expect(y.shape == [2, 3, 9, 11])
            expectClose(y, config.reference(x, s), tolerance: 1e-14, "\(padding)")
        }
    }

    @Test func sparseEqualsActiveAtIntegersAndRoundsHalfToEven() throws {
        let x = try Tensor<Double>.random(shape: [1, 4, 9], seed: 3)
        let integral = try Tensor<Double>(shape: [4, 1], elements: [-2, 0, 1, 5])
        #expect(try shift1d(x, shifts: integral, mode: .sparse).elements
                == shift1d(x, shifts: integral, mode: .active).elements)
        let halves = try Tensor<Double>(shape: [4, 1], elements: [0.5, 1.5, -0.5, 2.4999])
        let rounded = try Tensor<Double>(shape: [4, 1], elements: [0, 2, 0, 2])
        #expect(try shift1d(x, shifts: halves, mode: .sparse).elements
                == shift1d(x, shifts: rounded, mode: .active).elements)
    }

    @Test(arguments: ShiftPadding.allCases)
    func activeIsContinuousAcrossIntegers(padding: ShiftPadding) throws {
        let x = try Tensor<Double>.random(shape: [1, 1, 6, 5], seed: 4)
        let at = { (v: Double) in try shift2d(x, shifts: Tensor(shape: [1, 2], elements: [v, -v]), padding: padding) }
        let exact = try at(1)
        for v in [1 - 1e-9, 1 + 1e-9] {
            expectClose(try at(v), exact, tolerance: 1e-8)
        }
    }

    @Test func layoutDoesNotChangeResults() throws {
        for config in ShiftCase.all where config.mode != .grouped || config.padding == .reflect {
            let x = try Tensor<Double>.random(shape: config.shape(batch: 2, channels: 4), seed: 8)
            let s: Tensor<Double> = config.shifts(channels: 4, seed: 9)
            let expected = try config.forward(x, s)
            let channelsLast = try x.channelsLast()
            let last = try config.forward(channelsLast, s)
            #expect(last.elements == expected.elements, "channels-last \(config)")
            #expect(last.dimensionOrder == channelsLast.dimensionOrder, "output keeps the input's order")
            // A reversed-axes copy viewed back to logical order: every stride is unusual.
            let reversed = Array((0..<x.rank).reversed())
            let permuted = try x.permuted(reversed).contiguous().permuted(reversed)
            #expect(try config.forward(permuted, s).elements == expected.elements, "permuted \(config)")
            // A slice of a larger tensor (every other element along the last axis).
            var wide = x.shape
            wide[x.rank - 1] *= 2
            var big = try Tensor<Double>(shape: wide)
            for (i, v) in x.elements.enumerated() {
                var rest = i
                var index = [Int](repeating: 0, count: x.rank)
                for a in (0..<x.rank).reversed() { index[a] = rest % x.shape[a]; rest /= x.shape[a] }
                index[x.rank - 1] *= 2
                big[index] = v
            }
            let sliced = try big.sliced(axis: x.rank - 1, range: 0..<wide[x.rank - 1], step: 2)
            #expect(try config.forward(sliced, s).elements == expected.elements, "sliced \(config)")
            // Transposed shift table.
            let st = try s.transposed(0, 1).contiguous().transposed(0, 1)
            #expect(try config.forward(x, st).elements == expected.elements, "strided shifts \(config)")
        }
    }

    /// The any-rank entry points and the rank-specific ones are the same ops (the other tests go
    /// through the former).
    @Test(arguments: 1...3)
    func anyRankEntryEqualsTheRankSpecificOps(k: Int) throws {
        let config = ShiftCase(k: k, mode: .active, padding: .symmetric, geometry: ShiftGeometry(stride: 2, origin: 1))
        let x = try Tensor<Double>.random(shape: config.shape(), seed: 3)
        let s: Tensor<Double> = config.shifts(channels: 3, seed: 4)
        let (mode, padding, geometry) = (config.mode, config.padding, config.geometry)
        let y = try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        let specific: Tensor<Double>
        let gradients: ShiftGradients<Double>
        let g = try Tensor<Double>.random(shape: y.shape, seed: 5)
        switch k {
        case 1:
            specific = try shift1d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            gradients = try shift1dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2:
            specific = try shift2d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            gradients = try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default:
            specific = try shift3d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            gradients = try shift3dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
        #expect(bitwiseDifferences(y, specific) == 0)
        expectClose(y, config.reference(x, s), tolerance: 1e-13)
        let generic = try shiftBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        #expect(bitwiseDifferences(generic.input, gradients.input) == 0)
        #expect(bitwiseDifferences(generic.shifts!, gradients.shifts!) == 0)
        var into = try Tensor<Double>(shape: y.shape)
        try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry, into: &into)
        #expect(bitwiseDifferences(into, y) == 0)
        let q = try Tensor<Int8>(shape: x.shape, elements: x.elements.map { Int8($0 * 100) })
        let rounded = try Tensor<Double>(shape: s.shape, elements: s.elements.map { $0.rounded(.toNearestOrEven) })
        let qy = try shift(q, shifts: s, mode: .sparse, padding: padding, geometry: geometry, fill: 7)
        let floaty = try shift(Tensor<Double>(shape: q.shape, elements: q.elements.map(Double.init)), shifts: rounded,
                               mode: .grouped, padding: padding, geometry: geometry)
        #expect(qy.elements.map(Double.init) == floaty.elements)
    }

    @Test func anyRankEntryRefusesRanksOutsideOneToThree() throws {
        for shape in [[2, 3], [1, 1, 2, 2, 2, 2]] {
            let x = try Tensor<Float>(shape: shape)
            do {
                _ = try shift(x, shifts: Tensor<Float>(shape: [shape[1], 1]))
                Issue.record("rank \(shape.count) accepted")
            } catch let error as ShiftOpsError {
                #expect(error.code == .invalidRank && error.argument == "input" && error.message.contains("rank 3, 4 or 5"), "\(error)")
            }
            #expect(throws: ShiftOpsError.self) { try shiftBackward(gradOutput: x, input: x, shifts: Tensor<Float>(shape: [shape[1], 1])) }
        }
    }

    @Test func emptyTensorsGiveEmptyResults() throws {
        for shape in [[0, 3, 5, 5], [2, 0, 5, 5], [2, 3, 0, 5], [2, 3, 5, 0]] {
            let x = try Tensor<Float>(shape: shape)
            let s = try Tensor<Float>(shape: [shape[1], 2], repeating: 0.5)
            let y = try shift2d(x, shifts: s, padding: .zeros)
            #expect(y.shape == shape)
            #expect(y.count == 0)
            let g = try shift2dBackward(gradOutput: y, input: x, shifts: s)
            #expect(g.input.shape == shape)
            #expect(g.shifts?.shape == [shape[1], 2])
            #expect(g.shifts?.elements.allSatisfy { $0 == 0 } == true)
        }
    }

    @Test func nonFiniteInputsPropagateWithoutCrashing() throws {
        let x = try Tensor<Double>(shape: [1, 1, 5], elements: [1, .nan, 3, .infinity, 5])
        let s = try Tensor<Double>(shape: [1, 1], elements: [0.5])
        let y = try shift1d(x, shifts: s, padding: .border)
        let expected = ReferenceShift.forward(x, shifts: s, padding: .border)
        #expect(y.maximumRelativeDifference(to: expected) == 0)
        #expect(y[0, 0, 1].isNaN && y[0, 0, 2].isNaN && y[0, 0, 4].isInfinite)
        let g = try shift1dBackward(gradOutput: y, input: x, shifts: s, padding: .border)
        #expect(g.shifts![0, 0].isNaN)
        // At an integer shift the zero-weight neighbour is not read: the NaN stays where it is.
        let integral = try shift1d(x, shifts: Tensor(shape: [1, 1], elements: [1]), padding: .zeros)
        #expect(integral[0, 0, 0] == 0 && integral[0, 0, 1] == 1 && integral[0, 0, 2].isNaN && integral[0, 0, 3] == 3)
    }
}

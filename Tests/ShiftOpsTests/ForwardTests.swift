import Testing
@testable import ShiftOps

@Suite struct ForwardTests {
    static let geometries: [ShiftGeometry] = [
        .identity,
        ShiftGeometry(stride: 2),
        ShiftGeometry(stride: [1], origin: [2]),
        ShiftGeometry(stride: [3], origin: [-1], outputSize: nil),
    ]

    @Test(arguments: ShiftCase.all)
    func matchesReference(base: ShiftCase) throws {
        for (g, geometry) in Self.geometries.enumerated() {
            var config = base
            config.geometry = geometry
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

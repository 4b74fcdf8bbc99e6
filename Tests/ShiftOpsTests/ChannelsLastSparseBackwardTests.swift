import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The channels-last sparse backward (``ChannelsLastNeighbours/sparseBackward(_:input:gradOutput:shifts:gradInput:partials:inputShape:plan:)``):
/// the input gradient from the integer gather, the NCHW kernels' bits; the shift gradient from the
/// neighbourhood backward's sums over the interpolated taps, the active channels-last backward's
/// bits, and NCHW's sparse shift gradient within the layouts' tolerance.
@Suite struct ChannelsLastSparseBackwardTests {
    /// The active backward's images and problems: every pixel an edge one, and larger.
    typealias Active = ChannelsLastNeighboursBackwardTests

    @Test(arguments: ShiftPadding.allCases, Active.shapes)
    func givesTheIntegerAdjointAndTheActiveShiftGradient(padding: ShiftPadding, shape: [Int]) throws {
        let (x, g, s) = try Active.problem(shape, seed: 201)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: padding).path
                == .channelsLastSparseNeighbours)
        let ours = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: padding)
        #expect(ours.input.dimensionOrder == xLast.dimensionOrder)
        let nchw = try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: .sparse, padding: padding)
        #expect(bitwiseDifferences(ours.input, nchw.input) == 0, "input gradient \(padding) \(shape)")
        let oursShifts = try #require(ours.shifts)
        #expect(Tolerance.relativeError(oursShifts, try #require(nchw.shifts)) <= Tolerance.shiftGradient(Float.self),
                "shift gradient \(padding) \(shape)")
        // The active channels-last backward takes the same sums from the same taps.
        let active = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, padding: padding)
        #expect(bitwiseDifferences(oursShifts, try #require(active.shifts)) == 0, "shift gradient \(padding) \(shape)")
        // And the exact sparse gradients.
        let exact = ReferenceShift.backward(gradOutput: g, input: x, shifts: s, mode: .sparse, padding: padding)
        #expect(Tolerance.relativeError(ours.input, exact.input) <= Tolerance.result(Float.self))
    }

    /// Origins other than 0 and shifts at half-way points, where the rounded offset (half to
    /// even) and the interpolated base differ: the bases `origin + floor(-shift)` stay -1 or 0 and
    /// the rounded offsets within -1 ... 1, at the portable level and the level in use.
    @Test(arguments: ShiftPadding.allCases)
    func originsAndHalfwayShifts(padding: ShiftPadding) throws {
        for (origin, values) in [(1, [Float(0.5), 1.5, 0.51, 1.49]), (-1, [Float(-0.5), -1.5, -0.49, -1.49])] {
            let shape = [2, 8, 5, 7]
            let x = try Tensor<Float>.random(shape: shape, seed: 241), g = try Tensor<Float>.random(shape: shape, seed: 242)
            let s = try Tensor<Float>(shape: [8, 2], elements: (0..<16).map { values[($0 + $0 / 4) % 4] })
            let geometry = ShiftGeometry(stride: [1], origin: [origin])
            let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
            let nchw = try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: .sparse, padding: padding, geometry: geometry)
            for level in [0, VectorLevel.selected] {
                try VectorLevel.$limit.withValue(level) {
                    #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: padding,
                                                 geometry: geometry).path == .channelsLastSparseNeighbours)
                    let ours = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: padding,
                                                   geometry: geometry)
                    #expect(bitwiseDifferences(ours.input, nchw.input) == 0, "origin \(origin), level \(level)")
                    #expect(Tolerance.relativeError(try #require(ours.shifts), try #require(nchw.shifts))
                            <= Tolerance.shiftGradient(Float.self), "origin \(origin), level \(level)")
                }
            }
        }
    }

    /// Every vector level and one thread give the same bits.
    @Test func theSameBitsOnEveryLevelAndThreadCount() throws {
        let (x, g, s) = try Active.problem([3, 24, 11, 9], seed: 211)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        func run() throws -> ShiftGradients<Float> {
            try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: .reflect)
        }
        let here = try run()
        let portable = try VectorLevel.$limit.withValue(0) {
            #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, padding: .reflect).path
                    == .channelsLastSparseNeighbours)
            return try run()
        }
        let single = try Parallelism.$threadLimit.withValue(1) { try run() }
        for (name, other) in [("portable", portable), ("one thread", single)] {
            #expect(bitwiseDifferences(other.input, here.input) == 0, "\(name) input gradient")
            #expect(bitwiseDifferences(try #require(other.shifts), try #require(here.shifts)) == 0, "\(name) shift gradient")
        }
    }

    /// Inputs that no output reads get exactly zero: a shift of 0.6 rounds to 1, so the last
    /// column (zero padding) is read by no output of that channel.
    @Test func unreadInputsGetExactZero() throws {
        let (x, g, _) = try Active.problem([1, 8, 5, 6], seed: 221)
        let s = try Tensor<Float>(shape: [8, 2], elements: [Float](repeating: 0.6, count: 16))
        let ours = try shift2dBackward(gradOutput: g.channelsLast(), input: x.channelsLast(), shifts: s, mode: .sparse)
        for c in 0..<8 {
            for i in 0..<5 {
                #expect(ours.input[[0, c, i, 5]].bitPattern == 0 && ours.input[[0, c, 4, i]].bitPattern == 0)
            }
        }
    }

    /// Problems it does not serve: a shift on the lattice, one of 1 or more, a stride, `Double`,
    /// a channel count that is not a multiple of eight.
    @Test func otherProblemsTakeOtherPaths() throws {
        let (x, g, original) = try Active.problem([1, 8, 6, 7], seed: 231)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        func path(_ s: Tensor<Float>, strided: Bool = false) throws -> CPUPlan.Path {
            let output = strided ? try Tensor<Float>.random(shape: [1, 8, 3, 4], seed: 235).channelsLast() : gLast
            return try CPUPlan.backward(gradOutput: output, input: xLast, shifts: s, mode: .sparse,
                                        geometry: strided ? ShiftGeometry(stride: 2) : .identity).path
        }
        #expect(try path(original) == .channelsLastSparseNeighbours)
        var s = original
        s[[3, 1]] = 0
        #expect(try path(s) == .channelsLastTiles)
        s[[3, 1]] = 1.25
        #expect(try path(s) == .channelsLastTiles)
        #expect(try path(original, strided: true) == .channelsLastTiles)
        let twelve = try Tensor<Float>.random(shape: [1, 12, 6, 7], seed: 232).channelsLast()
        #expect(try CPUPlan.backward(gradOutput: twelve, input: twelve, shifts: ChannelsLastNeighboursTests.shifts(channels: 12, seed: 233),
                                     mode: .sparse).path == .channelsLastTiles)
        let double = try Tensor<Double>.random(shape: [1, 8, 6, 7], seed: 234).channelsLast()
        let doubleShifts = try Tensor<Double>(shape: [8, 2], elements: original.elements.map(Double.init))
        #expect(try CPUPlan.backward(gradOutput: double, input: double, shifts: doubleShifts, mode: .sparse).path == .channelsLastTiles)
    }
}

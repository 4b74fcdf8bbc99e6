import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The channels-last neighbourhood backward (``ChannelsLastNeighbours``): channels-last 2-D
/// `Float` at stride 1, a multiple of 8 channels, every shift in (-1, 1), the input gradient
/// gathered and the shift gradient summed on the channels-last data. Its sums are ordered
/// differently from the planar kernels', so it is held to the exact (`Double`) gradients and to
/// NCHW within the layouts' tolerances, and to itself bit for bit across vector levels and
/// thread counts.
@Suite struct ChannelsLastNeighboursBackwardTests {
    /// Images where every pixel is an edge one (one row, one column, two of each) and larger ones.
    static let shapes = [[2, 8, 9, 10], [1, 16, 1, 5], [2, 8, 4, 1], [1, 8, 1, 1], [1, 16, 2, 3], [3, 64, 13, 17]]

    static func problem(_ shape: [Int], seed: UInt64) throws -> (x: Tensor<Float>, g: Tensor<Float>, s: Tensor<Float>) {
        (try Tensor<Float>.random(shape: shape, seed: seed), try Tensor<Float>.random(shape: shape, seed: seed &+ 1),
         try ChannelsLastNeighboursTests.shifts(channels: shape[1], seed: seed &+ 2))
    }

    @Test(arguments: ShiftPadding.allCases, shapes)
    func matchesTheExactGradients(padding: ShiftPadding, shape: [Int]) throws {
        let (x, g, s) = try Self.problem(shape, seed: 101)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, padding: padding).path == .channelsLastNeighbours)
        let ours = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, padding: padding)
        #expect(ours.input.dimensionOrder == xLast.dimensionOrder)
        let exact = ReferenceShift.backward(gradOutput: g, input: x, shifts: s, padding: padding)
        let gx = Tolerance.relativeError(ours.input, exact.input)
        let (oursShifts, exactShifts) = (try #require(ours.shifts), try #require(exact.shifts))
        let gs = Tolerance.relativeError(oursShifts, exactShifts)
        // A one-pixel image under padding other than zeros reads one value at every tap: its
        // shift gradient is exactly zero, which the reference gives to Double's rounding.
        let gsAbsolute = zip(oursShifts.elements, exactShifts.elements).map { abs(Double($0) - Double($1)) }.max() ?? 0
        #expect(gx <= Tolerance.result(Float.self), "input gradient \(padding) \(shape): \(gx)")
        #expect(gs <= Tolerance.shiftGradient(Float.self) || gsAbsolute <= 1e-12, "shift gradient \(padding) \(shape): \(gs)")
        // And the NCHW kernels' gradients, within the layouts' tolerances.
        let nchw = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: padding)
        #expect(Tolerance.relativeError(ours.input, nchw.input) <= Tolerance.result(Float.self))
        #expect(Tolerance.relativeError(try #require(ours.shifts), try #require(nchw.shifts)) <= Tolerance.shiftGradient(Float.self))
    }

    /// The portable level runs the same kernel and gives the same bits as the level in use, and
    /// so does one thread.
    @Test(arguments: ShiftPadding.allCases)
    func theSameBitsOnEveryLevelAndThreadCount(padding: ShiftPadding) throws {
        let (x, g, s) = try Self.problem([3, 24, 11, 9], seed: 111)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        func run() throws -> ShiftGradients<Float> { try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s, padding: padding) }
        let here = try run()
        let portable = try VectorLevel.$limit.withValue(0) {
            #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, padding: padding).path == .channelsLastNeighbours)
            return try run()
        }
        let single = try Parallelism.$threadLimit.withValue(1) { try run() }
        for (name, other) in [("portable", portable), ("one thread", single)] {
            #expect(bitwiseDifferences(other.input, here.input) == 0, "\(name) input gradient")
            #expect(bitwiseDifferences(try #require(other.shifts), try #require(here.shifts)) == 0, "\(name) shift gradient")
        }
    }

    /// A lane never gathers what its taps do not: an infinity in `g` where one channel's
    /// gathered reads do not reach leaves that channel's input gradient finite, while the
    /// neighbouring channel that does read it sees it. (In `x` every pixel is read by some output
    /// of every channel at stride 1, so each channel's shift gradient sees all of its own.)
    @Test func aLaneNeverGathersWhatItsTapsDoNot() throws {
        let (channels, height, width) = (8, 5, 6)
        let x = try Tensor<Float>.random(shape: [1, channels, height, width], seed: 121)
        var g = try Tensor<Float>.random(shape: [1, channels, height, width], seed: 122)
        // Channel 0 shifts right and down by 0.5 (base -1: input pixel (i, j) gathers g at rows
        // i and i + 1, columns j and j + 1), channel 1 left and up (rows i - 1 and i, columns
        // j - 1 and j).
        var shiftValues = [Float](repeating: 0.5, count: channels * 2)
        shiftValues[2] = -0.5
        shiftValues[3] = -0.5
        let s = try Tensor<Float>(shape: [channels, 2], elements: shiftValues)
        // Row 1 is a row channel 0's input pixel (2, 3) does not gather, in a column it does.
        g[[0, 0, 1, 3]] = .infinity
        g[[0, 1, 1, 3]] = .infinity
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s).path == .channelsLastNeighbours)
        let gradients = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: s)
        #expect(gradients.input[[0, 0, 2, 3]].isFinite, "channel 0 must not gather its unread neighbour")
        #expect(gradients.input[[0, 1, 2, 3]] == .infinity, "channel 1 gathers its infinity")
        #expect(gradients.input[[0, 0, 1, 3]] == .infinity, "channel 0 gathers it at its own readers")
    }

    /// Problems the backward does not serve take the other paths: a channel count that is not a
    /// multiple of 8, an output grid other than the input's, a stride, a shift outside (-1, 1), a
    /// volume of depth 1, `Double`.
    @Test func otherProblemsTakeOtherPaths() throws {
        let (x, g, s) = try Self.problem([1, 8, 6, 7], seed: 131)
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s).path == .channelsLastNeighbours)
        var wide = s
        wide[[3, 1]] = 1.25
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: wide).path == .channelsLastTiles)
        let (x12, g12, s12) = try Self.problem([1, 12, 6, 7], seed: 132)
        #expect(try CPUPlan.backward(gradOutput: g12.channelsLast(), input: x12.channelsLast(), shifts: s12).path == .channelsLastTiles)
        let geometry = ShiftGeometry(stride: [1], origin: [0], outputSize: [6, 8])
        let gWide = try Tensor<Float>.random(shape: [1, 8, 6, 8], seed: 133).channelsLast()
        #expect(try CPUPlan.backward(gradOutput: gWide, input: xLast, shifts: s, geometry: geometry).path == .channelsLastTiles)
        // A stride with an output grid the input's size still reads another grid (the forward
        // serves strides; the backward does not).
        let strided = ShiftGeometry(stride: [2], origin: [0], outputSize: [6, 7])
        #expect(try CPUPlan.forward(xLast, shifts: s, geometry: strided).path
            == (VectorLevel.selected > 0 ? .channelsLastNeighbours : .channelsLastTiles))
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, geometry: strided).path == .channelsLastTiles)
        #expect(try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: s, mode: .sparse, geometry: strided).path
            == .channelsLastTiles)
        // A volume of depth 1 is no image: its depth gradient is not zero under zero padding.
        let volume = try Tensor<Float>.random(shape: [2, 8, 1, 4, 5], seed: 135)
        let volumeGrad = try Tensor<Float>.random(shape: [2, 8, 1, 4, 5], seed: 136)
        let volumeShifts = try Tensor<Float>(shape: [8, 3], elements: (0..<8).flatMap { [0, s[[$0, 0]], s[[$0, 1]]] })
        let (vLast, vgLast) = (try volume.channelsLast(), try volumeGrad.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: vgLast, input: vLast, shifts: volumeShifts).path == .channelsLastTiles)
        #expect(try CPUPlan.forward(vLast, shifts: volumeShifts).path == .channelsLastTiles)
        let volumeGradients = try shift3dBackward(gradOutput: vgLast, input: vLast, shifts: volumeShifts)
        let volumeExact = ReferenceShift.backward(gradOutput: volumeGrad, input: volume, shifts: volumeShifts)
        #expect(Tolerance.relativeError(try #require(volumeGradients.shifts), try #require(volumeExact.shifts))
                <= Tolerance.shiftGradient(Float.self))
        let double = try Tensor<Double>.random(shape: [1, 8, 6, 7], seed: 134).channelsLast()
        let doubleShifts = try Tensor<Double>(shape: [8, 2], elements: s.elements.map(Double.init))
        #expect(try CPUPlan.backward(gradOutput: double, input: double, shifts: doubleShifts).path == .channelsLastTiles)
    }
}

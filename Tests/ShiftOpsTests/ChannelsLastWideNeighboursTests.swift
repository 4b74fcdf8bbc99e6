import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The channels-last wide forward (``ChannelsLastNeighbours/forwardWide(_:input:shifts:output:plan:)``):
/// channels-last 2-D `Float` at any stride, every shift in (-2, 2), computed on the channels-last
/// data. Its results are the planar kernels', bit for bit (checked against NCHW), at every
/// padding, on images small enough that every pixel is an edge one and larger ones, and on data
/// full of signed zeros.
@Suite(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"))
struct ChannelsLastWideNeighboursTests {
    static let shapes = [[2, 8, 9, 10], [1, 16, 1, 1], [1, 8, 1, 6], [2, 8, 5, 1], [1, 16, 2, 3], [1, 8, 4, 4],
                         [1, 8, 5, 5], [3, 64, 13, 17]]

    /// Shifts in (-2, 2) on both axes, none an integer, at least one of magnitude 1 or more (so
    /// that the 3 x 3 kernel does not serve), `narrow` of them in (-1, 1).
    static func shifts(channels: Int, seed: UInt64) throws -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        var values = (0..<channels * 2).map { _ in
            var v = Float.random(in: -1.98...1.98, using: &generator)
            if v == v.rounded() { v += 0.25 }
            return v
        }
        values[0] = 1.5
        return try Tensor<Float>(shape: [channels, 2], elements: values)
    }

    func expectPlanarBits(_ x: Tensor<Float>, padding: ShiftPadding, seed: UInt64 = 101) throws {
        let s = try Self.shifts(channels: x.shape[1], seed: seed)
        let last = try x.channelsLast()
        // On axes of one or two pixels the padding can fold a channel's two taps onto one (an
        // integer tap), and another path serves; the bits must be the planar ones all the same.
        if padding == .zeros || x.shape[2...].allSatisfy({ $0 > 2 }) {
            #expect(try CPUPlan.forward(last, shifts: s, padding: padding).path == .channelsLastWideNeighbours)
        }
        let y = try shift2d(last, shifts: s, padding: padding)
        #expect(y.dimensionOrder == last.dimensionOrder)
        #expect(bitwiseDifferences(y, try shift2d(x, shifts: s, padding: padding)) == 0, "\(padding) \(x.shape)")
        let single = try Parallelism.$threadLimit.withValue(1) { try shift2d(last, shifts: s, padding: padding) }
        #expect(bitwiseDifferences(single, y) == 0, "one thread")
    }

    @Test(arguments: ShiftPadding.allCases, shapes)
    func givesThePlanarBits(padding: ShiftPadding, shape: [Int]) throws {
        try expectPlanarBits(try Tensor<Float>.random(shape: shape, seed: 100), padding: padding)
    }

    /// Every base on both axes (-2 to 1), each on channels whose other axis takes every base too.
    @Test(arguments: ShiftPadding.allCases)
    func everyPairOfBases(padding: ShiftPadding) throws {
        let fractions: [Float] = [-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75]
        let values = fractions.flatMap { h in fractions.flatMap { w in [h, w] } }
        let s = try Tensor<Float>(shape: [64, 2], elements: values)
        for shape in [[1, 64, 3, 4], [2, 64, 7, 6]] {
            let x = try Tensor<Float>.random(shape: shape, seed: 102)
            let last = try x.channelsLast()
            #expect(try CPUPlan.forward(last, shifts: s, padding: padding).path == .channelsLastWideNeighbours)
            #expect(bitwiseDifferences(try shift2d(last, shifts: s, padding: padding),
                                       try shift2d(x, shifts: s, padding: padding)) == 0, "\(padding) \(shape)")
        }
    }

    /// Zero padding leaves taps out, and the planar kernels leave their terms out: on data of
    /// +0, -0 and values small enough that their products round to a zero of either sign, every
    /// output's sign of zero must still be theirs.
    @Test(arguments: ShiftPadding.allCases)
    func keepsThePlanarSignedZeros(padding: ShiftPadding) throws {
        for shape in [[2, 16, 5, 6], [1, 8, 2, 2], [1, 8, 9, 3]] {
            try expectPlanarBits(try signedZeroData(shape: shape, seed: 103), padding: padding, seed: 104)
        }
    }

    /// A channel never reads what lies outside its own taps: an infinity two pixels away, which
    /// one channel's taps do not reach, leaves its outputs finite, while the channel that reads
    /// it sees it.
    @Test func aLaneNeverReadsWhatItsTapsDoNot() throws {
        var x = try Tensor<Float>.random(shape: [1, 8, 7, 8], seed: 105)
        // Channel 0 shifts right and down by 1.5 (output (r, q) reads rows and columns -2 and
        // -1), channel 1 left and up by 1.5 (+1 and +2).
        var values = [Float](repeating: 1.5, count: 16)
        (values[2], values[3]) = (-1.5, -1.5)
        x[[0, 0, 5, 6]] = .infinity
        x[[0, 1, 5, 6]] = .infinity
        let s = try Tensor<Float>(shape: [8, 2], elements: values)
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(last, shifts: s).path == .channelsLastWideNeighbours)
        let y = try shift2d(last, shifts: s)
        // Output (3, 4) of channel 0 reads rows 1-2 and columns 2-3; channel 1 reads rows 4-5
        // and columns 5-6, which hold its infinity.
        #expect(y[[0, 0, 3, 4]].isFinite, "channel 0 must not see its unread neighbour")
        #expect(y[[0, 1, 3, 4]] == .infinity, "channel 1 reads its infinity")
        #expect(bitwiseDifferences(y, try shift2d(x, shifts: s)) == 0)
    }

    /// Other output grids: strides on one axis and both, an output wider than the input's (its
    /// last pixels read padding only), smaller and larger grids at stride 1 (no roll), an origin
    /// of 1 with shifts in (-1, 1) (bases 0 and 1), one and sixteen channel blocks, and data of signed zeros: the planar kernels' bits on every
    /// thread count. Rows that share no pass (a stride down the image) take two passes each.
    @Test(arguments: ShiftPadding.allCases)
    func givesThePlanarBitsOnOtherGrids(padding: ShiftPadding) throws {
        // At origin 1, shifts in (-1, 1) give bases 0 and 1: the latter beyond the 3 x 3 kernel.
        func originOneShifts(channels: Int) throws -> Tensor<Float> {
            var generator = SeededGenerator(seed: 113)
            var values = (0..<channels * 2).map { _ in
                var v = Float.random(in: -0.98...0.98, using: &generator)
                if v == v.rounded() { v += 0.25 }
                return v
            }
            values[0] = -0.5
            return try Tensor<Float>(shape: [channels, 2], elements: values)
        }
        let cases: [(geometry: ShiftGeometry, originOne: Bool)] = [
            (ShiftGeometry(stride: 2), false),
            (ShiftGeometry(stride: [2, 1]), false),
            (ShiftGeometry(stride: [1, 3]), false),
            (ShiftGeometry(stride: [3, 2]), false),
            (ShiftGeometry(stride: [2], origin: [0], outputSize: [6, 7]), false),
            (ShiftGeometry(stride: [1], origin: [0], outputSize: [7, 8]), false),
            (ShiftGeometry(stride: [1], origin: [0], outputSize: [9, 12]), false),
            (ShiftGeometry(stride: [2], origin: [1], outputSize: [4, 5]), true),
            (ShiftGeometry(stride: [2, 1], origin: [0], outputSize: [5, 11]), false),
        ]
        let inputs = [
            try Tensor<Float>.random(shape: [2, 8, 7, 9], seed: 115),
            try signedZeroData(shape: [2, 8, 7, 9], seed: 114),
            try Tensor<Float>.random(shape: [1, 128, 12, 11], seed: 116),
        ]
        for x in inputs {
            for (geometry, originOne) in cases {
                let s = originOne ? try originOneShifts(channels: x.shape[1]) : try Self.shifts(channels: x.shape[1], seed: 117)
                try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: geometry, path: .channelsLastWideNeighbours,
                                           "\(padding) \(x.shape) stride \(geometry.stride) origin \(geometry.origin) "
                                               + "output \(geometry.outputSize ?? [])")
            }
        }
        // Images of one or two pixels on an axis, and an empty output. (On such axes the padding
        // can fold a channel's two taps onto one, and another path serves: the bits must be the
        // planar ones all the same.)
        for shape in [[1, 8, 1, 1], [1, 8, 2, 5], [1, 16, 5, 2]] {
            let x = try Tensor<Float>.random(shape: shape, seed: 119)
            let s = try Self.shifts(channels: shape[1], seed: 117)
            for geometry in [ShiftGeometry(stride: 2), ShiftGeometry(stride: 3), ShiftGeometry(stride: [2], origin: [0], outputSize: [0, 3])] {
                let served = padding == .zeros && geometry.outputSize?.contains(0) != true
                try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: geometry,
                                           path: served ? .channelsLastWideNeighbours : nil,
                                           "\(padding) \(shape) stride \(geometry.stride) output \(geometry.outputSize ?? [])")
            }
        }
    }

    /// Problems the wide kernel does not serve: a shift of 2 or more, an integer shift, a channel
    /// count that is not a multiple of eight, `Double`, the portable level. (Other output grids
    /// and strides it serves.)
    @Test func otherProblemsTakeOtherPaths() throws {
        let x = try Tensor<Float>.random(shape: [1, 8, 6, 7], seed: 106).channelsLast()
        var s = try Self.shifts(channels: 8, seed: 107)
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastWideNeighbours)
        #expect(VectorLevel.$limit.withValue(0) { try! CPUPlan.forward(x, shifts: s).path } == .channelsLastTiles)
        let geometry = ShiftGeometry(stride: [1], origin: [0], outputSize: [6, 8])
        #expect(try CPUPlan.forward(x, shifts: s, geometry: geometry).path == .channelsLastWideNeighbours)
        s[[3, 0]] = -2.5
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastTiles)
        s[[3, 0]] = 1
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastTiles)
        let twelve = try Tensor<Float>.random(shape: [1, 12, 6, 7], seed: 108).channelsLast()
        #expect(try CPUPlan.forward(twelve, shifts: Self.shifts(channels: 12, seed: 109)).path == .channelsLastTiles)
        let double = try Tensor<Double>.random(shape: [1, 8, 6, 7], seed: 110).channelsLast()
        let doubleShifts = try Tensor<Double>(shape: [8, 2], elements: Self.shifts(channels: 8, seed: 111).elements.map(Double.init))
        #expect(try CPUPlan.forward(double, shifts: doubleShifts).path == .channelsLastTiles)
    }
}

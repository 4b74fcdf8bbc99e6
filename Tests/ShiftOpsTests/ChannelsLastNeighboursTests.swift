import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The channels-last neighbourhood forward (``ChannelsLastNeighbours``): channels-last 2-D
/// `Float` at any stride whose every shift lies in (-1, 1), computed on the channels-last data.
/// Its results are the planar kernels', bit for bit (checked against NCHW), at every padding, on
/// images small enough that every pixel is an edge one and larger ones, with channel counts that
/// leave lanes over (19) or fill them (64), and on data full of signed zeros.
@Suite struct ChannelsLastNeighboursTests {
    static let shapes = [[2, 8, 9, 10], [1, 19, 1, 5], [2, 19, 2, 1], [1, 16, 2, 3], [3, 64, 13, 17]]

    /// Shifts in (-1, 1) on both axes, none an integer: every channel interpolates in the
    /// neighbourhood.
    static func shifts(channels: Int, seed: UInt64) throws -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        return try Tensor<Float>(shape: [channels, 2], elements: (0..<channels * 2).map { _ in
            var v = Float.random(in: -0.98...0.98, using: &generator)
            if v == v.rounded() { v += 0.25 }
            return v
        })
    }

    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases, shapes)
    func givesThePlanarBits(padding: ShiftPadding, shape: [Int]) throws {
        try givesThePlanarBits(padding: padding, x: try Tensor<Float>.random(shape: shape, seed: 81))
    }

    /// Zero padding leaves taps out, and the planar kernels leave their terms out: on data of
    /// +0, -0 and values small enough that their products round to a zero of either sign, every
    /// output's sign of zero must still be theirs.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func keepsThePlanarSignedZeros(padding: ShiftPadding) throws {
        let x = try signedZeroData(shape: [2, 19, 5, 6], seed: 90)
        try givesThePlanarBits(padding: padding, x: x)
        // A grid one column and one row wider than the input, with every column base -1 (shifts
        // in (0, 1)): there the centre column is a left tap for some outputs and a right one for
        // others, and a whole lane of taps can fall outside.
        var shiftGenerator = SeededGenerator(seed: 93)
        let s = try Tensor<Float>(shape: [19, 2], elements: (0..<38).map { k in
            k % 2 == 1 ? Float.random(in: 0.02...0.98, using: &shiftGenerator) : Float.random(in: -0.98...0.98, using: &shiftGenerator)
        })
        let geometry = ShiftGeometry(stride: [1], origin: [0], outputSize: [6, 7])
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(last, shifts: s, padding: padding, geometry: geometry).path == .channelsLastNeighbours)
        #expect(bitwiseDifferences(try shift2d(last, shifts: s, padding: padding, geometry: geometry),
                                   try shift2d(x, shifts: s, padding: padding, geometry: geometry)) == 0, "wider grid")
    }

    /// Any output grid at stride 1 whose taps stay in the neighbourhood: an origin of -1 with
    /// shifts in (-1, 0) (every base -1) over an output larger than the input, whose last
    /// columns and rows read nothing but padding. With 19 channels every pixel maps its
    /// neighbours for the channels over the blocks; with 16, the pixels the rows roll over are
    /// jumped, and the columns after them must still be mapped.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func givesThePlanarBitsOnAWiderGrid(padding: ShiftPadding) throws {
        for channels in [19, 16] {
            let shape = [2, channels, 6, 7]
            let x = try Tensor<Float>.random(shape: shape, seed: 91)
            var generator = SeededGenerator(seed: 92)
            let s = try Tensor<Float>(shape: [channels, 2], elements: (0..<channels * 2).map { _ in
                Float.random(in: -0.98 ... -0.02, using: &generator)
            })
            let geometry = ShiftGeometry(stride: [1], origin: [-1], outputSize: [9, 10])
            let last = try x.channelsLast()
            #expect(try CPUPlan.forward(last, shifts: s, padding: padding, geometry: geometry).path == .channelsLastNeighbours)
            let y = try shift2d(last, shifts: s, padding: padding, geometry: geometry)
            #expect(bitwiseDifferences(y, try shift2d(x, shifts: s, padding: padding, geometry: geometry)) == 0,
                    "\(padding) \(channels) channels")
        }
    }

    /// Strided grids: output pixel `(r, q)`'s neighbourhood is centred on input
    /// `(r * strideH, q * strideW)`, so the rows and columns an output reads no longer follow
    /// on from its neighbour's. Strides on one axis and both, an output wider than the default
    /// (its last pixels read padding only), an origin of -1 (every base -1), channel counts with
    /// lanes over, and data of signed zeros: the planar kernels' bits on every thread count.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func givesThePlanarBitsAtStrides(padding: ShiftPadding) throws {
        // Shifts in (-1, 1), or in (-1, 0) for origin -1, which keeps every base at -1.
        func shifts(channels: Int, belowZero: Bool) throws -> Tensor<Float> {
            guard belowZero else { return try Self.shifts(channels: channels, seed: 94) }
            var generator = SeededGenerator(seed: 95)
            return try Tensor<Float>(shape: [channels, 2], elements: (0..<channels * 2).map { _ in
                Float.random(in: -0.98 ... -0.02, using: &generator)
            })
        }
        let cases: [(geometry: ShiftGeometry, belowZero: Bool)] = [
            (ShiftGeometry(stride: 2), false),
            (ShiftGeometry(stride: [2, 1]), false),
            (ShiftGeometry(stride: [1, 3]), false),
            (ShiftGeometry(stride: [3, 2]), false),
            (ShiftGeometry(stride: [2], origin: [0], outputSize: [5, 6]), false),
            (ShiftGeometry(stride: [2], origin: [-1], outputSize: [4, 5]), true),
            (ShiftGeometry(stride: [2, 1], origin: [0], outputSize: [5, 11]), false),
        ]
        let inputs = [
            try Tensor<Float>.random(shape: [2, 19, 7, 9], seed: 97),
            try signedZeroData(shape: [2, 19, 7, 9], seed: 96),
            try Tensor<Float>.random(shape: [1, 64, 12, 11], seed: 98),
        ]
        for x in inputs {
            for (geometry, belowZero) in cases {
                try expectChannelsLastBits(x, shifts: try shifts(channels: x.shape[1], belowZero: belowZero), padding: padding,
                                           geometry: geometry, path: .channelsLastNeighbours,
                                           "\(padding) \(x.shape) stride \(geometry.stride) origin \(geometry.origin)")
            }
        }
        // Images of one or two pixels on an axis, and an empty output.
        for shape in [[1, 8, 1, 1], [1, 8, 2, 5], [1, 16, 5, 2]] {
            let x = try Tensor<Float>.random(shape: shape, seed: 100)
            let s = try Self.shifts(channels: shape[1], seed: 94)
            for geometry in [ShiftGeometry(stride: 2), ShiftGeometry(stride: 3), ShiftGeometry(stride: [2], origin: [0], outputSize: [0, 3])] {
                try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: geometry,
                                           path: geometry.outputSize?.contains(0) == true ? nil : .channelsLastNeighbours,
                                           "\(padding) \(shape) stride \(geometry.stride) output \(geometry.outputSize ?? [])")
            }
        }
    }

    /// At a stride, too, a channel never reads what lies outside its own taps: the per-pixel
    /// path selects each lane's four values from the nine neighbours.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"))
    func aLaneNeverReadsWhatItsTapsDoNotAtAStride() throws {
        var x = try Tensor<Float>.random(shape: [1, 8, 7, 9], seed: 118)
        // Channel 0 shifts right and down by 0.5 (reads offsets -1 and 0 of each centre), channel
        // 1 left and up (offsets 0 and +1).
        var shiftValues = [Float](repeating: 0.5, count: 16)
        (shiftValues[2], shiftValues[3]) = (-0.5, -0.5)
        let s = try Tensor<Float>(shape: [8, 2], elements: shiftValues)
        // Output (1, 2) at stride 2 is centred on input (2, 4): channel 0 reads rows 1-2 and
        // columns 3-4, channel 1 rows 2-3 and columns 4-5.
        x[[0, 0, 3, 5]] = .nan
        x[[0, 1, 3, 5]] = .nan
        let (last, geometry) = (try x.channelsLast(), ShiftGeometry(stride: 2))
        #expect(try CPUPlan.forward(last, shifts: s, geometry: geometry).path == .channelsLastNeighbours)
        let y = try shift2d(last, shifts: s, geometry: geometry)
        #expect(!y[[0, 0, 1, 2]].isNaN, "channel 0 must not see its unread neighbour")
        #expect(y[[0, 1, 1, 2]].isNaN, "channel 1 reads its NaN")
        #expect(bitwiseDifferences(y, try shift2d(x, shifts: s, geometry: geometry)) == 0)
    }

    func givesThePlanarBits(padding: ShiftPadding, x: Tensor<Float>) throws {
        let shape = x.shape
        let s = try Self.shifts(channels: shape[1], seed: 82)
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(last, shifts: s, padding: padding).path == .channelsLastNeighbours)
        let y = try shift2d(last, shifts: s, padding: padding)
        let nchw = try shift2d(x, shifts: s, padding: padding)
        #expect(y.dimensionOrder == last.dimensionOrder)
        #expect(bitwiseDifferences(y, nchw) == 0, "\(padding) \(shape)")
        // Rows spread over threads write disjoint outputs: one thread gives the same bits.
        let single = try Parallelism.$threadLimit.withValue(1) { try shift2d(last, shifts: s, padding: padding) }
        #expect(bitwiseDifferences(single, y) == 0, "one thread")
    }

    /// A channel never reads what lies outside its own taps: an infinity placed where one
    /// channel's taps do not reach leaves that channel's outputs finite, while the neighbouring
    /// channel that does read it sees it.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"))
    func aLaneNeverReadsWhatItsTapsDoNot() throws {
        let (channels, height, width) = (8, 5, 6)
        var x = try Tensor<Float>.random(shape: [1, channels, height, width], seed: 83)
        // Channel 0 shifts right and down by 0.5 (reads rows and columns -1 and 0 of each
        // output), channel 1 left and up (reads 0 and +1).
        var shiftValues = [Float](repeating: 0.5, count: channels * 2)
        shiftValues[2] = -0.5
        shiftValues[3] = -0.5
        let s = try Tensor<Float>(shape: [channels, 2], elements: shiftValues)
        x[[0, 0, 3, 4]] = .infinity
        x[[0, 1, 3, 4]] = .infinity
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(last, shifts: s).path == .channelsLastNeighbours)
        let y = try shift2d(last, shifts: s)
        // Output (2, 3) of channel 0 reads rows 1-2 and columns 2-3 only; channel 1 reads rows
        // 2-3 and columns 3-4, which hold its infinity.
        #expect(y[[0, 0, 2, 3]].isFinite, "channel 0 must not see its unread neighbour")
        #expect(y[[0, 1, 2, 3]] == .infinity, "channel 1 reads its infinity")
        #expect(bitwiseDifferences(y, try shift2d(x, shifts: s)) == 0)
    }

    /// Problems the kernel does not serve take the tiles (or the wide kernel, for a shift of 1
    /// or more that stays below 2): an integer shift (one tap), fewer than eight channels,
    /// `Double`, the portable level.
    @Test func otherProblemsTakeTheTiles() throws {
        let x = try Tensor<Float>.random(shape: [1, 8, 6, 7], seed: 84).channelsLast()
        var s = try Self.shifts(channels: 8, seed: 85)
        #expect(try CPUPlan.forward(x, shifts: s).path == (VectorLevel.selected > 0 ? .channelsLastNeighbours : .channelsLastTiles))
        #expect(VectorLevel.$limit.withValue(0) { try! CPUPlan.forward(x, shifts: s).path } == .channelsLastTiles)
        s[[3, 1]] = 1.25
        #expect(try CPUPlan.forward(x, shifts: s).path == (VectorLevel.selected > 0 ? .channelsLastWideNeighbours : .channelsLastTiles))
        s[[3, 1]] = 2.25
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastTiles)
        s[[3, 1]] = 0
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastTiles)
        let few = try Tensor<Float>.random(shape: [1, 7, 6, 7], seed: 86).channelsLast()
        #expect(try CPUPlan.forward(few, shifts: Self.shifts(channels: 7, seed: 87)).path == .channelsLastTiles)
        let double = try Tensor<Double>.random(shape: [1, 8, 6, 7], seed: 88).channelsLast()
        let doubleShifts = try Tensor<Double>(shape: [8, 2], elements: Self.shifts(channels: 8, seed: 89).elements.map(Double.init))
        #expect(try CPUPlan.forward(double, shifts: doubleShifts).path == .channelsLastTiles)
    }
}

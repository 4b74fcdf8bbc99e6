import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The channels-last 3-D neighbourhood forward (``ChannelsLastNeighbours``, path
/// ``CPUPlan/Path/channelsLastVolumeNeighbours``): strided `NDHWC` `Float` whose every shift lies
/// in (-1, 1), computed on the channels-last data. Its results are the planar kernels', bit for
/// bit (checked against `NCDHW`), at every padding and stride, on volumes small enough that every
/// pixel is an edge one and larger ones, with channel counts that leave lanes over (19) or fill
/// them, and on data full of signed zeros; one thread gives the bits of several (where there are
/// several: ``ThreadingTests`` asserts that they run). A stride along depth or height alone keeps
/// the rows rolling (every column, edges through the padding), a stride of 2 along the rows rolls
/// two columns at a time, and other strides along the rows send every pixel through the
/// per-pixel path.
@Suite struct ChannelsLastVolumeNeighboursTests {
    /// Shifts in (-1, 1) on all three axes, none an integer, or in (-1, 0) (every base -1 at
    /// origin 0, or inside the neighbourhood at origin -1) where `belowZero`.
    static func shifts(channels: Int, seed: UInt64, belowZero: Bool = false) throws -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        return try Tensor<Float>(shape: [channels, 3], elements: (0..<channels * 3).map { _ in
            if belowZero { return Float.random(in: -0.98 ... -0.02, using: &generator) }
            var v = Float.random(in: -0.98...0.98, using: &generator)
            if v == v.rounded() { v += 0.25 }
            return v
        })
    }

    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func givesThePlanarBits(padding: ShiftPadding) throws {
        let shapes = [[2, 8, 3, 4, 5], [1, 19, 1, 1, 5], [1, 19, 2, 3, 1], [2, 16, 4, 5, 6], [1, 64, 5, 7, 9]]
        for (k, shape) in shapes.enumerated() {
            let s = try Self.shifts(channels: shape[1], seed: 140 + UInt64(k))
            for x in [try Tensor<Float>.random(shape: shape, seed: 150 + UInt64(k)),
                      try signedZeroData(shape: shape, seed: 160 + UInt64(k))] {
                for stride in [[2, 1, 1], [1, 2, 1], [1, 1, 2]] {
                    try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: ShiftGeometry(stride: stride),
                                               path: .channelsLastVolumeNeighbours, "\(padding) \(shape) stride \(stride)")
                }
            }
        }
    }

    /// Strides on each axis and on all, output grids larger than the input (whose last slices,
    /// rows and columns read padding only, so that a lane can have no term at all), an origin of
    /// -1, tiny volumes and an empty output.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func givesThePlanarBitsOnOtherGrids(padding: ShiftPadding) throws {
        let cases: [(geometry: ShiftGeometry, belowZero: Bool)] = [
            (ShiftGeometry(stride: 2), false),
            (ShiftGeometry(stride: [1, 1, 3]), false),
            (ShiftGeometry(stride: [3, 1, 2]), false),
            (ShiftGeometry(stride: [2, 1, 1], origin: [0], outputSize: [3, 6, 8]), true),
            (ShiftGeometry(stride: [1, 2, 1], origin: [-1], outputSize: [6, 4, 9]), true),
            (ShiftGeometry(stride: [2, 1, 1], origin: [0], outputSize: [2, 5, 5]), false),
            (ShiftGeometry(stride: [2], origin: [-1], outputSize: [3, 4, 5]), true),
        ]
        let inputs = [
            try Tensor<Float>.random(shape: [2, 19, 4, 5, 7], seed: 170),
            try signedZeroData(shape: [2, 19, 4, 5, 7], seed: 171),
            try Tensor<Float>.random(shape: [1, 32, 5, 6, 9], seed: 172),
        ]
        for x in inputs {
            for (k, (geometry, belowZero)) in cases.enumerated() {
                let s = try Self.shifts(channels: x.shape[1], seed: 180 + UInt64(k), belowZero: belowZero)
                try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: geometry,
                                           path: .channelsLastVolumeNeighbours,
                                           "\(padding) \(x.shape) stride \(geometry.stride) origin \(geometry.origin)")
            }
        }
        // Rows that cover the grid (the output as wide as the input) whose centre row or slice
        // lies beyond the input: every lane of them reads padding only, or nothing.
        for (shape, geometry) in [([1, 8, 3, 4, 5], ShiftGeometry(stride: [2, 1, 1], origin: [0], outputSize: [3, 6, 5])),
                                  ([1, 19, 4, 4, 6], ShiftGeometry(stride: [1, 2, 1], origin: [0], outputSize: [6, 3, 6]))] {
            let x = try signedZeroData(shape: shape, seed: 189)
            try expectChannelsLastBits(x, shifts: try Self.shifts(channels: shape[1], seed: 188), padding: padding,
                                       geometry: geometry, path: .channelsLastVolumeNeighbours,
                                       "\(padding) \(shape) stride \(geometry.stride) output \(geometry.outputSize ?? [])")
        }
        for shape in [[1, 8, 1, 1, 1], [1, 8, 2, 1, 5], [1, 16, 1, 5, 2]] {
            let x = try Tensor<Float>.random(shape: shape, seed: 190)
            let s = try Self.shifts(channels: shape[1], seed: 191)
            for geometry in [ShiftGeometry(stride: [2, 1, 1]), ShiftGeometry(stride: 2),
                             ShiftGeometry(stride: [2], origin: [0], outputSize: [2, 0, 3])] {
                try expectChannelsLastBits(x, shifts: s, padding: padding, geometry: geometry,
                                           path: geometry.outputSize?.contains(0) == true ? nil : .channelsLastVolumeNeighbours,
                                           "\(padding) \(shape) stride \(geometry.stride) output \(geometry.outputSize ?? [])")
            }
        }
    }

    /// A channel never reads what lies outside its own taps, on the rolled rows (stride 1 and 2
    /// along them, an edge column of a row that covers the grid) and on the per-pixel path (the
    /// first column at stride 2, every pixel at stride 3), in the vector lanes and in the scalar
    /// ones of the channels left over: a NaN placed where one channel's taps do not reach leaves
    /// that channel's output a number, while a channel that does read it sees it.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"))
    func aLaneNeverReadsWhatItsTapsDoNot() throws {
        // Channels 0 and 8 (a lane left over the vector) shift by +0.5 on every axis (they read
        // offsets -1 and 0 of each centre), the others by -0.5 (offsets 0 and +1).
        let readers = [1, 2, 3, 4, 5, 6, 7]
        let s = try Tensor<Float>(shape: [9, 3], elements: (0..<27).map { readers.contains($0 / 3) ? -0.5 : 0.5 })
        // (output centre, the NaN's input position, geometry): the NaN lies at offset +1 on
        // every axis of the centre, which channel 1 reads and channels 0 and 8 do not.
        let cases: [(centre: [Int], nan: [Int], geometry: ShiftGeometry)] = [
            ([1, 2, 3], [3, 3, 4], ShiftGeometry(stride: [2, 1, 1])),
            ([1, 2, 0], [3, 3, 1], ShiftGeometry(stride: [2, 1, 1])),
            ([1, 1, 2], [3, 3, 5], ShiftGeometry(stride: 2)),
            ([1, 1, 0], [3, 3, 1], ShiftGeometry(stride: 2)),
            ([1, 2, 1], [2, 3, 4], ShiftGeometry(stride: [1, 1, 3])),
        ]
        for (centre, nan, geometry) in cases {
            var x = try Tensor<Float>.random(shape: [1, 9, 5, 6, 7], seed: 192)
            for c in [0, 1, 8] { x[[0, c] + nan] = .nan }
            let last = try x.channelsLast()
            #expect(try CPUPlan.forward(last, shifts: s, geometry: geometry).path == .channelsLastVolumeNeighbours)
            let y = try shift(last, shifts: s, geometry: geometry)
            #expect(!y[[0, 0] + centre].isNaN, "channel 0 must not see its unread neighbour at \(centre)")
            #expect(!y[[0, 8] + centre].isNaN, "channel 8 must not see its unread neighbour at \(centre)")
            #expect(y[[0, 1] + centre].isNaN, "channel 1 reads its NaN at \(centre)")
            #expect(bitwiseDifferences(y, try shift(x, shifts: s, geometry: geometry)) == 0)
        }
    }

    /// Problems the kernel does not serve take the tiles: stride 1 on every axis, an integer
    /// shift on one axis (one tap), a shift outside (-1, 1), fewer than eight channels, `Double`,
    /// the portable level.
    @Test func otherProblemsTakeTheTiles() throws {
        let x = try Tensor<Float>.random(shape: [1, 8, 3, 6, 7], seed: 193).channelsLast()
        var s = try Self.shifts(channels: 8, seed: 194)
        let strided = ShiftGeometry(stride: [1, 2, 1])
        func path<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>) throws -> CPUPlan.Path {
            try CPUPlan.forward(x, shifts: s, geometry: strided).path
        }
        #expect(try path(x, s) == (VectorLevel.selected > 0 ? .channelsLastVolumeNeighbours : .channelsLastTiles))
        #expect(try CPUPlan.forward(x, shifts: s).path == .channelsLastTiles, "stride 1")
        #expect(try CPUPlan.forward(x, shifts: s, geometry: ShiftGeometry(stride: [1], origin: [-1], outputSize: [4, 7, 8])).path
                == .channelsLastTiles, "stride 1 on a larger grid")
        #expect(VectorLevel.$limit.withValue(0) { try! path(x, s) } == .channelsLastTiles)
        s[[3, 0]] = 1.25
        #expect(try path(x, s) == .channelsLastTiles)
        s[[3, 0]] = 0
        #expect(try path(x, s) == .channelsLastTiles)
        // An origin that takes a base out of -1 ... 0.
        #expect(try CPUPlan.forward(x, shifts: try Self.shifts(channels: 8, seed: 194),
                                    geometry: ShiftGeometry(stride: [1, 2, 1], origin: [0, 0, 1])).path == .channelsLastTiles)
        let few = try Tensor<Float>.random(shape: [1, 7, 3, 6, 7], seed: 195).channelsLast()
        #expect(try path(few, Self.shifts(channels: 7, seed: 196)) == .channelsLastTiles)
        let double = try Tensor<Double>.random(shape: [1, 8, 3, 6, 7], seed: 197).channelsLast()
        let doubleShifts = try Tensor<Double>(shape: [8, 3], elements: Self.shifts(channels: 8, seed: 198).elements.map(Double.init))
        #expect(try path(double, doubleShifts) == .channelsLastTiles)
    }
}

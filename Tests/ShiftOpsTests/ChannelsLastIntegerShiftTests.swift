import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The integer-shift forward on channels-last data (``ChannelsLastIntegerShift``): grouped and
/// sparse shifts, and active shifts that sit on the lattice, of any bitwise-copyable element type
/// and any rank, padding, stride and origin, with pixels of at least 32 bytes. Its results are the
/// NCHW copy kernels' elements, bit for bit, fill included, on every vector level and thread
/// count.
struct ChannelsLastIntegerShiftTests {
    /// Integer shifts in -`reach`...`reach` on `rank` axes, seeded.
    static func shifts(channels: Int, rank: Int, reach: Int = 3, seed: UInt64) throws -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        return try Tensor<Float>(shape: [channels, rank], elements: (0..<channels * rank).map { _ in
            Float(Int.random(in: -reach...reach, using: &generator))
        })
    }

    /// Random elements of an integer type, seeded.
    static func integers<Q: TensorElement & FixedWidthInteger>(_: Q.Type, shape: [Int], seed: UInt64) throws -> Tensor<Q> {
        var generator = SeededGenerator(seed: seed)
        return try Tensor<Q>(shape: shape, elements: (0..<shape.reduce(1, *)).map { _ in Q.random(in: .min ... .max, using: &generator) })
    }

    /// The channels-last integer forward of `x` against NCHW's, and the path it took.
    func expectNCHWElements<Q: TensorElement & FixedWidthInteger>(
        _ x: Tensor<Q>, shifts s: Tensor<Float>, mode: ShiftMode = .grouped, padding: ShiftPadding,
        geometry: ShiftGeometry = .identity, fill: Q, path: CPUPlan.Path = .channelsLastIntegerShift,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(integer: last, shifts: s, mode: mode, padding: padding, geometry: geometry).path == path,
                sourceLocation: sourceLocation)
        let expected = try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry, fill: fill)
        let y = try shift(last, shifts: s, mode: mode, padding: padding, geometry: geometry, fill: fill)
        #expect(y.dimensionOrder == last.dimensionOrder, sourceLocation: sourceLocation)
        #expect(y.shape == expected.shape, sourceLocation: sourceLocation)
        #expect(y.elements == expected.elements, "\(Q.self) \(x.shape) \(padding) \(geometry)", sourceLocation: sourceLocation)
    }

    /// The same for the floating-point forward, compared bit for bit.
    func expectNCHWBits<T: ShiftFloatingPoint>(
        _ x: Tensor<T>, shifts s: Tensor<T>, mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry = .identity,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let last = try x.channelsLast()
        #expect(try CPUPlan.forward(last, shifts: s, mode: mode, padding: padding, geometry: geometry).path
                    == .channelsLastIntegerShift, sourceLocation: sourceLocation)
        let expected = try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        let y = try shift(last, shifts: s, mode: mode, padding: padding, geometry: geometry)
        #expect(y.dimensionOrder == last.dimensionOrder, sourceLocation: sourceLocation)
        let differ = bitwiseDifferences(y, expected)
        #expect(differ == 0, "\(T.self) \(x.shape) \(mode) \(padding): \(differ) differ", sourceLocation: sourceLocation)
    }

    /// Shapes of each rank whose pixels take whole and partial 32-byte chunks: `Int8` with 32 and
    /// 45 channels, `Int32` with 8 and 11, `Int128` (16 bytes) with 2 and 5.
    static let ranks = [1, 2, 3]

    static func shape(rank: Int, channels: Int) -> [Int] {
        [[2, channels, 11], [2, channels, 6, 7], [1, channels, 4, 5, 3]][rank - 1]
    }

    @Test(arguments: ShiftPadding.allCases, ranks)
    func integersGiveTheNCHWElements(padding: ShiftPadding, rank: Int) throws {
        for channels in [32, 45] {
            let x = try Self.integers(Int8.self, shape: Self.shape(rank: rank, channels: channels), seed: 300)
            try expectNCHWElements(x, shifts: Self.shifts(channels: channels, rank: rank, seed: 301), padding: padding, fill: -7)
        }
        for channels in [8, 11] {
            let x = try Self.integers(Int32.self, shape: Self.shape(rank: rank, channels: channels), seed: 302)
            try expectNCHWElements(x, shifts: Self.shifts(channels: channels, rank: rank, seed: 303), padding: padding, fill: 5)
        }
        for channels in [2, 5] {
            let x = try Self.integers(Int128.self, shape: Self.shape(rank: rank, channels: channels), seed: 304)
            try expectNCHWElements(x, shifts: Self.shifts(channels: channels, rank: rank, seed: 305), padding: padding,
                                   fill: Int128(-3) << 80)
        }
    }

    /// `Float` and `Double` in every mode whose every tap is one sample: grouped and sparse shifts
    /// (sparse rounds half to even), and active shifts on the lattice.
    @Test(arguments: ShiftPadding.allCases, ranks)
    func floatsGiveTheNCHWBits(padding: ShiftPadding, rank: Int) throws {
        let channels = 9
        let integers = try Self.shifts(channels: channels, rank: rank, seed: 306)
        let rounded = try Tensor<Float>(shape: integers.shape, elements: integers.elements.enumerated().map { i, v in
            v + [0.4, -0.5, 0.5, -0.3][i % 4]
        })
        let x = try Tensor<Float>.random(shape: Self.shape(rank: rank, channels: channels), seed: 307)
        try expectNCHWBits(x, shifts: integers, mode: .grouped, padding: padding)
        try expectNCHWBits(x, shifts: rounded, mode: .sparse, padding: padding)
        try expectNCHWBits(x, shifts: integers, mode: .active, padding: padding)
        let doubles = try Tensor<Double>(shape: integers.shape, elements: integers.elements.map(Double.init))
        try expectNCHWBits(Tensor<Double>.random(shape: Self.shape(rank: rank, channels: 5), seed: 308),
                           shifts: Tensor<Double>(shape: [5, rank], elements: Array(doubles.elements.prefix(5 * rank))),
                           mode: .grouped, padding: padding)
    }

    /// Strides, origins and output sizes of every axis, so that rows and columns leave the input
    /// far on either side.
    @Test(arguments: ShiftPadding.allCases)
    func geometriesGiveTheNCHWElements(padding: ShiftPadding) throws {
        let x = try Self.integers(UInt8.self, shape: [2, 40, 5, 6, 7], seed: 309)
        let s = try Self.shifts(channels: 40, rank: 3, reach: 4, seed: 310)
        for geometry in [ShiftGeometry(stride: [1, 2, 3]), ShiftGeometry(stride: [2, 1, 2], origin: [-1, 2, -3]),
                         ShiftGeometry(stride: [1, 1, 2], origin: [3, -4, 1], outputSize: [4, 9, 8])] {
            try expectNCHWElements(x, shifts: s, padding: padding, geometry: geometry, fill: 200)
        }
    }

    /// Shifts far beyond the image, so that whole rows and columns read the fill (zero padding)
    /// or wrap many times (the others).
    @Test(arguments: ShiftPadding.allCases)
    func shiftsBeyondTheImage(padding: ShiftPadding) throws {
        let x = try Self.integers(Int32.self, shape: [2, 16, 5, 6], seed: 311)
        let s = try Tensor<Float>(shape: [16, 2], elements: (0..<32).map { Float(($0 * 37) % 41 - 20) })
        try expectNCHWElements(x, shifts: s, padding: padding, fill: -1)
    }

    /// Rows longer than the fill row the call keeps (64 KiB), so that they run in pieces, with
    /// rows that zero padding leaves out reading the fill piece by piece. On one thread and four
    /// rows, so that no row is split between workers instead.
    @Test(arguments: [ShiftPadding.zeros, .periodic])
    func rowsLongerThanTheFillRow(padding: ShiftPadding) throws {
        let x = try Self.integers(Int32.self, shape: [1, 64, 4, 300], seed: 312)
        #expect(300 * 64 * 4 > ChannelsLastIntegerShift.fillBytes)
        let s = try Self.shifts(channels: 64, rank: 2, reach: 2, seed: 313)
        try Parallelism.$threadLimit.withValue(1) {
            try expectNCHWElements(x, shifts: s, padding: padding, fill: 9)
            // At a column step of 3 the fill row's pixels sit three apart: 85 to a piece.
            try expectNCHWElements(x, shifts: s, padding: padding, geometry: ShiftGeometry(stride: [1, 3]), fill: 9)
        }
    }

    /// Axes of one pixel may have any stride, negative too: no call moves along them. Inputs and
    /// gradients of width 1 borrowed with odd strides on that axis, against NCHW, forward and
    /// backward, with output rows wider than the input (an output size) and as wide.
    @Test(arguments: ShiftPadding.allCases)
    func axesOfOnePixelWithAnyStride(padding: ShiftPadding) throws {
        let (channels, height) = (16, 5)
        let values = try Tensor<Float>.random(shape: [2 * channels * height], seed: 330).elements
        let s = try Tensor<Float>(shape: [channels, 2], elements: (0..<2 * channels).map { Float($0 % 5 - 2) })
        for wStride in [-7, 0, 1000] {
            try values.withUnsafeBufferPointer { buffer in
                try Tensor<Float>.withBorrowed(buffer, shape: [2, channels, height, 1], strides: [channels * height, 1, channels, wStride]) { x in
                    let nchw = try x.dense()
                    for (geometry, width) in [(ShiftGeometry.identity, 1), (ShiftGeometry(stride: [1], outputSize: [height, 4]), 4)] {
                        // A channels-last output: one in the input's odd order would take another path.
                        var y = try Tensor<Float>(shape: [2, channels, height, width]).channelsLast()
                        #expect(try CPUPlan.forward(x, shifts: s, mode: .grouped, padding: padding, geometry: geometry, output: y).path
                                    == .channelsLastIntegerShift)
                        try shift(x, shifts: s, mode: .grouped, padding: padding, geometry: geometry, into: &y)
                        let expected = try shift(nchw, shifts: s, mode: .grouped, padding: padding, geometry: geometry)
                        #expect(bitwiseDifferences(y, expected) == 0, "forward, w stride \(wStride), \(geometry)")
                    }
                    // The gradient of width 1 borrowed the same way.
                    let gradients = try shiftBackward(gradOutput: x, input: x, shifts: s, mode: .grouped, padding: padding)
                    #expect(try CPUPlan.backward(gradOutput: x, input: x, shifts: s, mode: .grouped, padding: padding).path
                                == .channelsLastIntegerShift)
                    let expected = try shiftBackward(gradOutput: nchw, input: nchw, shifts: s, mode: .grouped, padding: padding)
                    #expect(bitwiseDifferences(gradients.input, expected.input) == 0, "backward, w stride \(wStride)")
                }
            }
        }
    }

    /// An output given with `into:`: a channels-last view that starts inside a larger tensor.
    @Test func intoAChannelsLastView() throws {
        let x = try Tensor<Float>.random(shape: [2, 16, 6, 7], seed: 331).channelsLast()
        let s = try Self.shifts(channels: 16, rank: 2, seed: 332)
        var view = try Tensor<Float>(shape: [2, 16, 9, 7], repeating: .nan).channelsLast().sliced(axis: 2, range: 2..<8)
        #expect(try CPUPlan.forward(x, shifts: s, mode: .grouped, output: view).path == .channelsLastIntegerShift)
        try shift(x, shifts: s, mode: .grouped, padding: .zeros, into: &view)
        #expect(bitwiseDifferences(view, try shift(x.dense(), shifts: s, mode: .grouped)) == 0)
    }

    /// Channels that share a shift in runs of eight (four sources to a 32-channel chunk, inside one
    /// 3 x 3 neighbourhood: the 3 x 3 kernel), and every channel its own shift, more sources in a
    /// chunk than the selections hold in registers.
    @Test func fewAndManySourcesPerChunk() throws {
        let x = try Self.integers(Int8.self, shape: [2, 64, 7, 9], seed: 314)
        let runValues: [Float] = (0..<64).flatMap { (c: Int) -> [Float] in [Float(c / 8 % 3 - 1), Float(c / 24 - 1)] }
        let runs = try Tensor<Float>(shape: [64, 2], elements: runValues)
        try expectNCHWElements(x, shifts: runs, padding: .zeros, fill: 1)
        let eachValues: [Float] = (0..<64).flatMap { (c: Int) -> [Float] in [Float(c % 8 - 4), Float(c / 8 - 4)] }
        let each = try Tensor<Float>(shape: [64, 2], elements: eachValues)
        try expectNCHWElements(x, shifts: each, padding: .symmetric, fill: 1)
    }

    /// Every vector level and one thread give the same elements as the default, and a large
    /// call spreads its rows over several workers.
    @Test func everyLevelAndThreadCount() throws {
        let x = try Tensor<Float>.random(shape: [4, 64, 24, 24], seed: 315).channelsLast()
        let s = try Self.shifts(channels: 64, rank: 2, reach: 2, seed: 316)
        let trace = ParallelTrace()
        let y = try Parallelism.$threadLimit.withValue(2) {
            try ParallelTrace.$current.withValue(trace) { try shift2d(x, shifts: s, mode: .grouped) }
        }
        #expect(trace.runs.contains { $0.workers > 1 }, "\(trace.runs)")
        let single = try Parallelism.$threadLimit.withValue(1) { try shift2d(x, shifts: s, mode: .grouped) }
        #expect(bitwiseDifferences(single, y) == 0)
        for level in VectorLevel.names.indices where Int32(level) <= VectorLevel.selected {
            let at = try VectorLevel.$limit.withValue(Int32(level)) {
                (try CPUPlan.forward(x, shifts: s, mode: .grouped).path, try shift2d(x, shifts: s, mode: .grouped))
            }
            #expect(at.0 == .channelsLastIntegerShift)
            #expect(bitwiseDifferences(at.1, y) == 0, "level \(VectorLevel.names[level])")
        }
    }

    /// The grouped input gradient on channels-last data against NCHW's, bit for bit, and the path
    /// it took.
    func expectNCHWGradient<T: ShiftFloatingPoint>(
        _ x: Tensor<T>, shifts s: Tensor<T>, padding: ShiftPadding, geometry: ShiftGeometry = .identity,
        path: CPUPlan.Path = .channelsLastIntegerShift, sourceLocation: SourceLocation = #_sourceLocation
    ) throws where T.RawSignificand: FixedWidthInteger {
        let y = try shift(x, shifts: s, mode: .grouped, padding: padding, geometry: geometry)
        // Signed zeros among the gradients: each input that one output reads keeps its sign.
        let values = try Tensor<T>.random(shape: y.shape, seed: 320).elements.enumerated().map { (i: Int, v: T) -> T in
            i % 7 == 0 ? -0.0 : v
        }
        let g = try Tensor<T>(shape: y.shape, elements: values)
        let (last, gLast) = (try x.channelsLast(), try g.channelsLast())
        #expect(try CPUPlan.backward(gradOutput: gLast, input: last, shifts: s, mode: .grouped, padding: padding,
                                     geometry: geometry).path == path, sourceLocation: sourceLocation)
        let expected = try shiftBackward(gradOutput: g, input: x, shifts: s, mode: .grouped, padding: padding, geometry: geometry)
        let gradients = try shiftBackward(gradOutput: gLast, input: last, shifts: s, mode: .grouped, padding: padding,
                                          geometry: geometry)
        #expect(gradients.input.dimensionOrder == last.dimensionOrder && gradients.shifts == nil, sourceLocation: sourceLocation)
        let differ = bitwiseDifferences(gradients.input, expected.input)
        #expect(differ == 0, "\(T.self) \(x.shape) \(padding) \(geometry): \(differ) differ", sourceLocation: sourceLocation)
    }

    @Test(arguments: ShiftPadding.allCases, ranks)
    func groupedGradientsGiveTheNCHWBits(padding: ShiftPadding, rank: Int) throws {
        let s = try Self.shifts(channels: 9, rank: rank, seed: 321)
        try expectNCHWGradient(Tensor<Float>.random(shape: Self.shape(rank: rank, channels: 9), seed: 322), shifts: s,
                               padding: padding)
        let doubles = try Tensor<Double>(shape: [5, rank], elements: s.elements.prefix(5 * rank).map(Double.init))
        try expectNCHWGradient(Tensor<Double>.random(shape: Self.shape(rank: rank, channels: 5), seed: 323), shifts: doubles,
                               padding: padding)
        // Shifts beyond the image: inputs that no output reads, and taps folded many times.
        let far = try Tensor<Float>(shape: [16, rank], elements: (0..<16 * rank).map { Float(($0 * 37) % 41 - 20) })
        try expectNCHWGradient(Tensor<Float>.random(shape: Self.shape(rank: rank, channels: 16), seed: 324), shifts: far,
                               padding: padding)
    }

    /// Origins and output sizes at stride 1 (output grids other than the input's); other strides
    /// take the tiles.
    @Test(arguments: ShiftPadding.allCases)
    func groupedGradientsOfOtherGrids(padding: ShiftPadding) throws {
        let x = try Tensor<Float>.random(shape: [2, 12, 5, 6, 7], seed: 325)
        let s = try Self.shifts(channels: 12, rank: 3, reach: 4, seed: 326)
        for geometry in [ShiftGeometry(stride: [1], origin: [-1, 2, -3]), ShiftGeometry(stride: [1], origin: [3, -4, 1], outputSize: [4, 9, 8])] {
            try expectNCHWGradient(x, shifts: s, padding: padding, geometry: geometry)
        }
        try expectNCHWGradient(x, shifts: s, padding: padding, geometry: ShiftGeometry(stride: [1, 2, 1]), path: .channelsLastTiles)
    }

    /// The input gradient on every vector level and thread count, over several workers.
    @Test func groupedGradientOnEveryLevelAndThreadCount() throws {
        let x = try Tensor<Float>.random(shape: [4, 64, 24, 24], seed: 327).channelsLast()
        let g = try Tensor<Float>.random(shape: [4, 64, 24, 24], seed: 328).channelsLast()
        let s = try Self.shifts(channels: 64, rank: 2, reach: 2, seed: 329)
        let trace = ParallelTrace()
        let gx = try Parallelism.$threadLimit.withValue(2) {
            try ParallelTrace.$current.withValue(trace) {
                try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: .grouped, padding: .reflect).input
            }
        }
        #expect(trace.runs.count == 2 && trace.runs.allSatisfy { $0.workers > 1 }, "\(trace.runs)")
        let single = try Parallelism.$threadLimit.withValue(1) {
            try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: .grouped, padding: .reflect).input
        }
        #expect(bitwiseDifferences(single, gx) == 0)
        for level in VectorLevel.names.indices where Int32(level) <= VectorLevel.selected {
            let at = try VectorLevel.$limit.withValue(Int32(level)) {
                try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: .grouped, padding: .reflect).input
            }
            #expect(bitwiseDifferences(at, gx) == 0, "level \(VectorLevel.names[level])")
        }
    }

    /// A single long 1-D row splits its interior between workers, every part its own columns.
    @Test(arguments: [ShiftPadding.zeros, .reflect])
    func aSingleLongRowOnSeveralWorkers(padding: ShiftPadding) throws {
        let x = try Self.integers(Int32.self, shape: [1, 64, 1000], seed: 333).channelsLast()
        let s = try Self.shifts(channels: 64, rank: 1, reach: 3, seed: 334)
        let trace = ParallelTrace()
        let y = try Parallelism.$threadLimit.withValue(2) {
            try ParallelTrace.$current.withValue(trace) { try shift(x, shifts: s, mode: .grouped, padding: padding, fill: 4) }
        }
        #expect(trace.runs.count == 1 && trace.runs.allSatisfy { $0.workers == 2 && $0.chunks == 8 }, "\(trace.runs)")
        #expect(y.elements == (try shift(x.dense(), shifts: s, mode: .grouped, padding: padding, fill: 4)).elements)
    }

    /// The classic grouped pattern (channel `c` takes offset `c mod 9` of `{-1, 0, 1}^2`, on
    /// the last two axes): many sources per chunk, all inside a 3 x 3 neighbourhood, so the
    /// kernel that selects each lane's row and then its column serves; forward and backward,
    /// against NCHW.
    @Test(arguments: ShiftPadding.allCases, ranks)
    func theThreeByThreeKernel(padding: ShiftPadding, rank: Int) throws {
        func classic(_ channels: Int) throws -> Tensor<Float> {
            let values: [Float] = (0..<channels).flatMap { (c: Int) -> [Float] in
                let offsets = [Float(c % 9 / 3 - 1), Float(c % 3 - 1)]
                return Array(repeating: 0, count: Swift.max(0, rank - 2)) + offsets.suffix(rank)
            }
            return try Tensor<Float>(shape: [channels, rank], elements: values)
        }
        // The kernel's tables exist for these calls: 8 and 9 sources per chunk (1-D data has 3,
        // too few for it to pay).
        for (channels, size) in [(18, 4), (45, 1)] where rank >= 2 {
            let shifts = try classic(channels)
            let problem = try ShiftProblem.make(inputShape: Self.shape(rank: rank, channels: channels), shifts: shifts,
                                                spatialRank: rank, mode: .grouped, padding: padding, geometry: .identity)
            let rolling = withExtendedLifetime(shifts) {
                let table = ShiftTable(shifts)
                let selections = ChannelsLastIntegerShift.Selections(channels: channels, elementSize: size) {
                    problem.taps(channel: $0, shifts: table)
                }
                return ChannelsLastIntegerShift.Rolling(selections, channels: channels, elementSize: size)
            }
            #expect(rolling != nil, "\(channels) channels of \(size) bytes")
        }
        let x = try Tensor<Float>.random(shape: Self.shape(rank: rank, channels: 18), seed: 335)
        try expectNCHWBits(x, shifts: classic(18), mode: .grouped, padding: padding)
        try expectNCHWGradient(x, shifts: classic(18), padding: padding)
        try expectNCHWElements(Self.integers(Int8.self, shape: Self.shape(rank: rank, channels: 45), seed: 336),
                               shifts: classic(45), padding: padding, fill: 3)
        // Rows long enough to run in pieces (one thread, four rows: no row split between workers),
        // each piece's outer columns inside the row but the row's ends; other output grids, and
        // a pattern off centre (bases 0 to 2), so that edge columns remain; and every vector level.
        if rank == 2 {
            let long = try Self.integers(Int32.self, shape: [1, 64, 4, 300], seed: 337)
            try Parallelism.$threadLimit.withValue(1) { try expectNCHWElements(long, shifts: classic(64), padding: padding, fill: 8) }
            let shifted = try Tensor<Float>(shape: [18, 2], elements: classic(18).elements.map { $0 - 1 })
            for (shifts, geometry) in [(try classic(18), ShiftGeometry(stride: [1], origin: [2, -3], outputSize: [9, 8])),
                                       (shifted, ShiftGeometry.identity), (shifted, ShiftGeometry(stride: [1], origin: [-1, 1]))] {
                try expectNCHWBits(x, shifts: shifts, mode: .grouped, padding: padding, geometry: geometry)
                try expectNCHWGradient(x, shifts: shifts, padding: padding, geometry: geometry)
            }
            let wide = try Tensor<Float>.random(shape: [2, 64, 9, 10], seed: 338).channelsLast()
            let y = try shift2d(wide, shifts: classic(64), mode: .grouped, padding: padding)
            for level in VectorLevel.names.indices where Int32(level) <= VectorLevel.selected {
                let at = try VectorLevel.$limit.withValue(Int32(level)) { try shift2d(wide, shifts: classic(64), mode: .grouped, padding: padding) }
                #expect(bitwiseDifferences(at, y) == 0, "level \(VectorLevel.names[level])")
            }
            #expect(bitwiseDifferences(y, try shift2d(wide.dense(), shifts: classic(64), mode: .grouped, padding: padding)) == 0)
        }
    }

    /// Pixels under 32 bytes, and interpolating shifts, take the tiles.
    @Test func otherCallsTakeTheTiles() throws {
        let narrow = try Self.integers(Int8.self, shape: [1, 31, 6, 6], seed: 317)
        try expectNCHWElements(narrow, shifts: Self.shifts(channels: 31, rank: 2, seed: 318), padding: .zeros, fill: 0,
                               path: .channelsLastTiles)
        let x = try Tensor<Float>.random(shape: [1, 16, 6, 6], seed: 319).channelsLast()
        let s = try Tensor<Float>(shape: [16, 2], elements: (0..<32).map { $0 == 5 ? 2.5 : Float($0 % 3) })
        #expect(try CPUPlan.forward(x, shifts: s, mode: .active).path == .channelsLastTiles)
    }
}

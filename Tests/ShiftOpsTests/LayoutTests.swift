import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// SPEC §5 across memory layouts: the forward and backward of a channels-last, sliced, transposed,
/// permuted or reversed (negative-stride) input agree with the NCHW result and with the reference,
/// for every mode, padding and rank, at stride 1 and at stride 2 with an origin; the integer-shift
/// forwards are bitwise equal.
@Suite struct LayoutTests {
    enum Layout: String, CaseIterable, Sendable {
        case channelsLast, permuted, sliced, transposedSpatial, reversed
    }

    struct Case: CustomStringConvertible, Sendable {
        var config: ShiftCase
        var layout: Layout
        var description: String { "\(config) \(layout)" }
    }

    /// The identity and the strided grid with an origin, of the shared list.
    static let cases: [Case] = ShiftCase.all.flatMap { base in
        ShiftCase.geometries(rank: base.k, size: ShiftCase.spatialSizes[base.k - 1]).prefix(2).map(\.geometry).flatMap { geometry in
            Layout.allCases.map { layout in
                var config = base
                config.geometry = geometry
                return Case(config: config, layout: layout)
            }
        }
    }

    /// The same logical tensor in `layout`'s memory order.
    static func view(_ x: Tensor<Double>, _ layout: Layout) throws -> Tensor<Double> {
        let rank = x.rank
        switch layout {
        case .channelsLast:
            return try x.channelsLast()
        case .permuted:
            let reversed = Array((0..<rank).reversed())
            return try x.permuted(reversed).contiguous().permuted(reversed)
        case .sliced:
            // Every other element of a tensor twice as wide, on the last and the channel axis.
            var wide = x.shape
            wide[rank - 1] *= 2
            wide[1] *= 2
            var big = try Tensor<Double>(shape: wide, repeating: .nan)
            var index = [Int](repeating: 0, count: rank)
            for v in x.elements {
                var bigIndex = index
                bigIndex[rank - 1] *= 2
                bigIndex[1] = bigIndex[1] * 2 + 1
                big[bigIndex] = v
                for a in (0..<rank).reversed() {
                    index[a] += 1
                    if index[a] < x.shape[a] { break }
                    index[a] = 0
                }
            }
            return try big.sliced(axis: rank - 1, range: 0..<wide[rank - 1], step: 2)
                .sliced(axis: 1, range: 1..<wide[1], step: 2)
        case .transposedSpatial:
            // The first and last spatial axes swapped in memory (W outermost for 2-D).
            let (a, b) = (2, rank - 1)
            return try x.transposed(a, b).contiguous().transposed(a, b)
        case .reversed:
            // Every spatial axis stored back to front: negative strides.
            let dense = x.contiguous()
            var strides = dense.strides, offset = 0
            for axis in 2..<rank where dense.shape[axis] > 0 {
                offset += (dense.shape[axis] - 1) * strides[axis]
                strides[axis] = -strides[axis]
            }
            let storage = try TensorStorage<Double>(copying: dense.storage)
            var flipped = Tensor<Double>(storage: storage, shape: dense.shape, strides: strides, offset: offset)
            // Write the values so that logical order is preserved under the flipped strides.
            var index = [Int](repeating: 0, count: rank)
            for v in x.elements {
                flipped[index] = v
                for a in (0..<rank).reversed() {
                    index[a] += 1
                    if index[a] < x.shape[a] { break }
                    index[a] = 0
                }
            }
            return flipped
        }
    }

    @Test(.tags(.slow), .skippedInFastLane, arguments: cases)
    func forwardAndBackwardAgreeWithNCHWAndTheReference(test: Case) throws {
        let config = test.config
        let x = try Tensor<Double>.random(shape: config.shape(batch: 2, channels: 4), seed: 41)
        let s: Tensor<Double> = config.shifts(channels: 4, seed: 42)
        let g = try Tensor<Double>.random(shape: try config.forward(x, s).shape, seed: 43)
        let view = try Self.view(x, test.layout)
        #expect(view.elements == x.elements, "the view holds the same logical values")
        let nchw = try config.backward(g, x, s)
        let other = try config.backward(g, view, s)
        let reference = config.referenceBackward(g, x, s)
        #expect(other.input.shape == x.shape)
        #expect(other.input.dimensionOrder == view.dimensionOrder, "gradInput keeps the input's order")
        expectClose(other.input, nchw.input, tolerance: 1e-12, "gradInput vs NCHW")
        expectClose(other.input, reference.input, tolerance: 1e-12, "gradInput vs reference")
        #expect((other.shifts == nil) == (config.mode == .grouped))
        if let shifts = other.shifts {
            expectClose(shifts, nchw.shifts!, tolerance: 1e-10, "gradShifts vs NCHW")
            expectClose(shifts, reference.shifts!, tolerance: 1e-10, "gradShifts vs reference")
        }
        // gradOutput in the same unusual layout.
        let gView = try Self.view(g, test.layout)
        let both = try config.backward(gView, view, s)
        expectClose(both.input, nchw.input, tolerance: 1e-12, "gradInput, gradOutput in layout")
        if let shifts = both.shifts { expectClose(shifts, nchw.shifts!, tolerance: 1e-10, "gradShifts, gradOutput in layout") }
        // The integer-shift forwards are pure data movement: bitwise equal.
        let (y, yNCHW) = (try config.forward(view, s), try config.forward(x, s))
        #expect(y.dimensionOrder == view.dimensionOrder, "the output keeps the input's order")
        if config.mode != .active {
            #expect(bitwiseDifferences(y, yNCHW) == 0, "integer forward")
        } else {
            expectClose(y, yNCHW, tolerance: 1e-12, "forward vs NCHW")
        }
        expectClose(y, config.reference(x, s), tolerance: 1e-12, "forward vs reference")
    }

    /// Channels-last tensors whose channel blocks fit the scratch run the NCHW plane kernels on
    /// transposed blocks (``ChannelsLastTiles``), so every result is NCHW's, bit for bit: the
    /// forward, the input gradient and the shift gradient. 19 channels make a partial last block
    /// of 3; stride 2 with an origin takes the row kernels instead of the flattened ones.
    @Test(.tags(.slow), .skippedInFastLane, arguments: ShiftCase.all.flatMap { base in
        [ShiftGeometry.identity, ShiftGeometry(stride: [2], origin: [1])].map { geometry in
            var config = base
            config.geometry = geometry
            return config
        }
    })
    func channelsLastTilesGiveTheNCHWBits(config: ShiftCase) throws {
        // The integer forwards and the grouped input gradient would take the channels-last
        // integer kernel (`ChannelsLastIntegerShiftTests`); here the tiles' copies are under test.
        try ChannelsLastIntegerShift.$isEnabled.withValue(false) { try tilesGiveTheNCHWBits(config: config) }
    }

    func tilesGiveTheNCHWBits(config: ShiftCase) throws {
        let shape = [[2, 19, 40], [2, 19, 12, 14], [2, 19, 5, 6, 7]][config.k - 1]
        let x = try Tensor<Float>.random(shape: shape, seed: 61)
        let s: Tensor<Float> = config.shifts(channels: shape[1], seed: 62)
        let last = try x.channelsLast()
        let y = try config.forward(x, s)
        let g = try Tensor<Float>.random(shape: y.shape, seed: 63)
        let plan = try CPUPlan.forward(last, shifts: s, mode: config.mode, padding: config.padding,
                                       geometry: config.geometry, output: try y.channelsLast())
        #expect(plan.path == .channelsLastTiles, "the tiled path serves this shape")
        if case .tiles(let tiles) = plan.route { #expect(tiles.tile == 16) }
        #expect(bitwiseDifferences(try config.forward(last, s), y) == 0, "forward")
        let (nchw, other) = (try config.backward(g, x, s), try config.backward(try g.channelsLast(), last, s))
        #expect(bitwiseDifferences(other.input, nchw.input) == 0, "gradInput")
        if let shifts = other.shifts { #expect(bitwiseDifferences(shifts, nchw.shifts!) == 0, "gradShifts") }
    }

    /// Planes whose smallest tile exceeds the scratch limit take larger tiles, a multiple of 8
    /// channels where they can, and 16 where twice the budget holds them (the forward's 16 here,
    /// the backward's 5 or, without the shift gradient, 16), still NCHW's bits. A
    /// limit of one forward channel's planes stands in for a 3-D volume against the real limit.
    @Test(.tags(.slow), .skippedInFastLane, arguments: ShiftCase.all.filter { $0.k >= 2 })
    func largerTilesFromTheSharedCacheGiveTheNCHWBits(config: ShiftCase) throws {
        let shape = [[2, 19, 12, 14], [2, 19, 5, 6, 7]][config.k - 2]
        let x = try Tensor<Float>.random(shape: shape, seed: 64)
        let s: Tensor<Float> = config.shifts(channels: shape[1], seed: 65)
        let g = try Tensor<Float>.random(shape: shape, seed: 66)
        let (last, gLast) = (try x.channelsLast(), try g.channelsLast())
        let limit = 2 * shape.dropFirst(2).reduce(1, *) * MemoryLayout<Float>.stride
        // Two threads, so that the tiles that grow to 16 channels do on any machine: the forward's
        // 2 x 16 channels of two planes are exactly four budgets of 16 planes.
        try Parallelism.$threadLimit.withValue(2) {
        try ChannelsLastIntegerShift.$isEnabled.withValue(false) { try ChannelsLastTiles.$scratchLimit.withValue(limit) {
            let forwardPlan = try CPUPlan.forward(last, shifts: s, mode: config.mode, padding: config.padding)
            let backwardPlan = try CPUPlan.backward(gradOutput: gLast, input: last, shifts: s, mode: config.mode,
                                                    padding: config.padding)
            #expect(forwardPlan.path == .channelsLastTiles || forwardPlan.path == .channelsLastNeighbours)
            if case .tiles(let tiles) = forwardPlan.route { #expect(tiles.tile == 16) }
            #expect(backwardPlan.path == .channelsLastTiles)
            if case .tiles(let tiles) = backwardPlan.route { #expect(tiles.tile == (config.mode.learnsShifts ? 5 : 16)) }
            #expect(bitwiseDifferences(try config.forward(last, s), try config.forward(x, s)) == 0, "forward")
            let (nchw, other) = (try config.backward(g, x, s), try config.backward(gLast, last, s))
            #expect(bitwiseDifferences(other.input, nchw.input) == 0, "gradInput")
            if let shifts = other.shifts { #expect(bitwiseDifferences(shifts, nchw.shifts!) == 0, "gradShifts") }
        } }
        }
    }

    /// The direct channels-last kernels, for planes too large for the tiles' scratch (here
    /// forced by a zero scratch limit), and the tiled path, on shapes where most pixels are
    /// interior for every channel (the small shapes above exercise mostly their edges), against NCHW.
    @Test(.tags(.slow), .skippedInFastLane,
          arguments: ShiftCase.all.flatMap { config in [(config, 0), (config, ChannelsLastTiles.scratchLimit)] })
    func channelsLastKernelsOnLargerShapes(config: ShiftCase, scratchLimit: Int) throws {
        try ChannelsLastTiles.$scratchLimit.withValue(scratchLimit) { try channelsLastKernelsOnLargerShapes(config: config) }
    }

    func channelsLastKernelsOnLargerShapes(config: ShiftCase) throws {
        let shape = [[3, 16, 64], [2, 16, 20, 24], [2, 8, 6, 10, 12]][config.k - 1]
        let x = try Tensor<Double>.random(shape: shape, seed: 51)
        var generator = SeededGenerator(seed: 52)
        let s = try Tensor<Double>(shape: [shape[1], config.k], elements: (0..<shape[1] * config.k).map { _ in
            let v = Double.random(in: -1.5...1.5, using: &generator)
            return config.mode == .grouped ? v.rounded() : v
        })
        let g = try Tensor<Double>.random(shape: shape, seed: 53)
        let last = try x.channelsLast()
        expectClose(try config.forward(last, s), try config.forward(x, s), tolerance: 1e-12, "forward")
        let (nchw, other) = (try config.backward(g, x, s), try config.backward(try g.channelsLast(), last, s))
        expectClose(other.input, nchw.input, tolerance: 1e-12, "gradInput")
        if let shifts = other.shifts { expectClose(shifts, nchw.shifts!, tolerance: 1e-10, "gradShifts") }
    }
}

import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// SPEC §5 determinism on shapes large enough that the kernels really split their work: every
/// parallel loop of each call must report more than one worker and more than one chunk, and the
/// outputs must be bitwise those of a single thread.
@Suite struct ThreadingTests {
    /// Per rank, a shape whose planes and rows exceed every kernel's grain several times over.
    static func shape(_ k: Int) -> [Int] {
        [[6, 16, 200], [4, 16, 24, 24], [4, 8, 6, 12, 12]][k - 1]
    }

    /// `channelsLastDirect` turns the channels-last tiles off, to reach the direct kernels.
    enum Layout: String, CaseIterable, Sendable { case nchw, channelsLast, channelsLastDirect }

    struct Case: CustomStringConvertible, Sendable {
        var config: ShiftCase
        var layout: Layout
        var description: String { "\(config) \(layout)" }
    }

    static let cases: [Case] = ShiftCase.all.flatMap { config in Layout.allCases.map { Case(config: config, layout: $0) } }

    /// Runs `body` under `threads` and returns its result and what its parallel loops ran.
    func traced<R>(threads: Int, _ body: () throws -> R) rethrows -> (R, [ParallelTrace.Run]) {
        let trace = ParallelTrace()
        let result = try Parallelism.$threadLimit.withValue(threads) {
            try ParallelTrace.$current.withValue(trace) { try body() }
        }
        return (result, trace.runs)
    }

    @Test(.tags(.slow), .skippedInFastLane, arguments: cases)
    func forwardAndBackwardAreBitwiseTheSameOnEveryThreadCount(test: Case) throws {
        let limit = test.layout == .channelsLastDirect ? 0 : ChannelsLastTiles.scratchLimit
        try ChannelsLastTiles.$scratchLimit.withValue(limit) { try checkThreadCounts(test) }
    }

    func checkThreadCounts(_ test: Case) throws {
        let config = test.config
        let dense = try Tensor<Float>.random(shape: Self.shape(config.k), seed: 31)
        let x = test.layout == .nchw ? dense : try dense.channelsLast()
        let s: Tensor<Float> = config.shifts(channels: x.shape[1], seed: 32)
        let g = try Tensor<Float>.random(shape: try config.forward(x, s).shape, seed: 33)
        let (single, singleRuns) = try traced(threads: 1) { try (config.forward(x, s), config.backward(g, x, s)) }
        #expect(!singleRuns.isEmpty && singleRuns.allSatisfy { $0.workers == 1 }, "\(singleRuns)")
        for threads in [2, 3, 8] {
            let (forward, forwardRuns) = try traced(threads: threads) { try config.forward(x, s) }
            let (backward, backwardRuns) = try traced(threads: threads) { try config.backward(g, x, s) }
            for (name, runs) in [("forward", forwardRuns), ("backward", backwardRuns)] {
                #expect(!runs.isEmpty, "\(name) ran no parallel loop")
                #expect(runs.allSatisfy { $0.workers > 1 && $0.chunks > 1 }, "\(name) \(threads) threads: \(runs)")
            }
            #expect(bitwiseDifferences(forward, single.0) == 0, "forward, \(threads) threads")
            #expect(bitwiseDifferences(backward.input, single.1.input) == 0, "gradInput, \(threads) threads")
            if let shifts = backward.shifts {
                #expect(bitwiseDifferences(shifts, single.1.shifts!) == 0, "gradShifts, \(threads) threads")
            }
        }
    }

    /// The channels-last neighbourhood forward (shifts in (-1, 1)) spreads rows over threads.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func neighbourhoodForwardIsBitwiseTheSameOnEveryThreadCount(padding: ShiftPadding) throws {
        try checkForwardThreadCounts(seed: 34, shifts: -0.95...0.95, padding: padding, path: .channelsLastNeighbours)
    }

    /// The channels-last wide forward (shifts in (-2, 2)) spreads rows over threads.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func wideNeighbourhoodForwardIsBitwiseTheSameOnEveryThreadCount(padding: ShiftPadding) throws {
        try checkForwardThreadCounts(seed: 39, shifts: -1.9...1.9, padding: padding, path: .channelsLastWideNeighbours)
    }

    /// The strided channels-last 3-D forward (shifts in (-1, 1)) spreads rows over threads.
    @Test(.enabled(if: VectorLevel.selected > 0, "no vector level above portable here: the tiles serve instead"),
          arguments: ShiftPadding.allCases)
    func volumeForwardIsBitwiseTheSameOnEveryThreadCount(padding: ShiftPadding) throws {
        let x = try Tensor<Float>.random(shape: [2, 24, 8, 12, 40], seed: 40).channelsLast()
        let s = try Tensor<Float>.random(shape: [24, 3], in: -0.95...0.95, seed: 41)
        for geometry in [ShiftGeometry(stride: [2, 1, 1]), ShiftGeometry(stride: 2)] {
            #expect(try CPUPlan.forward(x, shifts: s, padding: padding, geometry: geometry).path == .channelsLastVolumeNeighbours)
            let (single, _) = try traced(threads: 1) { try shift3d(x, shifts: s, padding: padding, geometry: geometry) }
            for threads in [2, 3, 8] {
                let (many, runs) = try traced(threads: threads) { try shift3d(x, shifts: s, padding: padding, geometry: geometry) }
                #expect(!runs.isEmpty && runs.allSatisfy { $0.workers > 1 && $0.chunks > 1 }, "\(threads) threads: \(runs)")
                #expect(bitwiseDifferences(many, single) == 0, "\(threads) threads, stride \(geometry.stride)")
            }
            #expect(bitwiseDifferences(single, try shift3d(x.contiguous(), shifts: s, padding: padding, geometry: geometry)) == 0,
                    "vs NCDHW, stride \(geometry.stride)")
        }
    }

    /// A channels-last 2-D forward with 16 channels and shifts from `shifts` takes `path`, splits
    /// its rows over 2, 3 and 8 threads, and gives one thread's bits, which are NCHW's.
    func checkForwardThreadCounts(seed: UInt64, shifts range: ClosedRange<Float>, padding: ShiftPadding,
                                  path: CPUPlan.Path) throws {
        let x = try Tensor<Float>.random(shape: Self.shape(2), seed: seed).channelsLast()
        let s = try Tensor<Float>.random(shape: [16, 2], in: range, seed: seed + 1)
        #expect(try CPUPlan.forward(x, shifts: s, padding: padding).path == path)
        let (single, _) = try traced(threads: 1) { try shift2d(x, shifts: s, padding: padding) }
        for threads in [2, 3, 8] {
            let (many, runs) = try traced(threads: threads) { try shift2d(x, shifts: s, padding: padding) }
            #expect(!runs.isEmpty && runs.allSatisfy { $0.workers > 1 && $0.chunks > 1 }, "\(threads) threads: \(runs)")
            #expect(bitwiseDifferences(many, single) == 0, "\(threads) threads")
        }
        #expect(bitwiseDifferences(single, try shift2d(x.contiguous(), shifts: s, padding: padding)) == 0, "vs NCHW")
    }

    /// The channels-last neighbourhood backward, active and sparse, spreads fixed blocks of rows
    /// over threads and adds their shift-gradient sums in block order; every vector level runs it.
    @Test(arguments: ShiftPadding.allCases, [ShiftMode.active, .sparse])
    func neighbourhoodBackwardIsBitwiseTheSameOnEveryThreadCount(padding: ShiftPadding, mode: ShiftMode) throws {
        let x = try Tensor<Float>.random(shape: Self.shape(2), seed: 36).channelsLast()
        let g = try Tensor<Float>.random(shape: Self.shape(2), seed: 37).channelsLast()
        let s = try Tensor<Float>.random(shape: [16, 2], in: -0.95...0.95, seed: 38)
        #expect(try CPUPlan.backward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding).path
                == (mode == .sparse ? .channelsLastSparseNeighbours : .channelsLastNeighbours))
        func run() throws -> ShiftGradients<Float> { try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding) }
        let (single, _) = try traced(threads: 1) { try run() }
        for threads in [2, 3, 8] {
            let (many, runs) = try traced(threads: threads) { try run() }
            #expect(!runs.isEmpty && runs.contains { $0.workers > 1 && $0.chunks > 1 }, "\(threads) threads: \(runs)")
            #expect(bitwiseDifferences(many.input, single.input) == 0, "gradInput, \(threads) threads")
            #expect(bitwiseDifferences(try #require(many.shifts), try #require(single.shifts)) == 0, "gradShifts, \(threads) threads")
        }
    }

    @Test func integerForwardIsBitwiseTheSameOnEveryThreadCount() throws {
        var generator = SeededGenerator(seed: 5)
        let shape = [4, 16, 24, 24]
        let x = try Tensor<Int8>(shape: shape, elements: (0..<shape.reduce(1, *)).map { _ in Int8.random(in: .min ... .max, using: &generator) })
        let s = try Tensor<Float>.random(shape: [16, 2], in: -3...3, seed: 6)
        for layout in [x, try x.channelsLast()] {
            let (single, _) = try traced(threads: 1) { try shift2d(layout, shifts: s, mode: .sparse, padding: .reflect, fill: -7) }
            let (many, runs) = try traced(threads: 3) { try shift2d(layout, shifts: s, mode: .sparse, padding: .reflect, fill: -7) }
            #expect(!runs.isEmpty && runs.allSatisfy { $0.workers > 1 }, "\(runs)")
            #expect(many.shape == single.shape && many.elements == single.elements)
        }
    }
}

import Testing
@testable import ShiftOps

/// The CPU plan: which path a call takes, read from the plan that the op itself computes.
@Suite struct CPUPlanTests {
    let s2 = try! Tensor<Float>(shape: [5, 2], elements: [0.5, -1.25, 1, 0, -2, 0.75, 0.25, 1.5, -0.5, 2])

    func paths(_ x: Tensor<Float>, shifts: Tensor<Float>? = nil, mode: ShiftMode = .active,
               geometry: ShiftGeometry = .identity) throws -> (forward: CPUPlan.Path, backward: CPUPlan.Path) {
        let s = shifts ?? s2
        let y = try shift(x, shifts: s, mode: mode, geometry: geometry)
        let forward = try CPUPlan.forward(x, shifts: s, mode: mode, geometry: geometry)
        let backward = try CPUPlan.backward(gradOutput: y, input: x, shifts: s, mode: mode, geometry: geometry)
        return (forward.path, backward.path)
    }

    @Test func denseNCHWAtStrideOneFlattens() throws {
        let x = try Tensor<Float>.random(shape: [2, 5, 6, 7], seed: 1)
        #expect(try paths(x) == (.flatPlanes, .densePlanes))
        let g = try shift(x, shifts: s2)
        #expect(try CPUPlan.backward(gradOutput: g, input: x, shifts: s2).flattensShiftGradient)
        // An output row longer than the input row does not flatten; the gather still serves.
        let wider = ShiftGeometry(stride: [1], origin: [0], outputSize: [6, 9])
        #expect(try paths(x, geometry: wider) == (.rows, .densePlanes))
        let y = try shift(x, shifts: s2, geometry: wider)
        #expect(try !CPUPlan.backward(gradOutput: y, input: x, shifts: s2, geometry: wider).flattensShiftGradient)
    }

    @Test func stridesAndStridedLayoutsTakeTheRows() throws {
        let x = try Tensor<Float>.random(shape: [2, 5, 6, 7], seed: 2)
        #expect(try paths(x, geometry: ShiftGeometry(stride: 2, origin: 1)) == (.rows, .stridedPlanes))
        let transposed = try Tensor<Float>.random(shape: [2, 5, 7, 6], seed: 3).transposed(2, 3)
        #expect(try paths(transposed) == (.rows, .stridedPlanes))
        let plan = try CPUPlan.forward(transposed, shifts: s2)
        #expect(plan.grain == 4096 / 7)
    }

    @Test func channelsLastTakesTheTilesOrTheDirectKernels() throws {
        let x = try Tensor<Float>.random(shape: [2, 5, 6, 7], seed: 4).channelsLast()
        #expect(try paths(x) == (.channelsLastTiles, .channelsLastTiles))
        // Planes too large for the scratch: the direct kernels (the backward's only at stride 1).
        try ChannelsLastTiles.$scratchLimit.withValue(0) {
            #expect(try paths(x) == (.channelsLastPixels, .channelsLastImages))
            #expect(try paths(x, geometry: ShiftGeometry(stride: 2)) == (.channelsLastPixels, .stridedPlanes))
            let integer = try CPUPlan.forward(integer: try Tensor<Int8>(shape: [2, 5, 6, 7]).channelsLast(), shifts: s2)
            #expect(integer.path == .rows)
        }
        // Planes whose smallest tile exceeds the default scratch take larger tiles from the
        // shared cache; only planes too large even for those take the direct kernels.
        let volume = try Tensor<Float>(uninitializedShape: [1, 19, 16, 56, 56], order: [0, 2, 3, 4, 1])
        let volumePlan = try CPUPlan.forward(volume, shifts: Tensor<Float>(shape: [19, 3], repeating: 0.5))
        #expect(volumePlan.path == .channelsLastTiles)
        if case .tiles(let tiles) = volumePlan.route { #expect(tiles.tile == 16, "a multiple of 8 channels") }
        // A tile of 8 grows to 16 channels (a cache line of each pixel) only where that leaves a
        // task for every thread and all threads' tiles within four budgets.
        func backwardTile(_ shape: [Int], threads: Int) throws -> Int? {
            let volume = try Tensor<Float>(uninitializedShape: shape, order: [0, 2, 3, 4, 1])
            let plan = try Parallelism.$threadLimit.withValue(threads) {
                try CPUPlan.backward(gradOutput: volume, input: volume, shifts: Tensor<Float>(shape: [shape[1], 3], repeating: 0.5))
            }
            if case .tiles(let tiles) = plan.route { return tiles.tile }
            return nil
        }
        #expect(try backwardTile([2, 32, 16, 56, 56], threads: 2) == 16)
        #expect(try backwardTile([2, 32, 16, 56, 56], threads: 4) == 8, "four threads' tiles of 16 exceed four budgets")
        #expect(try backwardTile([1, 16, 16, 56, 56], threads: 2) == 8, "one tile of 16 would leave a thread idle")
        let large = try Tensor<Float>(uninitializedShape: [1, 5, 640, 640], order: x.dimensionOrder)
        #expect(try paths(large) == (.channelsLastPixels, .channelsLastImages))
        // One channel: channels-last is NCHW.
        let single = try Tensor<Float>.random(shape: [2, 1, 6, 7], seed: 6).channelsLast()
        #expect(try paths(single, shifts: Tensor<Float>(shape: [1, 2], repeating: 0.5)) == (.flatPlanes, .densePlanes))
    }

    @Test func integerForwardHasNoPixelKernel() throws {
        let q = try Tensor<Int8>(shape: [2, 5, 6, 7])
        #expect(try CPUPlan.forward(integer: q, shifts: s2).path == .flatPlanes)
        #expect(try CPUPlan.forward(integer: q.channelsLast(), shifts: s2).path == .channelsLastTiles)
    }

    @Test func vectorLevelIsReadOnceIntoThePlan() throws {
        let x = try Tensor<Float>.random(shape: [2, 5, 6, 7], seed: 7)
        let plan = try VectorLevel.$limit.withValue(VectorLevel.portable) { try CPUPlan.forward(x, shifts: s2) }
        #expect(plan.level == VectorLevel.portable)
        #expect(plan.description.hasPrefix("flatPlanes (portable, grain "), "\(plan)")
        #expect(try CPUPlan.forward(x, shifts: s2).level == VectorLevel.current)
    }
}

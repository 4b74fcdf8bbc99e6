/// Which CPU path a call takes, decided once per call, in one place, from the validated problem
/// and the tensors' strides; the forward and the backward each switch on it once.
///
/// Every path gives the same bits (the benchmark and the golden outputs check it), except the
/// channels-last neighbourhood backward and the sparse backward's shift gradient on the same
/// kernel, whose sums are ordered differently (they agree with the others to rounding, and give
/// the same bits on every vector level and thread count); they differ in speed only. The choice,
/// in order of preference:
///
/// | direction | path | when |
/// | --- | --- | --- |
/// | forward | ``Path/channelsLastNeighbours`` | dense channels-last 2-D `Float` active shifts at any stride above the portable level, at least 8 channels, every channel's taps in its pixel's 3 x 3 neighbourhood (``ChannelsLastNeighbours``) |
/// | backward | ``Path/channelsLastNeighbours`` | the same at every vector level, with a channel count that is a multiple of 8, stride 1 and an output grid equal to the input grid |
/// | forward | ``Path/channelsLastWideNeighbours`` | the same above the portable level with every channel's taps in its pixel's 5 x 5 neighbourhood and a multiple of 8 channels, at any stride |
/// | forward | ``Path/channelsLastVolumeNeighbours`` | the 3 x 3 kernel's conditions on dense channels-last 3-D tensors at a stride other than 1 on some axis, every channel's taps in its pixel's 3 x 3 x 3 neighbourhood (``ChannelsLastNeighbours``) |
/// | forward | ``Path/channelsLastIntegerShift`` | dense channels-last tensors of bitwise-copyable elements, at least 2 channels and 32 bytes per pixel, every channel reading one tap per axis (integer shifts: ``ChannelsLastIntegerShift``) |
/// | backward | ``Path/channelsLastIntegerShift`` | the same at stride 1 without the shift gradient (grouped shifts) |
/// | backward | ``Path/channelsLastSparseNeighbours`` | sparse shifts where the 3 x 3 neighbourhood backward serves their interpolated taps (no shift an integer, every base -1 or 0; at origin 0, every shift in (-1, 1)): its shift-gradient sums, and the integer shift's adjoint gathered in the same pass (``ChannelsLastNeighbours/sparseBackward(_:input:gradOutput:shifts:gradInput:partials:inputShape:plan:)``) |
/// | both | ``Path/channelsLastTiles`` | dense channels-last tensors whose blocks of channel planes fit the scratch (``ChannelsLastTiles``) |
/// | forward | ``Path/channelsLastPixels`` | dense channels-last, floating point, planes too large for the tiles (``ChannelsLastPixels``) |
/// | backward | ``Path/channelsLastImages`` | dense channels-last at stride 1, planes too large for the tiles (``ChannelsLastPixels``) |
/// | forward | ``Path/flatPlanes`` | dense planes at stride 1 with output rows as long as input rows (``DensePlanes``) |
/// | backward | ``Path/densePlanes`` | dense planes at stride 1: the input gradient gathered (``DensePlanes``) |
/// | forward | ``Path/rows`` | anything else, output row by output row (``StridedRows``) |
/// | backward | ``Path/stridedPlanes`` | anything else, each plane's output rows scattered back (``StridedRows``) |
@usableFromInline
package struct CPUPlan: Sendable, CustomStringConvertible {
    /// The paths by name: what tests assert and the benchmark prints.
    package enum Path: String, Sendable, CaseIterable {
        case channelsLastNeighbours, channelsLastWideNeighbours, channelsLastVolumeNeighbours, channelsLastIntegerShift,
             channelsLastSparseNeighbours, channelsLastTiles, channelsLastPixels, channelsLastImages, flatPlanes, densePlanes, rows, stridedPlanes
    }

    /// The path with what it needs, set up once.
    @usableFromInline
    enum Route: Sendable {
        case channelsLastNeighbours
        case channelsLastWideNeighbours
        case channelsLastVolumeNeighbours
        case channelsLastIntegerShift
        case channelsLastSparseNeighbours
        case tiles(ChannelsLastTiles)
        case channelsLastPixels
        case channelsLastImages(ChannelsLastPixels)
        case flatPlanes(FlatPlanes)
        /// The backward's plane loop: gathered where `dense` is set, its shift gradient over
        /// flattened spans where `flat` is also set; scattered otherwise.
        case planes(dense: DensePlaneBackward?, flat: FlatPlanes?)
        case rows
    }

    @usableFromInline let route: Route
    /// The vector level of the innermost loops (``VectorLevel``), read once, before any thread starts.
    @usableFromInline package let level: Int32
    /// The least work items (rows, planes) worth a thread task of their own; 1 where the path
    /// spreads whole images or channel blocks.
    @usableFromInline package let grain: Int
    /// Where the kernels' parallel loops record what they ran, for tests (``ParallelTrace``);
    /// read once, here, so that no kernel reads the task-local knob.
    @usableFromInline let trace: ParallelTrace?

    @inlinable
    init(_ route: Route, level: Int32, grain: Int) {
        (self.route, self.level, self.grain) = (route, level, grain)
        trace = ParallelTrace.active
    }

    package var path: Path {
        switch route {
        case .channelsLastNeighbours: .channelsLastNeighbours
        case .channelsLastWideNeighbours: .channelsLastWideNeighbours
        case .channelsLastVolumeNeighbours: .channelsLastVolumeNeighbours
        case .channelsLastIntegerShift: .channelsLastIntegerShift
        case .channelsLastSparseNeighbours: .channelsLastSparseNeighbours
        case .tiles: .channelsLastTiles
        case .channelsLastPixels: .channelsLastPixels
        case .channelsLastImages: .channelsLastImages
        case .flatPlanes: .flatPlanes
        case .planes(let dense, _): dense == nil ? .stridedPlanes : .densePlanes
        case .rows: .rows
        }
    }

    /// Whether the backward's shift gradient runs over flattened spans.
    package var flattensShiftGradient: Bool {
        if case .planes(_, .some) = route { return true }
        if case .tiles(let tiles) = route { return tiles.flat != nil }
        return false
    }

    /// The path, vector level and grain, as the benchmark prints them.
    @usableFromInline package var description: String {
        let level = VectorLevel.names.indices.contains(Int(self.level)) ? VectorLevel.names[Int(self.level)] : "\(self.level)"
        return "\(path.rawValue) (\(level), grain \(grain))"
    }

    /// The forward's plan: `x` input-shaped, `y` output-shaped. `interpolates` is false for the
    /// integer (data movement) forward, which has no pixel-by-pixel channels-last kernel;
    /// `bitwiseCopyable` says whether the elements may be moved as bytes. The shifts decide
    /// whether the channels-last neighbourhood and integer-shift kernels serve.
    @inlinable
    static func forward<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides,
                                                    elementSize: Int, bitwiseCopyable: Bool, interpolates: Bool,
                                                    shifts: ShiftTable<Weight>) -> CPUPlan {
        let level = VectorLevel.current
        if interpolates && Weight.self == Float.self && level > VectorLevel.portable
            && ChannelsLastNeighbours.applies(problem, xs, ys, shifts: shifts) {
            let pixels = problem.outputSize[2] &* problem.channels
            return CPUPlan(.channelsLastNeighbours, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if interpolates && Weight.self == Float.self && level > VectorLevel.portable
            && ChannelsLastNeighbours.appliesWide(problem, xs, ys, shifts: shifts) {
            let pixels = problem.outputSize[2] &* problem.channels
            return CPUPlan(.channelsLastWideNeighbours, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if interpolates && Weight.self == Float.self && level > VectorLevel.portable
            && ChannelsLastNeighbours.appliesVolume(problem, xs, ys, shifts: shifts) {
            let pixels = problem.outputSize[2] &* problem.channels
            return CPUPlan(.channelsLastVolumeNeighbours, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if ChannelsLastIntegerShift.applies(problem, xs, ys, elementSize: elementSize, bitwiseCopyable: bitwiseCopyable,
                                            shifts: shifts) {
            let pixels = problem.outputSize[2] &* problem.channels
            return CPUPlan(.channelsLastIntegerShift, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if let tiles = ChannelsLastTiles(problem, xs, ys, elementSize: elementSize, level: level,
                                     scratchLimit: ChannelsLastTiles.scratchLimit) {
            return CPUPlan(.tiles(tiles), level: level, grain: 1)
        }
        if interpolates && ChannelsLastPixels.applies(problem, xs, ys) {
            let pixels = problem.outputSize[2] &* problem.channels
            return CPUPlan(.channelsLastPixels, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if let flat = FlatPlanes(problem, xs, ys) {
            let work = problem.outputSize.reduce(1, &*)
            return CPUPlan(.flatPlanes(flat), level: level, grain: WorkGrain.items(WorkGrain.planeElements, per: work))
        }
        return CPUPlan(.rows, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: problem.outputSize[2]))
    }

    /// The backward's plan: `x` and `gx` input-shaped, `g` output-shaped; `learnsShifts` when the
    /// shift gradient is wanted (only it reads `x`); the shifts decide whether the channels-last
    /// neighbourhood kernel serves.
    @inlinable
    static func backward<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ gs: LiftedStrides,
                                                     _ gxs: LiftedStrides, learnsShifts: Bool, elementSize: Int,
                                                     shifts: ShiftTable<Weight>) -> CPUPlan {
        let level = VectorLevel.current
        if Weight.self == Float.self && learnsShifts && ChannelsLastNeighbours.appliesBackward(problem, xs, gs, gxs, shifts: shifts) {
            return CPUPlan(.channelsLastNeighbours, level: level, grain: 1)
        }
        if Weight.self == Float.self && learnsShifts
            && ChannelsLastNeighbours.appliesSparseBackward(problem, xs, gs, gxs, shifts: shifts) {
            let pixels = problem.inputSize[2] &* problem.channels
            return CPUPlan(.channelsLastSparseNeighbours, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if !learnsShifts && ChannelsLastIntegerShift.appliesBackward(problem, gs, gxs, elementSize: elementSize, shifts: shifts) {
            let pixels = problem.inputSize[2] &* problem.channels
            return CPUPlan(.channelsLastIntegerShift, level: level, grain: WorkGrain.items(WorkGrain.rowElements, per: pixels))
        }
        if let tiles = ChannelsLastTiles(problem, xs, gs, gradInput: gxs, needsInput: learnsShifts,
                                         elementSize: elementSize, level: level, scratchLimit: ChannelsLastTiles.scratchLimit) {
            return CPUPlan(.tiles(tiles), level: level, grain: 1)
        }
        if let channelsLast = ChannelsLastPixels(problem, x: xs, g: gs, gx: gxs) {
            return CPUPlan(.channelsLastImages(channelsLast), level: level, grain: 1)
        }
        let planeWork = problem.outputSize.reduce(1, &*) &+ problem.inputSize.reduce(1, &*)
        let dense = DensePlaneBackward(problem, x: xs, g: gs, gx: gxs, level: level)
        // Where planes also flatten (equal input and output sizes), the shift gradient runs as
        // long spans across rows; only the input gradient must not (see DensePlaneBackward).
        let flat = dense == nil ? nil : FlatPlanes(problem, xs, gs)
        return CPUPlan(.planes(dense: dense, flat: flat), level: level, grain: WorkGrain.items(WorkGrain.planeElements, per: planeWork))
    }
}

extension CPUPlan {
    /// Runs `body` with the channels-last tiles turned off, so that channels-last calls take the
    /// direct kernels (``ChannelsLastPixels``) whatever their planes' size, except those that
    /// ``ChannelsLastNeighbours`` serves: for the golden outputs, which keep the direct kernels
    /// covered without planes of several megabytes.
    package static func withoutChannelsLastTiles<R>(_ body: () throws -> R) rethrows -> R {
        try ChannelsLastTiles.$scratchLimit.withValue(0, operation: body)
    }

    /// The plan `shift(_:shifts:mode:padding:geometry:)` (or its `into: output` form) would
    /// follow for these arguments, for tests and the benchmark.
    ///
    /// - Throws: the op's validation errors.
    package static func forward<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active, padding: ShiftPadding = .zeros,
        geometry: ShiftGeometry = .identity, output: Tensor<T>? = nil
    ) throws -> CPUPlan {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank(of: input),
                                            mode: mode, padding: padding, geometry: geometry)
        let y = try output ?? Tensor<T>(shape: problem.outputShape, order: input.dimensionOrder)
        return forward(problem, LiftedStrides(input), LiftedStrides(y), elementSize: MemoryLayout<T>.stride,
                       bitwiseCopyable: true, interpolates: true, shifts: ShiftTable(shifts))
    }

    /// The plan of the integer forward `shift(_:shifts:mode:padding:geometry:fill:)`.
    package static func forward<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
        integer input: Tensor<Q>, shifts: Tensor<S>, mode: ShiftMode = .sparse, padding: ShiftPadding = .zeros,
        geometry: ShiftGeometry = .identity
    ) throws -> CPUPlan {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank(of: input),
                                            mode: mode, padding: padding, geometry: geometry)
        let y = try Tensor<Q>(shape: problem.outputShape, order: input.dimensionOrder)
        return forward(problem, LiftedStrides(input), LiftedStrides(y), elementSize: MemoryLayout<Q>.stride,
                       bitwiseCopyable: _isPOD(Q.self), interpolates: false, shifts: ShiftTable(shifts))
    }

    /// The plan `shiftBackward(gradOutput:input:shifts:mode:padding:geometry:)` would follow.
    package static func backward<T: ShiftFloatingPoint>(
        gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
        padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
    ) throws -> CPUPlan {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank(of: input),
                                            mode: mode, padding: padding, geometry: geometry)
        try problem.checkGradOutput(gradOutput)
        let gx = try Tensor<T>(shape: input.shape, order: input.dimensionOrder)
        return backward(problem, LiftedStrides(input), LiftedStrides(gradOutput), LiftedStrides(gx),
                        learnsShifts: mode.learnsShifts, elementSize: MemoryLayout<T>.stride, shifts: ShiftTable(shifts))
    }
}

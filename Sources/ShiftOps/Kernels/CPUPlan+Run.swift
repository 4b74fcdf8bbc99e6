/// The one place each direction switches on the plan: every path lives in its own file
/// (``ChannelsLastTiles``, ``ChannelsLastPixels``, ``DensePlanes``, ``StridedRows``) and holds
/// both its directions; the backward's per-plane work is shared (``PlaneBackward``).
extension CPUPlan {
    /// The interpolating forward of floating-point tensors (every mode): `output`
    /// (output-shaped) from `input` (input-shaped).
    @inlinable
    func runForward<T: ShiftFloatingPoint>(_ problem: ShiftProblem, input: StridedPointer<T>, shifts: ShiftTable<T>,
                                           output: StridedPointer<T>) {
        let level = self.level
        switch route {
        case .channelsLastNeighbours:
            ChannelsLastNeighbours.forward(problem, input: input, shifts: shifts, output: output, plan: self)
        case .channelsLastWideNeighbours:
            ChannelsLastNeighbours.forwardWide(problem, input: input, shifts: shifts, output: output, plan: self)
        case .channelsLastVolumeNeighbours:
            ChannelsLastNeighbours.forwardVolume(problem, input: input, shifts: shifts, output: output, plan: self)
        case .channelsLastIntegerShift:
            ChannelsLastIntegerShift.forward(problem, input: input, shifts: shifts, output: output, fill: 0, plan: self)
        case .tiles(let tiles):
            tiles.forward(problem, input: input, output: output, trace: trace) { c, plane, out in
                DensePlanes.forwardPlane(problem.taps(channel: c, shifts: shifts), input: plane, output: out,
                                         flat: tiles.flat, level: level)
            }
        case .channelsLastPixels:
            ChannelsLastPixels.forward(problem, input: input, shifts: shifts, output: output, plan: self)
        case .flatPlanes(let flat):
            DensePlanes.forEachPlaneRun(problem, shifts: shifts, plan: self, imageSteps: (input.strides.n, output.strides.n),
                                        elementSize: MemoryLayout<T>.stride) { taps, n, c, run in
                DensePlanes.forwardPlane(taps, input: input.plane(n, c), output: output.plane(n, c), flat: flat, level: level, run: run)
            }
        case .rows:
            StridedRows.forEachRow(problem, shifts: shifts, plan: self) { taps, n, c, pd, ph in
                StridedRows.row(taps, input: input.plane(n, c), output: output.plane(n, c, pd, ph), pd, ph, level: level)
            }
        case .channelsLastImages, .channelsLastSparseNeighbours, .planes:
            preconditionFailure("a backward plan passed to the forward")
        }
    }

    /// The integer-shift forward of any element type (grouped and sparse modes): pure data
    /// movement, on a plan made with `interpolates: false`. Taps outside zero padding read `fill`.
    @inlinable
    func runIntegerForward<Element: TensorElement, Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<Element>, shifts: ShiftTable<Weight>,
        output: StridedPointer<Element>, fill: Element
    ) {
        switch route {
        case .channelsLastIntegerShift:
            ChannelsLastIntegerShift.forward(problem, input: input, shifts: shifts, output: output, fill: fill, plan: self)
        case .tiles(let tiles):
            tiles.forward(problem, input: input, output: output, trace: trace) { c, plane, out in
                DensePlanes.copyPlane(problem.taps(channel: c, shifts: shifts), input: plane, output: out,
                                      flat: tiles.flat, fill: fill)
            }
        case .flatPlanes(let flat):
            DensePlanes.forEachPlaneRun(problem, shifts: shifts, plan: self, imageSteps: (input.strides.n, output.strides.n),
                                        elementSize: MemoryLayout<Element>.stride) { taps, n, c, run in
                DensePlanes.copyPlane(taps, input: input.plane(n, c), output: output.plane(n, c), flat: flat, fill: fill, run: run)
            }
        case .rows:
            StridedRows.forEachRow(problem, shifts: shifts, plan: self) { taps, n, c, pd, ph in
                StridedRows.copyRow(taps, input: input.plane(n, c), output: output.plane(n, c, pd, ph), pd, ph, fill: fill)
            }
        case .channelsLastNeighbours, .channelsLastWideNeighbours, .channelsLastVolumeNeighbours, .channelsLastPixels,
             .channelsLastImages, .channelsLastSparseNeighbours, .planes:
            preconditionFailure("a plan with a floating-point or backward path passed to the integer forward")
        }
    }

    /// The backward: `gradInput` (input-shaped) is `J_x^T gradOutput` and, when `gradShifts` is
    /// given, the dense `[C, k]` shift gradient: each plane's sums into its own slot, then the
    /// slots added over the batch in batch order (``ShiftGradientPartials``). `input` is read only
    /// for the shift gradient.
    ///
    /// - Throws: the partial sums' allocation errors, before anything is written.
    @inlinable
    func runBackward<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<T>, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
        gradInput: StridedPointer<T>, gradShifts: UnsafeMutablePointer<T>?, inputShape: [Int]
    ) throws {
        let partials = try gradShifts.map { _ in try ShiftGradientPartials<T>(problem, inputShape: inputShape) }
        switch route {
        case .tiles(let tiles):
            tiles.backward(problem, input: input, gradOutput: gradOutput, gradInput: gradInput, trace: trace) { n, c, plane in
                plane.run(n: n, channel: c, shifts: shifts, dense: tiles.dense, partials: partials)
            }
        case .channelsLastIntegerShift:
            // The plan takes this path only where the shift gradient is not wanted.
            precondition(partials == nil, "the integer-shift backward with a shift gradient")
            ChannelsLastIntegerShift.backward(problem, gradOutput: gradOutput, shifts: shifts, gradInput: gradInput, plan: self)
        case .channelsLastImages(let pixels):
            pixels.backward(problem, input: input, gradOutput: gradOutput, shifts: shifts, gradInput: gradInput,
                            partials: partials, trace: trace)
        case .channelsLastSparseNeighbours:
            // The plan takes this path only where the shift gradient is wanted.
            guard let partials else { preconditionFailure("the sparse neighbourhood backward without a shift gradient") }
            try ChannelsLastNeighbours.sparseBackward(problem, input: input, gradOutput: gradOutput, shifts: shifts,
                                                      gradInput: gradInput, partials: partials, inputShape: inputShape, plan: self)
        case .channelsLastNeighbours:
            // The plan takes this path only for learned (active) shifts.
            guard let partials else { preconditionFailure("the neighbourhood backward without a shift gradient") }
            try ChannelsLastNeighbours.backward(problem, input: input, gradOutput: gradOutput, shifts: shifts,
                                                gradInput: gradInput, partials: partials, inputShape: inputShape, plan: self)
        case .planes(let dense, let flat):
            let level = self.level
            DensePlanes.forEachChannelRun(batch: problem.batch, channels: problem.channels, grain: grain, trace: trace) { c, images in
                let taps = PlaneBackward<T>.Taps(problem, channel: c, shifts: shifts, learnsShifts: partials != nil)
                for n in images {
                    let plane = PlaneBackward(problem: problem, x: input.plane(n, c), g: gradOutput.plane(n, c),
                                              gx: gradInput.plane(n, c), flat: flat, level: level)
                    plane.run(n: n, channel: c, taps: taps, dense: dense, partials: partials)
                }
            }
        case .channelsLastWideNeighbours, .channelsLastVolumeNeighbours, .channelsLastPixels, .flatPlanes, .rows:
            preconditionFailure("a forward plan passed to the backward")
        }
        if let gradShifts, let partials {
            partials.reduce(batch: problem.batch, spatialRank: problem.spatialRank, into: gradShifts)
        }
    }
}

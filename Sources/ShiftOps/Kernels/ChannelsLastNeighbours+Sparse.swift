/// The sparse backward on channels-last data (the plan's ``CPUPlan/Path/channelsLastSparseNeighbours``):
/// the input gradient is the exact adjoint of the integer forward, and the shift gradient the
/// active derivative at the unrounded shifts. The 3 x 3 neighbourhood backward takes both in one
/// pass over `g`: its shift-gradient sums from the interpolated taps (the active backward's sums,
/// bit for bit), and in place of its interpolated gather each lane's rounded neighbour of `g`,
/// selected, never computed with (the integer gather's and so the NCHW kernels' bits), with the
/// padding's fold-back added as ``ChannelsLastIntegerShift`` adds it.
///
/// It serves where the active backward does: dense channels-last 2-D `Float` tensors at stride
/// 1, the output grid the input's, a multiple of eight channels, every channel's shift not an
/// integer and its base `origin + floor(-shift)` -1 or 0 on both axes (at origin 0, every shift
/// in (-1, 1): the trained shifts of a sparse layer that L1 has not yet sent to zero), at every
/// vector level. The rounded offsets then lie in -1 ... 1 (rounding gives the base or one more).
/// Any other call takes the tiles (or, where they do not fit, the direct kernels).
extension ChannelsLastNeighbours {
    /// The problem whose taps the shift gradient differentiates: the same call in active mode.
    @inlinable
    static func interpolated(_ problem: ShiftProblem) -> ShiftProblem {
        var active = problem
        active.mode = .active
        return active
    }

    /// Whether the sparse backward serves: a sparse call whose interpolated taps the neighbourhood
    /// backward serves (bases -1 or 0, so that the rounded offsets lie in -1 ... 1). The caller
    /// checks the element type (`Float`) and that the shift gradient is wanted.
    @inlinable
    static func appliesSparseBackward<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, _ xs: LiftedStrides, _ gs: LiftedStrides, _ gxs: LiftedStrides, shifts: ShiftTable<Weight>
    ) -> Bool {
        problem.mode == .sparse && appliesBackward(interpolated(problem), xs, gs, gxs, shifts: shifts)
    }

    /// The sparse backward: `gradInput` gathered as the integer shift's adjoint in the same pass
    /// over `gradOutput` as each `(n, c)` plane's shift gradient (into `partials`, from the
    /// interpolated taps), then what padding other than zeros folds back onto the edge pixels.
    ///
    /// - Throws: ``ShiftOpsError/Code/outOfMemory`` when the partial sums or the zero row cannot
    ///   be allocated, before anything is written.
    @inlinable
    static func sparseBackward<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<T>, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
        gradInput: StridedPointer<T>, partials: ShiftGradientPartials<T>, inputShape: [Int], plan: CPUPlan
    ) throws {
        let channels = problem.channels
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 &* channels) { offsets in
            let (rows, columns) = (offsets.baseAddress!, offsets.baseAddress! + channels)
            for c in 0..<channels {
                // Output p reads input p + base: the rounded taps, at stride 1.
                let taps = problem.taps(channel: c, shifts: shifts)
                // The kernel selects among three rows and columns; the plan admits no other offset.
                precondition((-1...1).contains(taps.h.base) && (-1...1).contains(taps.w.base), "a rounded offset beyond 1")
                (rows[c], columns[c]) = (Int32(taps.h.base), Int32(taps.w.base))
            }
            try backward(interpolated(problem), input: input, gradOutput: gradOutput, shifts: shifts, gradInput: gradInput,
                         partials: partials, inputShape: inputShape, plan: plan,
                         roundedOffsets: (UnsafePointer(rows), UnsafePointer(columns)))
        }
        ChannelsLastIntegerShift.foldPadding(problem, gradOutput: gradOutput, shifts: shifts, gradInput: gradInput, plan: plan)
    }
}

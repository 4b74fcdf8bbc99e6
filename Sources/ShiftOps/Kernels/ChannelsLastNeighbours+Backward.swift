import CShiftSIMD

extension ChannelsLastNeighbours {
    /// Whether the backward serves: the forward's conditions (``applies(_:_:_:shifts:)``) for
    /// `x` and `g`, a dense channels-last `gx`, active (learned) shifts, stride 1 with an output
    /// grid equal to the input grid, and a channel count that is a multiple of 8. Unlike the forward it serves
    /// every vector level, the portable one included, so that every level gives the same bits.
    /// The caller checks the element type (`Float`).
    @inlinable
    static func appliesBackward<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ gs: LiftedStrides,
                                                            _ gxs: LiftedStrides, shifts: ShiftTable<Weight>) -> Bool {
        problem.mode == .active && problem.channels % 8 == 0 && problem.step == [1, 1, 1]
            && problem.outputSize == problem.inputSize && ChannelsLastPixels.applies(problem, gxs, gs)
            && applies(problem, xs, gs, shifts: shifts)
    }

    /// Rows of one image per unit of work: enough pixels that a unit is worth a thread, fixed by
    /// the problem alone, so that the shift gradient's partial sums (one per unit) and the order
    /// they are added in do not depend on the thread count.
    @inlinable
    static func rowsPerUnit(_ problem: ShiftProblem) -> Int {
        let row = Swift.max(problem.inputSize[2] &* problem.channels, 1)
        return Swift.min(Swift.max(WorkGrain.planeElements / row, 1), Swift.max(problem.inputSize[1], 1))
    }

    /// The backward on channels-last data: `gradInput` gathered from `gradOutput` (each input
    /// pixel's four contributions selected from the mirrored 3 x 3 neighbourhood and summed
    /// directly), plus what padding other than zeros folds back onto the edge pixels; and each
    /// `(n, c)` plane's shift gradient into `partials`.
    ///
    /// The shift gradient is summed per lane, pixel by pixel, over units of rows fixed by the
    /// problem (``rowsPerUnit(_:)``), then over the units in order: the same bits for any thread
    /// count and vector level. Its sums are not the planar kernels' (their order differs), nor is
    /// the input gradient's; both agree with them to rounding.
    ///
    /// With `roundedOffsets` (each channel's rounded row and column offsets, in -1 ... 1),
    /// `gradInput` is instead the adjoint of that integer shift under zero padding, gathered in
    /// the same pass over `g` (the sparse backward,
    /// ``sparseBackward(_:input:gradOutput:shifts:gradInput:partials:inputShape:plan:)``, which
    /// adds the padding's fold-back).
    ///
    /// - Throws: ``ShiftOpsError/Code/outOfMemory`` when the partial sums or the zero row cannot
    ///   be allocated, before anything is written.
    @inlinable
    static func backward<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<T>, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
        gradInput: StridedPointer<T>, partials: ShiftGradientPartials<T>, inputShape: [Int], plan: CPUPlan,
        roundedOffsets: (rows: UnsafePointer<Int32>, columns: UnsafePointer<Int32>)? = nil
    ) throws {
        let (batch, channels) = (problem.batch, problem.channels)
        let (height, width) = (problem.inputSize[1], problem.inputSize[2])
        let rows = rowsPerUnit(problem), units = (height &+ rows &- 1) / rows
        let sums = try ScratchBuffer<Float>(planes: batch &* units, perPlane: 4 &* channels, argument: "input",
                                            purpose: "partial shift-gradient sums (4 per channel and block of rows of \(inputShape))")
        let zeros = try ScratchBuffer<Float>(planes: width, perPlane: channels, argument: "input",
                                             purpose: "a row of zeros (one row of \(inputShape))")
        zeros.base.initialize(repeating: 0, count: width &* channels)
        withTables(problem, shifts: shifts) { tables in
            let (x, g, gx) = (input.reading.float, gradOutput.reading.float, gradInput.base.float)
            let (xs, gs, gxs, level) = (input.strides, gradOutput.strides, gradInput.strides, plan.level)
            let shared = UncheckedSendable((x, g, gx, zeros.base, sums.base, roundedOffsets))
            parallelChunks(count: batch &* units, grain: 1, trace: plan.trace) { range in
                let (x, g, gx, zeros, sums, rounded) = shared.value
                for unit in range {
                    let n = unit / units, first = (unit &- n &* units) &* rows
                    let slot = sums + unit &* 4 &* channels
                    slot.initialize(repeating: 0, count: 4 &* channels)
                    shift_simd_neighbours_backward_f32(
                        level, x + n &* xs.n, g + n &* gs.n, gx + n &* gxs.n, zeros, Int64(height), Int64(width),
                        Int64(channels), tables.rows, tables.columns, tables.rowLow, tables.columnLow,
                        tables.a0, tables.b0, tables.a1, tables.b1, slot, Int64(first),
                        Int64(Swift.min(rows, height &- first)), rounded == nil ? 1 : 2, rounded?.rows, rounded?.columns)
                }
            }
            // Per image: the padding's fold-back, then the planes' shift gradients.
            parallelChunks(count: batch, grain: 1, trace: plan.trace) { range in
                let (_, g, gx, _, sums, _) = shared.value
                for n in range {
                    if roundedOffsets == nil && problem.padding != .zeros {
                        foldBack(problem, g: g + n &* gs.n, gx: gx + n &* gxs.n, tables: tables)
                    }
                    storeShiftGradients(n: n, units: units, channels: channels, sums: sums, tables: tables,
                                        into: partials)
                }
            }
        }
        withExtendedLifetime((sums, zeros)) {}
    }

    /// Adds onto the edge pixels of one image's `gx` what the forward's reads outside the grid
    /// (the ring of virtual pixels one beyond each edge, mapped through the padding) owe them:
    /// each virtual pixel's gathered contributions, ring position by ring position in a fixed
    /// order.
    @inlinable
    static func foldBack(_ problem: ShiftProblem, g: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, tables: Tables) {
        let channels = problem.channels
        let (height, width) = (problem.inputSize[1], problem.inputSize[2])
        let code = problem.padding.tapCode
        @inline(__always) func gather(_ i: Int, _ j: Int) {
            let (ti, tj) = (Int(mapped(i, height, code)), Int(mapped(j, width, code)))
            guard ti >= 0, tj >= 0 else { return }
            let target = gx + (ti &* width &+ tj) &* channels
            for c in 0..<channels {
                // This virtual pixel's contributions, as the kernel gathers an inner one.
                let rowA = i &- Int(tables.rowLow[c]), columnA = j &- Int(tables.columnLow[c])
                @inline(__always) func read(_ r: Int, _ q: Int) -> Float {
                    (0..<height).contains(r) && (0..<width).contains(q) ? g[(r &* width &+ q) &* channels &+ c] : 0
                }
                let v = (tables.a0[c] * read(rowA, columnA) + tables.b0[c] * read(rowA, columnA &- 1))
                    + (tables.a1[c] * read(rowA &- 1, columnA) + tables.b1[c] * read(rowA &- 1, columnA &- 1))
                target[c] += v
            }
        }
        for i in [-1, height] {
            for j in -1...width { gather(i, j) }
        }
        for i in 0..<height {
            gather(i, -1)
            gather(i, width)
        }
    }

    /// Image `n`'s shift gradient per channel from its units' lane sums, added over the units in
    /// order: along H, `(1 - tw) sum g (x10 - x00) + tw sum g (x11 - x01)`; along W,
    /// `(1 - th) sum g (x01 - x00) + th sum g (x11 - x10)`; both negated (a shift moves the
    /// sampling point the other way).
    @inlinable
    static func storeShiftGradients<T: ShiftFloatingPoint>(n: Int, units: Int, channels: Int, sums: UnsafeMutablePointer<Float>,
                                                           tables: Tables, into partials: ShiftGradientPartials<T>) {
        for c in 0..<channels {
            var s: (Float, Float, Float, Float) = (0, 0, 0, 0)
            for unit in (n &* units)..<((n &+ 1) &* units) {
                let slot = sums + (unit &* 4 &* channels &+ c)
                s.0 += slot[0]
                s.1 += slot[channels]
                s.2 += slot[2 &* channels]
                s.3 += slot[3 &* channels]
            }
            let (th, tw) = (tables.fractionH[c], tables.fractionW[c])
            let alongH = (1 - tw) * s.0 + tw * s.1, alongW = (1 - th) * s.2 + th * s.3
            partials.store((0, T(-alongH), T(-alongW)), n: n, c: c)
        }
    }
}

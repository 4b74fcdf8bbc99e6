import CShiftSIMD

/// The backward pass over raw storage, whole `(n, c)` planes per task (one, or a channel-last
/// block of up to 16 in ``ChannelsLastTiles``) so that every task writes its own part of
/// `gradInput` and its own slots of the partial shift gradients.
///
/// Dense planes at stride 1 gather each input element from the outputs that read it
/// (``DensePlaneBackward``); any other layout or stride scatters each output row back along its
/// taps. Either way every input-gradient element is a direct sum of its contributions. The shift
/// gradient is summed over flattened spans (or output row by output row), eight lanes at a time.
@usableFromInline
enum BackwardKernel {
    /// Fills `gx` (input-shaped) with `J_x^T g` and, when `gradShifts` is given, the dense
    /// `[C, k]` shift gradient: each plane's sums into its own slot, then the slots added over
    /// the batch in batch order.
    ///
    /// - Throws: the partial sums' allocation errors (``ShiftGradientPartials``), before anything
    ///   is written.
    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, plan: CPUPlan, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        gradOutput g: UnsafePointer<T>, _ gs: LiftedStrides, shifts: ShiftTable<T>,
        gradInput gx: SendablePointer<T>, _ gxs: LiftedStrides,
        gradShifts: UnsafeMutablePointer<T>?, inputShape: [Int]
    ) throws {
        let partials = try gradShifts.map { _ in try ShiftGradientPartials<T>(problem, inputShape: inputShape) }
        run(problem, plan: plan, input: x, xs, gradOutput: g, gs, shifts: shifts, gradInput: gx, gxs, partials: partials)
        if let gradShifts, let partials {
            partials.reduce(batch: problem.batch, spatialRank: problem.spatialRank, into: gradShifts)
        }
    }

    /// The backward's paths, each plane's shift gradient into `partials` when given.
    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, plan: CPUPlan, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        gradOutput g: UnsafePointer<T>, _ gs: LiftedStrides, shifts: ShiftTable<T>,
        gradInput gx: SendablePointer<T>, _ gxs: LiftedStrides, partials: ShiftGradientPartials<T>?
    ) {
        let level = plan.level
        switch plan.route {
        case .tiles(let tiles):
            tiles.backward(problem, input: x, xs, gradOutput: g, gs, gradInput: gx, gxs) { n, c, x, xs, g, gs, gx, gxs, dense, flat in
                let plane = Plane(problem: problem, x: x, xs: xs, g: g, gs: gs, gx: gx, gxs: gxs, flat: flat, level: level)
                planeBackward(plane, n: n, channel: c, shifts: shifts, dense: dense, partials: partials)
            }
        case .channelsLastImages(let channelsLast):
            channelsLast.run(problem, x: x, xs, g: g, gs, shifts: shifts, gx: gx, gxs, partials: partials)
        case .planes(let dense, let flat):
            // Validation checked these products (the kernels never see an empty call).
            let planes = problem.batch &* problem.channels
            let (input, gradOutput) = (UncheckedSendable(x), UncheckedSendable(g))
            parallelChunks(count: planes, grain: plan.grain) { range in
                for index in range {
                    let n = index / problem.channels, c = index % problem.channels
                    let plane = Plane(problem: problem, x: input.value + (n &* xs.n &+ c &* xs.c), xs: xs,
                                      g: gradOutput.value + (n &* gs.n &+ c &* gs.c), gs: gs,
                                      gx: gx.base + (n &* gxs.n &+ c &* gxs.c), gxs: gxs, flat: flat, level: level)
                    planeBackward(plane, n: n, channel: c, shifts: shifts, dense: dense, partials: partials)
                }
            }
        case .channelsLastPixels, .flatPlanes, .rows:
            preconditionFailure("a forward plan passed to the backward")
        }
    }

    /// The backward of plane `(n, c)`: its input gradient, and its shift gradient into
    /// `partials` when given.
    @inlinable @inline(__always)
    static func planeBackward<T: ShiftFloatingPoint>(
        _ plane: Plane<T>, n: Int, channel c: Int, shifts: ShiftTable<T>,
        dense: DensePlaneBackward?, partials: ShiftGradientPartials<T>?
    ) {
        let problem = plane.problem
        let taps = problem.taps(channel: c, shifts: shifts)
        if let dense { dense.gradInput(taps, g: plane.g, gx: plane.gx) }
        guard let partials else {
            if dense == nil { plane.gradInput(taps) }
            return
        }
        let cell = problem.cellTaps(channel: c, shifts: shifts)
        let sums: (T, T, T)
        if dense != nil {
            sums = plane.shiftGradient(cell)
        } else if cell.sameTaps(as: taps) {
            // Active shifts off the lattice read the same taps for both gradients: one pass.
            sums = plane.bothGradients(cell)
        } else {
            plane.gradInput(taps)
            sums = plane.shiftGradient(cell)
        }
        partials.store(sums, n: n, c: c)
    }

    /// One `(n, c)` plane of the backward, at any strides: its pointers and the passes over it.
    @usableFromInline
    struct Plane<T: ShiftFloatingPoint> {
        @usableFromInline let problem: ShiftProblem
        @usableFromInline let x: UnsafePointer<T>, xs: LiftedStrides
        @usableFromInline let g: UnsafePointer<T>, gs: LiftedStrides
        @usableFromInline let gx: UnsafeMutablePointer<T>, gxs: LiftedStrides
        /// Set when `x` and `g` flatten: the shift gradient then runs over spans.
        @usableFromInline let flat: FlatPlanes?
        /// The vector level of the spans' sums (``VectorLevel``).
        @usableFromInline let level: Int32

        @inlinable
        init(problem: ShiftProblem, x: UnsafePointer<T>, xs: LiftedStrides, g: UnsafePointer<T>, gs: LiftedStrides,
             gx: UnsafeMutablePointer<T>, gxs: LiftedStrides, flat: FlatPlanes?, level: Int32) {
            (self.problem, self.x, self.xs, self.g, self.gs, self.gx, self.gxs, self.flat) = (problem, x, xs, g, gs, gx, gxs, flat)
            self.level = level
        }

        @inlinable @inline(__always)
        func zeroGradInput() {
            let size = problem.inputSize
            for d in 0..<size[0] {
                for h in 0..<size[1] {
                    ForwardKernel.fillRow(gx + (d &* gxs.d &+ h &* gxs.h), gxs.w, count: size[2], with: 0)
                }
            }
        }

        /// Calls `body(pd, ph)` for every output row.
        @inlinable @inline(__always)
        func forEachRow(_ body: (Int, Int) -> Void) {
            for pd in 0..<problem.outputSize[0] {
                for ph in 0..<problem.outputSize[1] { body(pd, ph) }
            }
        }

        /// Scatters output row `(pd, ph)` of `g` back along its taps.
        @inlinable @inline(__always)
        func scatterOutputRow(_ taps: ChannelTaps<T>, _ pd: Int, _ ph: Int) {
            let gRow = g + (pd &* gs.d &+ ph &* gs.h)
            taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
                scatterRow(gRow, gs.w, taps.w, weight: taps.d.weight(bd) * taps.h.weight(bh),
                           into: gx + (id &* gxs.d &+ ih &* gxs.h), gxs.w)
            }
        }

        /// Adds row `(pd, ph)`'s sums of every vertical tap to `sums`.
        @inlinable @inline(__always)
        func gradientOutputRow(_ cell: ChannelTaps<T>, _ pd: Int, _ ph: Int, into sums: inout ShiftGradientSums<T>) {
            let gRow = g + (pd &* gs.d &+ ph &* gs.h)
            cell.forEachRowTap(pd, ph) { bd, bh, id, ih in
                let (diff, base) = rowSums(x + (id &* xs.d &+ ih &* xs.h), xs.w, cell.w, gRow, gs.w)
                sums.add(cell, diff: diff, base: base, bd, bh)
            }
        }

        /// `gx = J_x^T g`, scattered output row by output row.
        @inlinable @inline(__always)
        func gradInput(_ taps: ChannelTaps<T>) {
            zeroGradInput()
            forEachRow { pd, ph in scatterOutputRow(taps, pd, ph) }
        }

        /// `sum g dy/du` for the three lifted axes (the shift gradient is its negation). With
        /// flat planes the rows of a span are summed as one long run, eight lanes at a time; the
        /// span reads the edge columns of its rows from the neighbouring row, and
        /// `fixGradientEdges` replaces those terms by padded ones.
        @inlinable @inline(__always)
        func shiftGradient(_ cell: ChannelTaps<T>) -> (T, T, T) {
            var sums = ShiftGradientSums<T>()
            guard let flat else {
                forEachRow { pd, ph in gradientOutputRow(cell, pd, ph, into: &sums) }
                return sums.gradient
            }
            flat.forEachRowOutsideSpans(cell) { pd, ph in gradientOutputRow(cell, pd, ph, into: &sums) }
            flat.forEachSpan(cell) { pd, start, count in
                for bd in 0..<cell.d.taps {
                    for bh in 0..<cell.h.taps {
                        let offset = flat.offset(cell, bd, bh, 0)
                        var (diff, base) = dotDifferences(g + start, x + (start &+ offset), count: count, level: level)
                        fixGradientEdges(cell, flat, pd, start, count, offset, &diff, &base)
                        sums.add(cell, diff: diff, base: base, bd, bh)
                    }
                }
            }
            return sums.gradient
        }

        /// Replaces the span's terms for the edge columns of its rows (read from the neighbouring
        /// row) by their padded ones, column by column, so that each column maps its taps once.
        @inlinable @inline(__always)
        func fixGradientEdges(_ cell: ChannelTaps<T>, _ flat: FlatPlanes, _ pd: Int, _ start: Int, _ count: Int,
                              _ offset: Int, _ diff: inout T, _ base: inout T) {
            let w = cell.w
            if w.interior == 0..<w.count { return }
            let rows = cell.h.interior
            let first = pd &* flat.sliceLength &+ rows.lowerBound &* flat.rowLength
            @inline(__always) func fix(_ p: Int) {
                let (i0, i1) = (w.index(p, 0), w.index(p, 1))
                for k in 0..<rows.count {
                    let rowStart = first &+ k &* flat.rowLength
                    let i = rowStart &+ p, v = g[i]
                    if i >= start && i < start &+ count {
                        let f0 = x[i &+ offset], f1 = x[i &+ offset &+ 1]
                        diff -= v * (f1 - f0)
                        base -= v * f0
                    }
                    let inputRow = x + (rowStart &+ offset &- w.base)
                    let x0: T = i0 >= 0 ? inputRow[i0] : 0
                    let x1: T = i1 >= 0 ? inputRow[i1] : 0
                    diff += v * (x1 - x0)
                    base += v * x0
                }
            }
            for p in 0..<w.interior.lowerBound { fix(p) }
            for p in w.interior.upperBound..<w.count { fix(p) }
        }

        /// Both gradients in one pass over the output rows, for taps that serve both (active
        /// shifts whose every real axis interpolates): each row of `g` is read once.
        @inlinable @inline(__always)
        func bothGradients(_ cell: ChannelTaps<T>) -> (T, T, T) {
            zeroGradInput()
            var sums = ShiftGradientSums<T>()
            forEachRow { pd, ph in
                scatterOutputRow(cell, pd, ph)
                gradientOutputRow(cell, pd, ph, into: &sums)
            }
            return sums.gradient
        }
    }

    /// `dst[tap_b(p)] += weight * w_b * g[p]` along one row: the adjoint of `interpolateRow`.
    @inlinable @inline(__always)
    static func scatterRow<T: ShiftFloatingPoint>(
        _ g: UnsafePointer<T>, _ gs: Int, _ w: AxisTaps<T>, weight: T,
        into dst: UnsafeMutablePointer<T>, _ ds: Int
    ) {
        let a = weight * w.weight(0), b = weight * w.weight(1)
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        @inline(__always) func edge(_ p: Int) {
            let v = g[p &* gs]
            let i0 = w.index(p, 0)
            if i0 >= 0 { dst[i0 &* ds] += a * v }
            if w.taps == 2 {
                let i1 = w.index(p, 1)
                if i1 >= 0 { dst[i1 &* ds] += b * v }
            }
        }
        for p in 0..<lo { edge(p) }
        if w.step == 1 && gs == 1 && ds == 1 && hi > lo {
            // Written as a gather over input positions so that the loop vectorises.
            let d0 = dst + w.base
            if w.taps == 1 {
                for p in lo..<hi { d0[p] += a * g[p] }
            } else {
                d0[lo] += a * g[lo]
                for p in (lo &+ 1)..<hi { d0[p] += a * g[p] + b * g[p &- 1] }
                d0[hi] += b * g[hi &- 1]
            }
        } else {
            var i = (lo &* w.step &+ w.base) &* ds
            let di = w.step &* ds
            for p in lo..<hi {
                let v = g[p &* gs]
                dst[i] += a * v
                if w.taps == 2 { dst[i &+ ds] += b * v }
                i &+= di
            }
        }
        for p in hi..<w.count { edge(p) }
    }

    /// `(sum_p g[p] (x1 - x0), sum_p g[p] x0)` along one row, with taps read through the padding.
    @inlinable @inline(__always)
    static func rowSums<T: ShiftFloatingPoint>(
        _ x: UnsafePointer<T>, _ xs: Int, _ w: AxisTaps<T>, _ g: UnsafePointer<T>, _ gs: Int
    ) -> (T, T) {
        var diff: T = 0, base: T = 0
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        @inline(__always) func edge(_ p: Int) {
            let i0 = w.index(p, 0), i1 = w.index(p, 1)
            let x0: T = i0 >= 0 ? x[i0 &* xs] : 0
            let x1: T = i1 >= 0 ? x[i1 &* xs] : 0
            let v = g[p &* gs]
            diff += v * (x1 - x0)
            base += v * x0
        }
        for p in 0..<lo { edge(p) }
        if w.step == 1 && xs == 1 && gs == 1 {
            let (d, b) = dotDifferences(g + lo, x + (lo &+ w.base), count: hi &- lo)
            diff += d
            base += b
        } else {
            var i = (lo &* w.step &+ w.base) &* xs
            let di = w.step &* xs
            for p in lo..<hi {
                let v = g[p &* gs], x0 = x[i], x1 = x[i &+ xs]
                diff += v * (x1 - x0)
                base += v * x0
                i &+= di
            }
        }
        for p in hi..<w.count { edge(p) }
        return (diff, base)
    }

    /// `(sum g[i] (x[i + 1] - x[i]), sum g[i] x[i])` for `i < count`, eight lanes at a time, the
    /// lanes combined in a fixed order.
    @inlinable @inline(__always)
    static func dotDifferences<T: ShiftFloatingPoint>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                                      count: Int, level: Int32 = VectorLevel.portable) -> (T, T) {
        var diff = SIMD8<T>(repeating: 0), base = SIMD8<T>(repeating: 0)
        var i = 0
        let (gRaw, xRaw) = (UnsafeRawPointer(g), UnsafeRawPointer(x))
        let size = MemoryLayout<T>.stride
        // The wide variants keep these eight lanes, each summed in the same order.
        if level > VectorLevel.portable && T.self == Float.self && count >= 8 {
            withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: 2) { lanes in
                let raw = UnsafeMutableRawPointer(lanes.baseAddress!)
                shift_simd_dot_differences_f32(level, gRaw.assumingMemoryBound(to: Float.self),
                                               xRaw.assumingMemoryBound(to: Float.self), Int64(count),
                                               raw.assumingMemoryBound(to: Float.self),
                                               (raw + MemoryLayout<SIMD8<T>>.stride).assumingMemoryBound(to: Float.self))
                (diff, base) = (lanes[0], lanes[1])
            }
            i = count & ~7
        }
        while i &+ 8 <= count {
            let gv = gRaw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            let x0 = xRaw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            let x1 = xRaw.loadUnaligned(fromByteOffset: (i &+ 1) &* size, as: SIMD8<T>.self)
            diff += gv * (x1 - x0)
            base += gv * x0
            i &+= 8
        }
        var d = diff.sum(), b = base.sum()
        while i < count {
            d += g[i] * (x[i &+ 1] - x[i])
            b += g[i] * x[i]
            i &+= 1
        }
        return (d, b)
    }
}

/// The path for any layout and any stride: the forward one output row (`N, C, D', H'` fixed,
/// `W'` running) at a time, the backward each plane's output rows scattered back along their
/// taps (the plan's ``CPUPlan/Path/rows`` and ``CPUPlan/Path/stridedPlanes``). Its row loops
/// also serve the other paths wherever their rows leave the fast regions, and so fix the order
/// of every sum: the other paths form theirs in this order, and all give the same bits.
@usableFromInline
enum StridedRows {
    /// Calls `row(taps, n, c, pd, ph)` for every output row, rows spread over threads, computing
    /// each channel's taps once per run of rows of that channel.
    @inlinable @inline(__always)
    static func forEachRow<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, shifts: ShiftTable<Weight>, plan: CPUPlan,
        _ row: (ChannelTaps<Weight>, Int, Int, Int, Int) -> Void
    ) {
        let outD = problem.outputSize[0], outH = problem.outputSize[1]
        let rowsPerPlane = outD * outH
        parallelChunks(count: problem.outputRows, grain: plan.grain, trace: plan.trace) { range in
            // Decompose the first row once, then step the indices: no division per row.
            let plane = range.lowerBound / rowsPerPlane
            let inPlane = range.lowerBound - plane * rowsPerPlane
            var pd = inPlane / outH, ph = inPlane - pd * outH
            var n = plane / problem.channels, c = plane - n * problem.channels
            var taps = problem.taps(channel: c, shifts: shifts)
            for _ in range {
                row(taps, n, c, pd, ph)
                ph &+= 1
                if ph == outH {
                    ph = 0
                    pd &+= 1
                    if pd == outD {
                        pd = 0
                        c &+= 1
                        if c == problem.channels { c = 0; n &+= 1 }
                        if n < problem.batch { taps = problem.taps(channel: c, shifts: shifts) }
                    }
                }
            }
        }
    }

    /// Output row `(pd, ph)` of one plane: the sum over the vertical taps of the interpolated
    /// input rows. `input` is the input plane, `output` the start of the output row; `level`
    /// (``VectorLevel``) lets dense rows with two horizontal taps, at stride 1 or 2, take the
    /// eight-lane loops.
    @inlinable @inline(__always)
    static func row<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, input: StridedPointer<T>, output: StridedPointer<T>,
                                           _ pd: Int, _ ph: Int, level: Int32 = VectorLevel.portable) {
        if taps.isCopy {
            copyRow(taps, input: input, output: output, pd, ph, fill: 0)
            return
        }
        let (plane, xs, out, ws) = (input.reading, input.strides, output.base, output.strides.w)
        if level > VectorLevel.portable && taps.w.step == 2 && taps.w.taps == 2 && xs.w == 1 && ws == 1
            && taps.h.taps == 2 && taps.d.interior.contains(pd) && taps.h.interior.contains(ph) {
            // All of the row's vertical taps in one pass: two rows, or two of each of two slices.
            let row00 = plane + (taps.d.index(pd, 0) &* xs.d &+ taps.h.index(ph, 0) &* xs.h)
            if taps.d.taps == 1 ? bothTapsAtStep2(taps, input: row00, xs.h, into: out, level: level)
                                : fourTapsAtStep2(taps, input: row00, xs.h, xs.d, into: out, level: level) {
                return
            }
        }
        var first = true
        taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
            interpolateRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, weight: taps.d.weight(bd) * taps.h.weight(bh),
                           into: out, ws, assign: first, level: level)
            first = false
        }
        if first { fillRow(out, ws, count: taps.w.count, with: 0) }
    }

    /// Output row `(pd, ph)` of an integer shift: a copy of the one input row it reads, or
    /// `fill` where zero padding leaves the input. `output` is the start of the output row.
    @inlinable @inline(__always)
    static func copyRow<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, input: StridedPointer<Element>, output: StridedPointer<Element>,
        _ pd: Int, _ ph: Int, fill: Element
    ) {
        let (xs, ws) = (input.strides, output.strides.w)
        let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
        if id < 0 || ih < 0 {
            fillRow(output.base, ws, count: taps.w.count, with: fill)
        } else {
            copyRow(input.reading + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, into: output.base, ws, fill: fill)
        }
    }

    /// `out[p * os] = value` for `p < count`.
    @inlinable @inline(__always)
    static func fillRow<Element>(_ out: UnsafeMutablePointer<Element>, _ os: Int, count: Int, with value: Element) {
        if os == 1 {
            out.update(repeating: value, count: count)
        } else {
            for p in 0..<count { out[p &* os] = value }
        }
    }

    /// A row at stride 2 whose two vertical taps lie inside, over dense input rows (`row0`, and
    /// `rowStep` further on): both taps in one pass above the portable level, and each edge output
    /// as the tap-by-tap loop forms it, `v0 + v1`. False where the vector loop does not run.
    @inlinable @inline(__always)
    static func bothTapsAtStep2<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, input row0: UnsafePointer<T>, _ rowStep: Int,
                                                       into out: UnsafeMutablePointer<T>, level: Int32) -> Bool {
        let w = taps.w, row1 = row0 + rowStep
        let (top, bottom) = (taps.d.weight(0) * taps.h.weight(0), taps.d.weight(0) * taps.h.weight(1))
        let (a0, b0, a1, b1) = (top * w.weight(0), top * w.weight(1), bottom * w.weight(0), bottom * w.weight(1))
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        if hi > lo {
            let start = 2 &* lo &+ w.base
            guard VectorLoops.bilinearStep2(level, out + lo, row0 + start, row1 + start, a0, b0, a1, b1, count: hi &- lo) else {
                return false
            }
        }
        @inline(__always) func edge(_ p: Int) {
            let i = w.edgeTaps(p)
            out[p] = AxisTaps.paddedSum(row0, 1, i, a0, b0) + AxisTaps.paddedSum(row1, 1, i, a1, b1)
        }
        for p in 0..<lo { edge(p) }
        for p in hi..<w.count { edge(p) }
        return true
    }

    /// A 3-D row at stride 2 whose four row taps (two rows of each of two slices) lie inside, over
    /// dense input rows (`row00`, `rowStep` further on to the next row, `sliceStep` to the next
    /// slice): all four in one pass above the portable level, and each edge output as the
    /// tap-by-tap loop forms it, `((v00 + v01) + v10) + v11`. False where the vector loop does not
    /// run.
    @inlinable @inline(__always)
    static func fourTapsAtStep2<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, input row00: UnsafePointer<T>,
                                                       _ rowStep: Int, _ sliceStep: Int,
                                                       into out: UnsafeMutablePointer<T>, level: Int32) -> Bool {
        let w = taps.w
        let rows = (row00, row00 + rowStep, row00 + sliceStep, row00 + sliceStep + rowStep)
        let weights = (taps.d.weight(0) * taps.h.weight(0), taps.d.weight(0) * taps.h.weight(1),
                       taps.d.weight(1) * taps.h.weight(0), taps.d.weight(1) * taps.h.weight(1))
        let a = (weights.0 * w.weight(0), weights.1 * w.weight(0), weights.2 * w.weight(0), weights.3 * w.weight(0))
        let b = (weights.0 * w.weight(1), weights.1 * w.weight(1), weights.2 * w.weight(1), weights.3 * w.weight(1))
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        if hi > lo {
            let start = 2 &* lo &+ w.base
            guard VectorLoops.trilinearStep2(level, out + lo, (rows.0 + start, rows.1 + start, rows.2 + start, rows.3 + start),
                                             a: a, b: b, count: hi &- lo) else {
                return false
            }
        }
        @inline(__always) func edge(_ p: Int) {
            let i = w.edgeTaps(p)
            out[p] = ((AxisTaps.paddedSum(rows.0, 1, i, a.0, b.0) + AxisTaps.paddedSum(rows.1, 1, i, a.1, b.1))
                      + AxisTaps.paddedSum(rows.2, 1, i, a.2, b.2)) + AxisTaps.paddedSum(rows.3, 1, i, a.3, b.3)
        }
        for p in 0..<lo { edge(p) }
        for p in hi..<w.count { edge(p) }
        return true
    }

    /// `out[p] = src[tap(p)]` along one row.
    @inlinable @inline(__always)
    static func copyRow<Element, Weight>(
        _ src: UnsafePointer<Element>, _ ss: Int, _ w: AxisTaps<Weight>,
        into out: UnsafeMutablePointer<Element>, _ os: Int, fill: Element
    ) {
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        for p in 0..<lo { out[p &* os] = w.read(src, ss, p, fill: fill) }
        if w.step == 1 && ss == 1 && os == 1 {
            (out + lo).update(from: src + (lo &+ w.base), count: hi &- lo)
        } else {
            var i = (lo &* w.step &+ w.base) &* ss
            let di = w.step &* ss
            for p in lo..<hi {
                out[p &* os] = src[i]
                i &+= di
            }
        }
        for p in hi..<w.count { out[p &* os] = w.read(src, ss, p, fill: fill) }
    }

    /// `out[p] (+)= weight * ((1 - t) src[tap0(p)] + t src[tap1(p)])` along one row.
    @inlinable @inline(__always)
    static func interpolateRow<T: ShiftFloatingPoint>(
        _ src: UnsafePointer<T>, _ ss: Int, _ w: AxisTaps<T>, weight: T,
        into out: UnsafeMutablePointer<T>, _ os: Int, assign: Bool, level: Int32 = VectorLevel.portable
    ) {
        let a = weight * w.weight(0), b = weight * w.weight(1)
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        @inline(__always) func edge(_ p: Int) {
            let v = AxisTaps.paddedSum(src, ss, w.edgeTaps(p), a, b)
            out[p &* os] = assign ? v : out[p &* os] + v
        }
        for p in 0..<lo { edge(p) }
        if w.step == 1 && ss == 1 && os == 1 {
            let s0 = src + w.base
            if w.taps == 2 && hi > lo
                && VectorLoops.linear(level, out + lo, s0 + lo, a, b, count: hi &- lo, accumulate: !assign) {
                // The same products and sums, eight lanes at a time.
            } else if w.taps == 1 {
                if assign { for p in lo..<hi { out[p] = a * s0[p] } }
                else { for p in lo..<hi { out[p] += a * s0[p] } }
            } else {
                let s1 = s0 + 1
                if assign { for p in lo..<hi { out[p] = a * s0[p] + b * s1[p] } }
                else { for p in lo..<hi { out[p] += a * s0[p] + b * s1[p] } }
            }
        } else if w.step == 2 && w.taps == 2 && ss == 1 && os == 1 && hi > lo
                    && VectorLoops.linearStep2(level, out + lo, src + (2 &* lo &+ w.base), a, b, count: hi &- lo,
                                               accumulate: !assign) {
            // A downsampling row over a dense input row: the same products and sums, eight lanes
            // at a time.
        } else {
            var i = (lo &* w.step &+ w.base) &* ss
            let di = w.step &* ss
            for p in lo..<hi {
                var v = a * src[i]
                if w.taps == 2 { v += b * src[i &+ ss] }
                out[p &* os] = assign ? v : out[p &* os] + v
                i &+= di
            }
        }
        for p in hi..<w.count { edge(p) }
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
            let (i0, i1) = w.edgeTaps(p)
            if i0 >= 0 { dst[i0 &* ds] += a * v }
            if i1 >= 0 { dst[i1 &* ds] += b * v }
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
            let (x0, x1) = AxisTaps.paddedPair(x, xs, (w.index(p, 0), w.index(p, 1)))
            let v = g[p &* gs]
            diff += v * (x1 - x0)
            base += v * x0
        }
        for p in 0..<lo { edge(p) }
        if w.step == 1 && xs == 1 && gs == 1 {
            let (d, b) = DensePlanes.dotDifferences(g + lo, x + (lo &+ w.base), count: hi &- lo)
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
}

/// The strided planes' backward: output rows scattered back along their taps.
extension PlaneBackward {
    @inlinable @inline(__always)
    func zeroGradInput() {
        let size = problem.inputSize
        for d in 0..<size[0] {
            for h in 0..<size[1] {
                StridedRows.fillRow(gx + (d &* gxs.d &+ h &* gxs.h), gxs.w, count: size[2], with: 0)
            }
        }
    }

    /// Scatters output row `(pd, ph)` of `g` back along its taps.
    @inlinable @inline(__always)
    func scatterOutputRow(_ taps: ChannelTaps<T>, _ pd: Int, _ ph: Int) {
        let gRow = g + (pd &* gs.d &+ ph &* gs.h)
        taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
            StridedRows.scatterRow(gRow, gs.w, taps.w, weight: taps.d.weight(bd) * taps.h.weight(bh),
                                   into: gx + (id &* gxs.d &+ ih &* gxs.h), gxs.w)
        }
    }

    /// Adds row `(pd, ph)`'s sums of every vertical tap to `sums`.
    @inlinable @inline(__always)
    func gradientOutputRow(_ cell: ChannelTaps<T>, _ pd: Int, _ ph: Int, into sums: inout ShiftGradientSums<T>) {
        let gRow = g + (pd &* gs.d &+ ph &* gs.h)
        cell.forEachRowTap(pd, ph) { bd, bh, id, ih in
            let (diff, base) = StridedRows.rowSums(x + (id &* xs.d &+ ih &* xs.h), xs.w, cell.w, gRow, gs.w)
            sums.add(cell, diff: diff, base: base, bd, bh)
        }
    }

    /// `gx = J_x^T g`, scattered output row by output row.
    @inlinable @inline(__always)
    func gradInputByRows(_ taps: ChannelTaps<T>) {
        zeroGradInput()
        forEachOutputRow { pd, ph in scatterOutputRow(taps, pd, ph) }
    }

    /// Both gradients in one pass over the output rows, for taps that serve both (active
    /// shifts whose every real axis interpolates): each row of `g` is read once.
    @inlinable @inline(__always)
    func bothGradients(_ cell: ChannelTaps<T>) -> (T, T, T) {
        zeroGradInput()
        var sums = ShiftGradientSums<T>()
        forEachOutputRow { pd, ph in
            scatterOutputRow(cell, pd, ph)
            gradientOutputRow(cell, pd, ph, into: &sums)
        }
        return sums.gradient
    }
}

/// The input gradient of one `(n, c)` plane for dense planes at stride 1: `x` and `gx` row-major
/// `[D, H, W]`, `g` row-major `[D', H', W']`, each with unit column stride.
///
/// It is the forward with mirrored taps: output `p` reads input `p + base + b` with weight `w_b`,
/// so input `i` receives `w_b * g[i - base - b]` from every output that reads it inside the axis.
/// Where `g` and `gx` have equal row and slice lengths, the input rows whose every reader is
/// inside the output run as one flattened loop per depth slice, as the forward's spans do, and
/// their few edge columns are written again after it; other rows are gathered one by one over
/// the columns whose every reader is inside the output (no padding logic, no division). Taps that the padding folds back onto the input (border, periodic, reflect,
/// symmetric) are added afterwards by walking only the outputs that have such taps: the band
/// along the edges. Every element is a direct sum of its contributions, never a difference that
/// cancels, so an input that no output reads gets exactly zero.
@usableFromInline
struct DensePlaneBackward: Sendable {
    @usableFromInline let input: (d: Int, h: Int, w: Int)
    @usableFromInline let output: (d: Int, h: Int, w: Int)
    @usableFromInline let padding: ShiftPadding
    /// The vector level of the flattened runs (``VectorLevel``), read where the kernel is set up,
    /// before its threads start.
    @usableFromInline let level: Int32

    /// Nil unless the geometry is stride 1 and all three tensors are dense per plane.
    @inlinable
    init?(_ problem: ShiftProblem, x xs: LiftedStrides, g gs: LiftedStrides, gx gxs: LiftedStrides, level: Int32) {
        guard problem.step == [1, 1, 1] else { return nil }
        let (inSize, outSize) = (problem.inputSize, problem.outputSize)
        func dense(_ s: LiftedStrides, _ size: [Int]) -> Bool {
            (size[2] <= 1 || s.w == 1) && (size[1] <= 1 || s.h == size[2]) && (size[0] <= 1 || s.d == size[1] &* size[2])
        }
        guard dense(xs, inSize), dense(gxs, inSize), dense(gs, outSize) else { return nil }
        input = (inSize[0], inSize[1], inSize[2])
        output = (outSize[0], outSize[1], outSize[2])
        padding = problem.padding
        self.level = level
    }

    /// Writes `gx = J_x^T g` for one plane whose taps are `taps`.
    @inlinable @inline(__always)
    func gradInput<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, g: UnsafePointer<T>, gx: UnsafeMutablePointer<T>) {
        let w = taps.w
        let columns = w.readersInside(length: input.w, count: output.w)
        // Where rows are as long in `g` as in `gx` (and slices as large), the rows whose every
        // reader is inside the output form one flattened span per depth slice, as in the forward.
        let band = taps.h.readersInside(length: input.h, count: output.h)
        let slices = taps.d.readersInside(length: input.d, count: output.d)
        let flat = input.w == output.w && input.h == output.h && !columns.isEmpty && !band.isEmpty
        for id in 0..<input.d {
            var ih = 0
            while ih < input.h {
                if flat && ih == band.lowerBound && slices.contains(id) {
                    gatherSpan(taps, id, band, columns, g: g, gx: gx)
                    ih = band.upperBound
                    continue
                }
                let row = gx + (id &* input.h &+ ih) &* input.w
                var first = true
                for bd in 0..<taps.d.taps {
                    let pd = id &- taps.d.base &- bd
                    if pd < 0 || pd >= output.d { continue }
                    for bh in 0..<taps.h.taps {
                        let ph = ih &- taps.h.base &- bh
                        if ph < 0 || ph >= output.h { continue }
                        let weight = taps.d.weight(bd) * taps.h.weight(bh)
                        // source[iw] is g[pw = iw - base] of output row (pd, ph).
                        let source = g + ((pd &* output.h &+ ph) &* output.w &- w.base)
                        gatherRow(source, w, a: weight * w.weight(0), b: weight * w.weight(1),
                                  into: row, columns: columns, assign: first)
                        first = false
                    }
                }
                if first { row.update(repeating: 0, count: input.w) }
                ih &+= 1
            }
        }
        if padding != .zeros { foldPaddedTaps(taps, g: g, gx: gx) }
    }

    /// Input rows `band` of depth slice `id`, all of whose vertical readers are inside the output,
    /// as one flattened run over `gx` (`g` and `gx` have equal row and slice lengths): each
    /// vertical tap reads `g` at a fixed offset. The run also writes the edge columns of its
    /// rows, from the wrong row; they are written again after it. The sums are `gatherRow`'s, in
    /// its order, so both give the same bits.
    @inlinable @inline(__always)
    func gatherSpan<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, _ id: Int, _ band: Range<Int>, _ columns: Range<Int>,
                                           g: UnsafePointer<T>, gx: UnsafeMutablePointer<T>) {
        let w = taps.w
        let (rowLength, sliceLength) = (input.w, input.h &* input.w)
        let start = id &* sliceLength &+ band.lowerBound &* rowLength &+ columns.lowerBound
        let count = (band.upperBound &- 1 &- band.lowerBound) &* rowLength &+ columns.count
        let out = gx + start
        // Vertical tap r: gx[i] gets a g[i - offset] + b g[i - offset - 1], with `source = g - offset - 1`
        // so that `source[i]` and `source[i + 1]` are the two terms.
        @inline(__always) func tap(_ r: Int) -> (UnsafePointer<T>, T, T) {
            let bd = r / taps.h.taps, bh = r % taps.h.taps
            let weight = taps.d.weight(bd) * taps.h.weight(bh)
            let offset = (taps.d.base &+ bd) &* sliceLength &+ (taps.h.base &+ bh) &* rowLength &+ w.base
            return (g + (start &- offset &- 1), weight * w.weight(0), weight * w.weight(1))
        }
        let rows = taps.d.taps &* taps.h.taps
        if w.taps == 2 {
            // `b g[i - offset - 1] + a g[i - offset]` equals gatherRow's `a g[iw] + b g[iw - 1]`: addition commutes.
            let (q0, a0, b0) = tap(0)
            if rows == 1 {
                if !VectorLoops.linear(level, out, q0, b0, a0, count: count, accumulate: false) {
                    for i in 0..<count { out[i] = b0 * q0[i] + a0 * q0[i &+ 1] }
                }
            } else {
                let (q1, a1, b1) = tap(1)
                if !VectorLoops.bilinear(level, out, q0, q1, b0, a0, b1, a1, count: count) {
                    for i in 0..<count { out[i] = (b0 * q0[i] + a0 * q0[i &+ 1]) + (b1 * q1[i] + a1 * q1[i &+ 1]) }
                }
                for r in 2..<Swift.max(rows, 2) {
                    let (q, a, b) = tap(r)
                    if !VectorLoops.linear(level, out, q, b, a, count: count, accumulate: true) {
                        for i in 0..<count { out[i] += b * q[i] + a * q[i &+ 1] }
                    }
                }
            }
        } else {
            for r in 0..<rows {
                let (q, a, _) = tap(r)
                let p = q + 1
                if r == 0 { for i in 0..<count { out[i] = a * p[i] } } else { for i in 0..<count { out[i] += a * p[i] } }
            }
        }
        if columns == 0..<input.w { return }
        // The edge columns again, tap by tap in gatherRow's order; each tap's row of `g` sits a
        // fixed distance from the input row.
        withUnsafeTemporaryAllocation(of: (offset: Int, a: T, b: T).self, capacity: rows) { vertical in
            for r in 0..<rows {
                let bd = r / taps.h.taps, bh = r % taps.h.taps
                let weight = taps.d.weight(bd) * taps.h.weight(bh)
                let offset = ((taps.d.base &+ bd) &* input.h &+ taps.h.base &+ bh) &* rowLength &+ w.base
                vertical[r] = (offset, weight * w.weight(0), weight * w.weight(1))
            }
            // Column by column, so that each column decides once which of its readers exist.
            @inline(__always) func column(_ iw: Int) {
                let p0 = iw &- w.base
                let (has0, has1) = (p0 >= 0 && p0 < output.w, w.taps == 2 && p0 >= 1 && p0 &- 1 < output.w)
                @inline(__always) func term(_ source: UnsafePointer<T>, _ a: T, _ b: T) -> T {
                    var v: T = 0
                    if has0 { v = a * source[iw] }
                    if has1 { v += b * source[iw &- 1] }
                    return v
                }
                let firstRow = (id &* input.h &+ band.lowerBound) &* rowLength
                if rows == 2 {
                    let (t0, t1) = (vertical[0], vertical[1])
                    for k in 0..<band.count {
                        let rowStart = firstRow &+ k &* rowLength
                        gx[rowStart &+ iw] = term(g + (rowStart &- t0.offset), t0.a, t0.b) + term(g + (rowStart &- t1.offset), t1.a, t1.b)
                    }
                    return
                }
                for k in 0..<band.count {
                    let rowStart = firstRow &+ k &* rowLength
                    var v: T = 0
                    for r in 0..<rows {
                        let tap = vertical[r]
                        let t = term(g + (rowStart &- tap.offset), tap.a, tap.b)
                        v = r == 0 ? t : v + t
                    }
                    gx[rowStart &+ iw] = v
                }
            }
            for iw in 0..<columns.lowerBound { column(iw) }
            for iw in columns.upperBound..<input.w { column(iw) }
        }
    }

    /// `row[iw] (+)= a g[iw - base] + b g[iw - base - 1]` over the input row, terms whose output
    /// lies outside `0..<W'` left out; `source` is `g`'s row shifted by `-base`.
    @inlinable @inline(__always)
    func gatherRow<T: ShiftFloatingPoint>(_ source: UnsafePointer<T>, _ w: AxisTaps<T>, a: T, b: T,
                                          into row: UnsafeMutablePointer<T>, columns: Range<Int>, assign: Bool) {
        let (lo, hi) = (columns.lowerBound, columns.upperBound)
        switch (w.taps == 2, assign) {
        case (true, true): for iw in lo..<hi { row[iw] = a * source[iw] + b * source[iw &- 1] }
        case (true, false): for iw in lo..<hi { row[iw] += a * source[iw] + b * source[iw &- 1] }
        case (false, true): for iw in lo..<hi { row[iw] = a * source[iw] }
        case (false, false): for iw in lo..<hi { row[iw] += a * source[iw] }
        }
        edgeColumns(source, w, a: a, b: b, into: row, columns: columns, assign: assign)
    }

    /// `gatherRow` on the columns outside `columns`, where some reader lies outside the output.
    @inlinable @inline(__always)
    func edgeColumns<T: ShiftFloatingPoint>(_ source: UnsafePointer<T>, _ w: AxisTaps<T>, a: T, b: T,
                                            into row: UnsafeMutablePointer<T>, columns: Range<Int>, assign: Bool) {
        let (base, count) = (w.base, output.w)
        @inline(__always) func edge(_ iw: Int) {
            let p0 = iw &- base, p1 = p0 &- 1
            var v: T = 0
            if p0 >= 0 && p0 < count { v = a * source[iw] }
            if w.taps == 2 && p1 >= 0 && p1 < count { v += b * source[iw &- 1] }
            row[iw] = assign ? v : row[iw] + v
        }
        for iw in 0..<columns.lowerBound { edge(iw) }
        for iw in columns.upperBound..<input.w { edge(iw) }
    }

    /// Adds the taps that fall outside the input on some axis, mapped through the padding: the
    /// outputs outside the interior of an axis, in a fixed order.
    @inlinable
    func foldPaddedTaps<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, g: UnsafePointer<T>, gx: UnsafeMutablePointer<T>) {
        taps.forEachBandOutput { pd, ph, pw in
            let v = g[(pd &* output.h &+ ph) &* output.w &+ pw]
            taps.forEachFoldedTap(pd, ph, pw) { weight, id, ih, iw in
                gx[(id &* input.h &+ ih) &* input.w &+ iw] += weight * v
            }
        }
    }
}

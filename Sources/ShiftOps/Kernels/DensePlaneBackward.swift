/// The input gradient of one `(n, c)` plane for dense planes at stride 1: `x` and `gx` row-major
/// `[D, H, W]`, `g` row-major `[D', H', W']`, each with unit column stride.
///
/// It is the forward with mirrored taps: output `p` reads input `p + base + b` with weight `w_b`,
/// so input `i` receives `w_b * g[i - base - b]` from every output that reads it inside the axis.
/// Each input row is computed once as a gather over the output rows that read it, in a straight
/// loop over the columns whose every reader is inside the output (no padding logic, no
/// division). Taps that the padding folds back onto the input (border, periodic, reflect,
/// symmetric) are added afterwards by walking only the outputs that have such taps: the band
/// along the edges. Every element is a direct sum of its contributions, never a difference that
/// cancels, so an input that no output reads gets exactly zero (SPEC §5).
@usableFromInline
struct DensePlaneBackward: Sendable {
    @usableFromInline let input: (d: Int, h: Int, w: Int)
    @usableFromInline let output: (d: Int, h: Int, w: Int)
    @usableFromInline let padding: ShiftPadding

    /// Nil unless the geometry is stride 1 and all three tensors are dense per plane.
    @inlinable
    init?(_ problem: ShiftProblem, x xs: LiftedStrides, g gs: LiftedStrides, gx gxs: LiftedStrides) {
        guard problem.step == [1, 1, 1] else { return nil }
        let (inSize, outSize) = (problem.inputSize, problem.outputSize)
        func dense(_ s: LiftedStrides, _ size: [Int]) -> Bool {
            (size[2] <= 1 || s.w == 1) && (size[1] <= 1 || s.h == size[2]) && (size[0] <= 1 || s.d == size[1] &* size[2])
        }
        guard dense(xs, inSize), dense(gxs, inSize), dense(gs, outSize) else { return nil }
        input = (inSize[0], inSize[1], inSize[2])
        output = (outSize[0], outSize[1], outSize[2])
        padding = problem.padding
    }

    /// Writes `gx = J_x^T g` for one plane whose taps are `taps`.
    @inlinable @inline(__always)
    func gradInput<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, g: UnsafePointer<T>, gx: UnsafeMutablePointer<T>) {
        let w = taps.w
        // Input columns whose readers `iw - base - b` all lie in 0..<W'.
        let lo = Swift.min(Swift.max(w.base &+ w.taps &- 1, 0), input.w)
        let hi = Swift.max(lo, Swift.min(w.base &+ output.w, input.w))
        for id in 0..<input.d {
            for ih in 0..<input.h {
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
                                  into: row, lo: lo, hi: hi, assign: first)
                        first = false
                    }
                }
                if first { row.update(repeating: 0, count: input.w) }
            }
        }
        if padding != .zeros { foldPaddedTaps(taps, g: g, gx: gx) }
    }

    /// `row[iw] (+)= a g[iw - base] + b g[iw - base - 1]` over the input row, terms whose output
    /// lies outside `0..<W'` left out; `source` is `g`'s row shifted by `-base`.
    @inlinable @inline(__always)
    func gatherRow<T: ShiftFloatingPoint>(_ source: UnsafePointer<T>, _ w: AxisTaps<T>, a: T, b: T,
                                          into row: UnsafeMutablePointer<T>, lo: Int, hi: Int, assign: Bool) {
        let (base, count) = (w.base, output.w)
        @inline(__always) func edge(_ iw: Int) {
            let p0 = iw &- base, p1 = p0 &- 1
            var v: T = 0
            if p0 >= 0 && p0 < count { v = a * source[iw] }
            if w.taps == 2 && p1 >= 0 && p1 < count { v += b * source[iw &- 1] }
            row[iw] = assign ? v : row[iw] + v
        }
        for iw in 0..<lo { edge(iw) }
        // These rows stay with the portable loop: the AVX2 and AVX-512 variants, called row by
        // row, made the backward 11-30% slower (`shiftops bench`, README).
        switch (w.taps == 2, assign) {
        case (true, true): for iw in lo..<hi { row[iw] = a * source[iw] + b * source[iw &- 1] }
        case (true, false): for iw in lo..<hi { row[iw] += a * source[iw] + b * source[iw &- 1] }
        case (false, true): for iw in lo..<hi { row[iw] = a * source[iw] }
        case (false, false): for iw in lo..<hi { row[iw] += a * source[iw] }
        }
        for iw in hi..<input.w { edge(iw) }
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

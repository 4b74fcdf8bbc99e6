/// The forward pass over raw storage: one output row (`N, C, D', H'` fixed, `W'` running) at a
/// time, rows spread over threads. Every row writes only its own output elements.
@usableFromInline
enum ForwardKernel {
    /// Calls `row(taps, n, c, pd, ph)` for every output row, computing each channel's taps once
    /// per run of rows of that channel.
    @inlinable @inline(__always)
    static func forEachRow<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, shifts: ShiftTable<Weight>, sampling: AxisTaps<Weight>.Sampling,
        _ row: (ChannelTaps<Weight>, Int, Int, Int, Int) -> Void
    ) {
        let rowsPerPlane = problem.outputSize[0] * problem.outputSize[1]
        let outH = problem.outputSize[1]
        let grain = Swift.max(1, 4096 / Swift.max(problem.outputSize[2], 1))
        parallelChunks(count: problem.outputRows, grain: grain) { range in
            var channel = -1
            var taps = problem.taps(channel: 0, shifts: shifts, sampling: sampling)
            for r in range {
                let plane = r / rowsPerPlane
                let inPlane = r - plane * rowsPerPlane
                let c = plane % problem.channels
                if c != channel {
                    channel = c
                    taps = problem.taps(channel: c, shifts: shifts, sampling: sampling)
                }
                row(taps, plane / problem.channels, c, inPlane / outH, inPlane % outH)
            }
        }
    }

    /// Interpolating forward for floating-point tensors (every mode).
    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        shifts: ShiftTable<T>, output y: SendablePointer<T>, _ ys: LiftedStrides
    ) {
        let sampling: AxisTaps<T>.Sampling = problem.mode == .active ? .interpolate : .round
        let source = UncheckedSendable(x)
        forEachRow(problem, shifts: shifts, sampling: sampling) { taps, n, c, pd, ph in
            let plane = source.value + (n &* xs.n &+ c &* xs.c)
            let out = y.base + (n &* ys.n &+ c &* ys.c &+ pd &* ys.d &+ ph &* ys.h)
            if taps.isCopy {
                let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
                if id < 0 || ih < 0 {
                    fillRow(out, ys.w, count: taps.w.count, with: 0)
                } else {
                    copyRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, into: out, ys.w, fill: 0)
                }
                return
            }
            var first = true
            for bd in 0..<taps.d.taps {
                let id = taps.d.index(pd, bd)
                if id < 0 { continue }
                for bh in 0..<taps.h.taps {
                    let ih = taps.h.index(ph, bh)
                    if ih < 0 { continue }
                    let weight = taps.d.weight(bd) * taps.h.weight(bh)
                    interpolateRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, weight: weight,
                                   into: out, ys.w, assign: first)
                    first = false
                }
            }
            if first { fillRow(out, ys.w, count: taps.w.count, with: 0) }
        }
    }

    /// Integer-shift forward for any element type (grouped and sparse modes): pure data movement.
    @inlinable
    static func runCopy<Element: TensorElement, Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input x: UnsafePointer<Element>, _ xs: LiftedStrides,
        shifts: ShiftTable<Weight>, output y: SendablePointer<Element>, _ ys: LiftedStrides, fill: Element
    ) {
        let source = UncheckedSendable(x)
        forEachRow(problem, shifts: shifts, sampling: .round) { taps, n, c, pd, ph in
            let plane = source.value + (n &* xs.n &+ c &* xs.c)
            let out = y.base + (n &* ys.n &+ c &* ys.c &+ pd &* ys.d &+ ph &* ys.h)
            let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
            if id < 0 || ih < 0 {
                fillRow(out, ys.w, count: taps.w.count, with: fill)
            } else {
                copyRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, into: out, ys.w, fill: fill)
            }
        }
    }

    @inlinable @inline(__always)
    static func fillRow<Element>(_ out: UnsafeMutablePointer<Element>, _ os: Int, count: Int, with value: Element) {
        if os == 1 {
            out.update(repeating: value, count: count)
        } else {
            for p in 0..<count { out[p &* os] = value }
        }
    }

    /// `out[p] = src[tap(p)]` along one row.
    @inlinable @inline(__always)
    static func copyRow<Element, Weight>(
        _ src: UnsafePointer<Element>, _ ss: Int, _ w: AxisTaps<Weight>,
        into out: UnsafeMutablePointer<Element>, _ os: Int, fill: Element
    ) {
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        for p in 0..<lo { out[p &* os] = edgeRead(src, ss, w, p, fill) }
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
        for p in hi..<w.count { out[p &* os] = edgeRead(src, ss, w, p, fill) }
    }

    @inlinable @inline(__always)
    static func edgeRead<Element, Weight>(_ src: UnsafePointer<Element>, _ ss: Int, _ w: AxisTaps<Weight>,
                                          _ p: Int, _ fill: Element) -> Element {
        let i = w.index(p, 0)
        return i < 0 ? fill : src[i &* ss]
    }

    /// `out[p] (+)= weight * ((1 - t) src[tap0(p)] + t src[tap1(p)])` along one row.
    @inlinable @inline(__always)
    static func interpolateRow<T: ShiftFloatingPoint>(
        _ src: UnsafePointer<T>, _ ss: Int, _ w: AxisTaps<T>, weight: T,
        into out: UnsafeMutablePointer<T>, _ os: Int, assign: Bool
    ) {
        let a = weight * w.weight(0), b = weight * w.weight(1)
        let lo = w.interior.lowerBound, hi = w.interior.upperBound
        @inline(__always) func edge(_ p: Int) {
            var v: T = 0
            let i0 = w.index(p, 0)
            if i0 >= 0 { v = a * src[i0 &* ss] }
            if w.taps == 2 {
                let i1 = w.index(p, 1)
                if i1 >= 0 { v += b * src[i1 &* ss] }
            }
            out[p &* os] = assign ? v : out[p &* os] + v
        }
        for p in 0..<lo { edge(p) }
        if w.step == 1 && ss == 1 && os == 1 {
            let s0 = src + w.base
            if w.taps == 1 {
                if assign { for p in lo..<hi { out[p] = a * s0[p] } }
                else { for p in lo..<hi { out[p] += a * s0[p] } }
            } else {
                let s1 = s0 + 1
                if assign { for p in lo..<hi { out[p] = a * s0[p] + b * s1[p] } }
                else { for p in lo..<hi { out[p] += a * s0[p] + b * s1[p] } }
            }
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
}

/// The backward pass over raw storage, one `(n, c)` plane per task so that every task writes its
/// own part of `gradInput` and its own slot of the partial shift gradients.
@usableFromInline
enum BackwardKernel {
    /// Fills `gx` (input-shaped) with `J_x^T g` and, when `partials` is given, writes plane
    /// `(n, c)`'s shift gradient to `partials[(n * C + c) * 3 + axis]` (lifted axes).
    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        gradOutput g: UnsafePointer<T>, _ gs: LiftedStrides, shifts: ShiftTable<T>,
        gradInput gx: SendablePointer<T>, _ gxs: LiftedStrides, partials: SendablePointer<T>?
    ) {
        let planes = problem.batch * problem.channels
        let inputSampling: AxisTaps<T>.Sampling = problem.mode == .active ? .interpolate : .round
        let planeWork = problem.outputSize.reduce(1, *) + problem.inputSize.reduce(1, *)
        let (input, gradOutput) = (UncheckedSendable(x), UncheckedSendable(g))
        // The flattened-plane fast path needs x, g and gx all dense per plane.
        let flat = FlatPlanes(problem, xs, gs).flatMap { _ in FlatPlanes(problem, gxs, gs) }
        parallelChunks(count: planes, grain: Swift.max(1, 8192 / Swift.max(planeWork, 1))) { range in
            for plane in range {
                let n = plane / problem.channels, c = plane % problem.channels
                let gPlane = gradOutput.value + (n &* gs.n &+ c &* gs.c)
                let gxPlane = gx.base + (n &* gxs.n &+ c &* gxs.c)
                let taps = problem.taps(channel: c, shifts: shifts, sampling: inputSampling)
                gradInputPlane(problem, taps: taps, g: gPlane, gs, gx: gxPlane, gxs, flat: flat)
                if let partials {
                    let xPlane = input.value + (n &* xs.n &+ c &* xs.c)
                    let cell = problem.taps(channel: c, shifts: shifts, sampling: .interpolateBothTaps)
                    let sums = shiftGradientPlane(problem, taps: cell, x: xPlane, xs, g: gPlane, gs, flat: flat)
                    let slot = partials.base + plane &* 3
                    slot[0] = sums.0
                    slot[1] = sums.1
                    slot[2] = sums.2
                }
            }
        }
    }

    /// Zeroes one plane of `gx`, then scatters every output row of `g` back along its taps.
    @inlinable @inline(__always)
    static func gradInputPlane<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, taps: ChannelTaps<T>,
        g: UnsafePointer<T>, _ gs: LiftedStrides, gx: UnsafeMutablePointer<T>, _ gxs: LiftedStrides,
        flat: FlatPlanes?
    ) {
        let size = problem.inputSize
        for d in 0..<size[0] {
            for h in 0..<size[1] {
                ForwardKernel.fillRow(gx + (d &* gxs.d &+ h &* gxs.h), gxs.w, count: size[2], with: 0)
            }
        }
        @inline(__always) func scatterOutputRow(_ pd: Int, _ ph: Int) {
            let gRow = g + (pd &* gs.d &+ ph &* gs.h)
            for bd in 0..<taps.d.taps {
                let id = taps.d.index(pd, bd)
                if id < 0 { continue }
                for bh in 0..<taps.h.taps {
                    let ih = taps.h.index(ph, bh)
                    if ih < 0 { continue }
                    scatterRow(gRow, gs.w, taps.w, weight: taps.d.weight(bd) * taps.h.weight(bh),
                               into: gx + (id &* gxs.d &+ ih &* gxs.h), gxs.w)
                }
            }
        }
        guard let flat else {
            for pd in 0..<problem.outputSize[0] {
                for ph in 0..<problem.outputSize[1] { scatterOutputRow(pd, ph) }
            }
            return
        }
        flat.forEachRowOutsideSpans(taps) { pd, ph in scatterOutputRow(pd, ph) }
        let w = taps.w
        flat.forEachSpan(taps) { pd, start, count in
            for bd in 0..<taps.d.taps {
                for bh in 0..<taps.h.taps {
                    let weight = taps.d.weight(bd) * taps.h.weight(bh)
                    let a = weight * w.weight(0), b = weight * w.weight(1)
                    let offset = flat.offset(taps, bd, bh, 0)
                    let src = g + start, dst = gx + (start &+ offset)
                    // The scatter dst[i] += a g[i], dst[i + 1] += b g[i], as a gather.
                    if w.taps == 1 {
                        for i in 0..<count { dst[i] += a * src[i] }
                    } else {
                        dst[0] += a * src[0]
                        for i in 1..<count { dst[i] += a * src[i] + b * src[i &- 1] }
                        dst[count] += b * src[count &- 1]
                    }
                    // The span also scattered the edge columns of its rows as if they were inside:
                    // take that back and scatter them through the padding.
                    if w.interior == 0..<w.count { continue }
                    for ph in taps.h.interior {
                        let rowStart = pd &* flat.sliceLength &+ ph &* flat.rowLength
                        let inputRow = gx + (rowStart &+ offset &- w.base)
                        @inline(__always) func fix(_ p: Int) {
                            let i = rowStart &+ p, v = g[i]
                            if i >= start && i < start &+ count {
                                gx[i &+ offset] -= a * v
                                if w.taps == 2 { gx[i &+ offset &+ 1] -= b * v }
                            }
                            let i0 = w.index(p, 0)
                            if i0 >= 0 { inputRow[i0] += a * v }
                            if w.taps == 2 {
                                let i1 = w.index(p, 1)
                                if i1 >= 0 { inputRow[i1] += b * v }
                            }
                        }
                        for p in 0..<w.interior.lowerBound { fix(p) }
                        for p in w.interior.upperBound..<w.count { fix(p) }
                    }
                }
            }
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

    /// `sum_p g[p] * dy[p]/du` for the three lifted axes of one plane (the shift gradient is its
    /// negation, since `u = ... - s`).
    @inlinable @inline(__always)
    static func shiftGradientPlane<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, taps: ChannelTaps<T>,
        x: UnsafePointer<T>, _ xs: LiftedStrides, g: UnsafePointer<T>, _ gs: LiftedStrides, flat: FlatPlanes?
    ) -> (T, T, T) {
        var sumD: T = 0, sumH: T = 0, sumW: T = 0
        // Adds the sums `(diff, value)` of vertical tap (bd, bh) to the three axis sums.
        @inline(__always) func add(_ diff: T, _ value: T, _ bd: Int, _ bh: Int) {
            let wd = taps.d.weight(bd), wh = taps.h.weight(bh)
            sumW += wd * wh * diff
            sumH += (bh == 0 ? -wd : wd) * value
            sumD += (bd == 0 ? -wh : wh) * value
        }
        @inline(__always) func outputRow(_ pd: Int, _ ph: Int) {
            let gRow = g + (pd &* gs.d &+ ph &* gs.h)
            for bd in 0..<taps.d.taps {
                let id = taps.d.index(pd, bd)
                if id < 0 { continue }
                for bh in 0..<taps.h.taps {
                    let ih = taps.h.index(ph, bh)
                    if ih < 0 { continue }
                    // Along W: diff = sum g (x1 - x0); value = sum g ((1 - t) x0 + t x1).
                    let (diff, value) = rowSums(x + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, gRow, gs.w)
                    add(diff, value, bd, bh)
                }
            }
        }
        guard let flat else {
            for pd in 0..<problem.outputSize[0] {
                for ph in 0..<problem.outputSize[1] { outputRow(pd, ph) }
            }
            return (-sumD, -sumH, -sumW)
        }
        flat.forEachRowOutsideSpans(taps) { pd, ph in outputRow(pd, ph) }
        let w = taps.w
        flat.forEachSpan(taps) { pd, start, count in
            for bd in 0..<taps.d.taps {
                for bh in 0..<taps.h.taps {
                    let offset = flat.offset(taps, bd, bh, 0)
                    var (diff, base) = dotDifferences(g + start, x + (start &+ offset), count: count)
                    // Replace the edge columns' terms, read flat across rows, by padded ones.
                    if w.interior != 0..<w.count {
                        for ph in taps.h.interior {
                            let rowStart = pd &* flat.sliceLength &+ ph &* flat.rowLength
                            let inputRow = x + (rowStart &+ offset &- w.base)
                            @inline(__always) func fix(_ p: Int) {
                                let i = rowStart &+ p, v = g[i]
                                if i >= start && i < start &+ count {
                                    let f0 = x[i &+ offset], f1 = x[i &+ offset &+ 1]
                                    diff -= v * (f1 - f0)
                                    base -= v * f0
                                }
                                let i0 = w.index(p, 0), i1 = w.index(p, 1)
                                let x0: T = i0 >= 0 ? inputRow[i0] : 0
                                let x1: T = i1 >= 0 ? inputRow[i1] : 0
                                diff += v * (x1 - x0)
                                base += v * x0
                            }
                            for p in 0..<w.interior.lowerBound { fix(p) }
                            for p in w.interior.upperBound..<w.count { fix(p) }
                        }
                    }
                    add(diff, base + w.weight * diff, bd, bh)
                }
            }
        }
        return (-sumD, -sumH, -sumW)
    }

    /// `(sum_p g[p] (x1 - x0), sum_p g[p] ((1 - t) x0 + t x1))` along one row, with taps read
    /// through the padding.
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
        return (diff, base + w.weight * diff)
    }

    /// `(sum g[i] (x[i + 1] - x[i]), sum g[i] x[i])` for `i < count`, eight lanes at a time, the
    /// lanes combined in a fixed order.
    @inlinable @inline(__always)
    static func dotDifferences<T: ShiftFloatingPoint>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                                      count: Int) -> (T, T) {
        var diff = SIMD8<T>(repeating: 0), base = SIMD8<T>(repeating: 0)
        var i = 0
        let (gRaw, xRaw) = (UnsafeRawPointer(g), UnsafeRawPointer(x))
        let size = MemoryLayout<T>.stride
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

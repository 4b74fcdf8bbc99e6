/// The forward pass over raw storage. Four paths, each giving the same bits: dense planes with
/// stride 1 run as flattened spans (``FlatPlanes``); channels-last tensors as blocks of channels
/// transposed into dense planes (``ChannelsLastTiles``), or pixel by pixel where the planes are
/// too large for that (``ChannelsLastKernel``); anything else one output row (`N, C, D', H'`
/// fixed, `W'` running) at a time. Work is spread over threads by planes, channel blocks or rows,
/// and every task writes only its own output elements.
@usableFromInline
enum ForwardKernel {
    /// Calls `row(taps, n, c, pd, ph)` for every output row, computing each channel's taps once
    /// per run of rows of that channel.
    @inlinable @inline(__always)
    static func forEachRow<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, shifts: ShiftTable<Weight>, grain: Int,
        _ row: (ChannelTaps<Weight>, Int, Int, Int, Int) -> Void
    ) {
        let outD = problem.outputSize[0], outH = problem.outputSize[1]
        let rowsPerPlane = outD * outH
        parallelChunks(count: problem.outputRows, grain: grain) { range in
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

    /// Interpolating forward for floating-point tensors (every mode), on the path `plan` chose
    /// (``CPUPlan/forward(_:_:_:elementSize:interpolates:)``).
    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, plan: CPUPlan, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        shifts: ShiftTable<T>, output y: SendablePointer<T>, _ ys: LiftedStrides
    ) {
        let source = UncheckedSendable(x)
        let level = plan.level
        switch plan.route {
        case .tiles(let tiles):
            tiles.forward(problem, input: x, xs, output: y, ys) { c, plane, planeStrides, out, outStrides, flat in
                self.plane(problem.taps(channel: c, shifts: shifts), plane, planeStrides, out, outStrides,
                           flat: flat, level: level)
            }
        case .channelsLastPixels:
            ChannelsLastKernel.run(problem, input: x, xs, shifts: shifts, output: y, ys, grain: plan.grain)
        case .flatPlanes(let flat):
            forEachPlane(problem, shifts: shifts, grain: plan.grain) { taps, n, c in
                plane(taps, source.value + (n &* xs.n &+ c &* xs.c), xs, y.base + (n &* ys.n &+ c &* ys.c), ys,
                      flat: flat, level: level)
            }
        case .rows:
            forEachRow(problem, shifts: shifts, grain: plan.grain) { taps, n, c, pd, ph in
                let plane = source.value + (n &* xs.n &+ c &* xs.c)
                let out = y.base + (n &* ys.n &+ c &* ys.c &+ pd &* ys.d &+ ph &* ys.h)
                row(taps, plane, xs, out, ys, pd, ph)
            }
        case .channelsLastImages, .planes:
            preconditionFailure("a backward plan passed to the forward")
        }
    }

    /// One whole `(n, c)` plane: as flattened spans where the planes flatten, else row by row.
    @inlinable @inline(__always)
    static func plane<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, _ plane: UnsafePointer<T>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<T>, _ ys: LiftedStrides, flat: FlatPlanes?, level: Int32
    ) {
        guard let flat else {
            for pd in 0..<taps.d.count {
                for ph in 0..<taps.h.count { row(taps, plane, xs, out + (pd &* ys.d &+ ph &* ys.h), ys, pd, ph) }
            }
            return
        }
        flat.forEachRowOutsideSpans(taps) { pd, ph in
            row(taps, plane, xs, out + (pd &* ys.d &+ ph &* ys.h), ys, pd, ph)
        }
        flat.forEachSpan(taps) { pd, start, count in
            interpolateSpan(taps, plane + start, out + start, count: count, flat: flat, level: level)
            // The span also wrote the edge columns of its rows, from the wrong row: redo them.
            if taps.w.interior != 0..<taps.w.count {
                if taps.isCopy {
                    spanEdgesCopy(taps, plane, xs, out, ys, pd: pd, fill: 0)
                } else {
                    spanEdges(taps, plane, xs, out, ys, pd: pd)
                }
            }
        }
    }

    /// One output row: the sum over the vertical taps of the interpolated input rows.
    @inlinable @inline(__always)
    static func row<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, _ plane: UnsafePointer<T>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<T>, _ ys: LiftedStrides, _ pd: Int, _ ph: Int
    ) {
        if taps.isCopy {
            copyRow(taps, plane, xs, out, ys, pd, ph, fill: 0)
            return
        }
        var first = true
        taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
            interpolateRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, weight: taps.d.weight(bd) * taps.h.weight(bh),
                           into: out, ys.w, assign: first)
            first = false
        }
        if first { fillRow(out, ys.w, count: taps.w.count, with: 0) }
    }

    /// `out[i] = sum over taps of weight * src[i + offset]` along a flattened span whose every
    /// tap lies inside the plane (see ``FlatPlanes``). The first two vertical taps share a pass so
    /// that a 2-D output is written once; the sums are formed in the row path's order, so both
    /// paths give the same bits.
    @inlinable @inline(__always)
    static func interpolateSpan<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, _ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int, flat: FlatPlanes,
        level: Int32
    ) {
        if taps.isCopy {
            out.update(from: src + flat.offset(taps, 0, 0, 0), count: count)
            return
        }
        let w = taps.w
        let rows = taps.d.taps &* taps.h.taps
        @inline(__always) func row(_ r: Int) -> (UnsafePointer<T>, T, T) {
            let bd = r / taps.h.taps, bh = r % taps.h.taps
            let weight = taps.d.weight(bd) * taps.h.weight(bh)
            return (src + flat.offset(taps, bd, bh, 0), weight * w.weight(0), weight * w.weight(1))
        }
        let (p0, a0, b0) = row(0)
        if rows == 1 {
            if w.taps == 1 { for i in 0..<count { out[i] = a0 * p0[i] } }
            else if !VectorLoops.linear(level, out, p0, a0, b0, count: count, accumulate: false) {
                for i in 0..<count { out[i] = a0 * p0[i] + b0 * p0[i &+ 1] }
            }
            return
        }
        let (p1, a1, b1) = row(1)
        if w.taps == 1 {
            for i in 0..<count { out[i] = a0 * p0[i] + a1 * p1[i] }
        } else if !VectorLoops.bilinear(level, out, p0, p1, a0, b0, a1, b1, count: count) {
            for i in 0..<count { out[i] = (a0 * p0[i] + b0 * p0[i &+ 1]) + (a1 * p1[i] + b1 * p1[i &+ 1]) }
        }
        for r in 2..<rows {
            let (p, a, b) = row(r)
            if w.taps == 1 { for i in 0..<count { out[i] += a * p[i] } }
            else if !VectorLoops.linear(level, out, p, a, b, count: count, accumulate: true) {
                for i in 0..<count { out[i] += a * p[i] + b * p[i &+ 1] }
            }
        }
    }

    /// Rewrites the edge columns of the rows a span covered (depth slice `pd`, the height
    /// interior), column by column so that each column's taps are mapped once. The products and
    /// sums are those of `interpolateRow`, in its order.
    @inlinable @inline(__always)
    static func spanEdges<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, _ plane: UnsafePointer<T>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<T>, _ ys: LiftedStrides, pd: Int
    ) {
        let w = taps.w, rows = taps.h.interior
        let span = taps.spanRows(pd: pd, xs, ys)
        let (first, rowStep, outFirst) = (plane + span.input, span.rowStep, out + span.output)
        // The vertical taps (row offset and the two column weights) do not change along a span.
        withUnsafeTemporaryAllocation(of: (offset: Int, a: T, b: T).self, capacity: 4) { vertical in
            var count = 0
            for bd in 0..<taps.d.taps {
                for bh in 0..<taps.h.taps {
                    let weight = taps.d.weight(bd) * taps.h.weight(bh)
                    vertical[count] = (bd &* xs.d &+ bh &* xs.h, weight * w.weight(0), weight * w.weight(1))
                    count &+= 1
                }
            }
            @inline(__always) func column(_ p: Int) {
                let i0 = w.index(p, 0), i1 = w.taps == 2 ? w.index(p, 1) : -1
                let (has0, has1) = (i0 >= 0, i1 >= 0)
                let (j0, j1) = (i0 &* xs.w, i1 &* xs.w)
                if count == 2 {
                    // The 2-D case with its two vertical taps in registers: the same products
                    // and sums as the loop below.
                    let (t0, t1) = (vertical[0], vertical[1])
                    @inline(__always) func value(_ row: UnsafePointer<T>, _ a: T, _ b: T) -> T {
                        var x: T = 0
                        if has0 { x = a * row[j0] }
                        if has1 { x += b * row[j1] }
                        return x
                    }
                    for k in 0..<rows.count {
                        let origin = first + k &* rowStep
                        outFirst[k &* ys.h &+ p &* ys.w] = value(origin + t0.offset, t0.a, t0.b) + value(origin + t1.offset, t1.a, t1.b)
                    }
                    return
                }
                for k in 0..<rows.count {
                    let origin = first + k &* rowStep
                    var v: T = 0
                    for r in 0..<count {
                        let tap = vertical[r]
                        var x: T = 0
                        if has0 { x = tap.a * origin[tap.offset &+ j0] }
                        if has1 { x += tap.b * origin[tap.offset &+ j1] }
                        v = r == 0 ? x : v + x
                    }
                    outFirst[k &* ys.h &+ p &* ys.w] = v
                }
            }
            for p in 0..<w.interior.lowerBound { column(p) }
            for p in w.interior.upperBound..<w.count { column(p) }
        }
    }

    /// Rewrites the edge columns of the rows a copy span covered: `copyRow`'s edges, column by
    /// column, for any element type.
    @inlinable @inline(__always)
    static func spanEdgesCopy<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, _ plane: UnsafePointer<Element>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<Element>, _ ys: LiftedStrides, pd: Int, fill: Element
    ) {
        let w = taps.w, rows = taps.h.interior
        let span = taps.spanRows(pd: pd, xs, ys)
        let (first, rowStep, outFirst) = (plane + span.input, span.rowStep, out + span.output)
        @inline(__always) func column(_ p: Int) {
            let i = w.index(p, 0)
            let target = outFirst + p &* ys.w
            if i < 0 {
                for k in 0..<rows.count { target[k &* ys.h] = fill }
            } else {
                let source = first + i &* xs.w
                for k in 0..<rows.count { target[k &* ys.h] = source[k &* rowStep] }
            }
        }
        for p in 0..<w.interior.lowerBound { column(p) }
        for p in w.interior.upperBound..<w.count { column(p) }
    }

    /// Calls `body(taps, n, c)` for every `(n, c)` plane, planes spread over threads.
    @inlinable @inline(__always)
    static func forEachPlane<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, shifts: ShiftTable<Weight>, grain: Int,
        _ body: (ChannelTaps<Weight>, Int, Int) -> Void
    ) {
        parallelChunks(count: problem.batch &* problem.channels, grain: grain) { range in
            for plane in range {
                let c = plane % problem.channels
                body(problem.taps(channel: c, shifts: shifts), plane / problem.channels, c)
            }
        }
    }

    /// Integer-shift forward for any element type (grouped and sparse modes): pure data movement,
    /// on the path `plan` chose (a plan made with `interpolates: false`).
    @inlinable
    static func runCopy<Element: TensorElement, Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, plan: CPUPlan, input x: UnsafePointer<Element>, _ xs: LiftedStrides,
        shifts: ShiftTable<Weight>, output y: SendablePointer<Element>, _ ys: LiftedStrides, fill: Element
    ) {
        let source = UncheckedSendable(x)
        switch plan.route {
        case .tiles(let tiles):
            tiles.forward(problem, input: x, xs, output: y, ys) { c, plane, planeStrides, out, outStrides, flat in
                copyPlane(problem.taps(channel: c, shifts: shifts), plane, planeStrides, out, outStrides,
                          flat: flat, fill: fill)
            }
        case .flatPlanes(let flat):
            forEachPlane(problem, shifts: shifts, grain: plan.grain) { taps, n, c in
                copyPlane(taps, source.value + (n &* xs.n &+ c &* xs.c), xs, y.base + (n &* ys.n &+ c &* ys.c), ys,
                          flat: flat, fill: fill)
            }
        case .rows:
            forEachRow(problem, shifts: shifts, grain: plan.grain) { taps, n, c, pd, ph in
                let plane = source.value + (n &* xs.n &+ c &* xs.c)
                copyRow(taps, plane, xs, y.base + (n &* ys.n &+ c &* ys.c &+ pd &* ys.d &+ ph &* ys.h), ys, pd, ph, fill: fill)
            }
        case .channelsLastPixels, .channelsLastImages, .planes:
            preconditionFailure("a plan with a floating-point or backward path passed to the integer forward")
        }
    }

    /// One output row of an integer shift.
    @inlinable @inline(__always)
    static func copyRow<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, _ plane: UnsafePointer<Element>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<Element>, _ ys: LiftedStrides, _ pd: Int, _ ph: Int, fill: Element
    ) {
        let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
        if id < 0 || ih < 0 {
            fillRow(out, ys.w, count: taps.w.count, with: fill)
        } else {
            copyRow(plane + (id &* xs.d &+ ih &* xs.h), xs.w, taps.w, into: out, ys.w, fill: fill)
        }
    }

    /// One whole `(n, c)` plane of an integer shift: flattened spans where the planes flatten.
    @inlinable @inline(__always)
    static func copyPlane<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, _ plane: UnsafePointer<Element>, _ xs: LiftedStrides,
        _ out: UnsafeMutablePointer<Element>, _ ys: LiftedStrides, flat: FlatPlanes?, fill: Element
    ) {
        guard let flat else {
            for pd in 0..<taps.d.count {
                for ph in 0..<taps.h.count { copyRow(taps, plane, xs, out + (pd &* ys.d &+ ph &* ys.h), ys, pd, ph, fill: fill) }
            }
            return
        }
        flat.forEachRowOutsideSpans(taps) { pd, ph in
            copyRow(taps, plane, xs, out + (pd &* ys.d &+ ph &* ys.h), ys, pd, ph, fill: fill)
        }
        flat.forEachSpan(taps) { pd, start, count in
            (out + start).update(from: plane + start + flat.offset(taps, 0, 0, 0), count: count)
            if taps.w.interior != 0..<taps.w.count {
                spanEdgesCopy(taps, plane, xs, out, ys, pd: pd, fill: fill)
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

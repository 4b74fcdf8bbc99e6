import CShiftSIMD

/// The path for planes stored densely (`[D, H, W]` row-major within each `(n, c)`) at stride 1:
/// the plan's ``CPUPlan/Path/flatPlanes`` forward and ``CPUPlan/Path/densePlanes`` backward, and
/// the plane kernels the channels-last tiles run on their transposed blocks.
///
/// Where output rows are as long as input rows, output element `i` of a flattened plane reads
/// input element `i + offset` for a fixed offset per tap wherever its taps are inside the plane
/// (``FlatPlanes``): the forward and the shift gradient run each depth slice's interior rows as
/// one long loop and then redo the few edge columns those rows read from the wrong row. The input
/// gradient is gathered, the forward with mirrored taps (``DensePlaneBackward``). Every sum is
/// formed in ``StridedRows``' order, so this path gives its bits.
@usableFromInline
enum DensePlanes {
    /// Calls `body(taps, n, c, run)` for runs of planes `(n, c)`, `(n + 1, c)`, ...
    /// (``PlaneRun/split(_:input:output:sliceBytes:_:)``) until every plane has been passed once,
    /// spread over threads (``forEachChannelRun(batch:channels:grain:trace:_:)``); `imageSteps`
    /// are the input's and the output's strides from one image to the next, `elementSize` the
    /// bytes of an element.
    @inlinable @inline(__always)
    static func forEachPlaneRun<Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, shifts: ShiftTable<Weight>, plan: CPUPlan, imageSteps: (input: Int, output: Int),
        elementSize: Int, _ body: (ChannelTaps<Weight>, Int, Int, PlaneRun) -> Void
    ) {
        // The stages walk 3-D planes slice by slice, so a depth slice is what the cache must hold.
        let (inSize, outSize) = (problem.inputSize, problem.outputSize)
        let sliceBytes = (inSize[1] &* inSize[2] &+ outSize[1] &* outSize[2]) &* elementSize
        forEachChannelRun(batch: problem.batch, channels: problem.channels, grain: plan.grain, trace: plan.trace) { c, images in
            let taps = problem.taps(channel: c, shifts: shifts)
            PlaneRun.split(images, input: imageSteps.input, output: imageSteps.output, sliceBytes: sliceBytes) { n, run in
                body(taps, n, c, run)
            }
        }
    }

    /// Calls `body(c, images)` for planes `(n, c)`, `n` in `images`, until every plane has been
    /// passed once, planes spread over threads channel by channel: a task's planes of one
    /// channel come in one call, so that the channel's taps are worked out once per task rather
    /// than once per image (for small planes, a tenth of the forward's instructions). Each plane
    /// is one contiguous block, so the order costs the memory streams nothing.
    @inlinable @inline(__always)
    static func forEachChannelRun(batch: Int, channels: Int, grain: Int, trace: ParallelTrace?,
                                  _ body: (Int, Range<Int>) -> Void) {
        parallelChunks(count: batch &* channels, grain: grain, trace: trace) { range in
            var index = range.lowerBound
            while index < range.upperBound {
                let c = index / batch, first = c &* batch
                let end = Swift.min(range.upperBound, first &+ batch)
                body(c, (index &- first)..<(end &- first))
                index = end
            }
        }
    }

    /// One whole `(n, c)` plane of the forward, or the planes of `run` (one channel's in
    /// consecutive images, the first at `input` and `output`): as flattened spans where the
    /// planes flatten, else row by row.
    @inlinable @inline(__always)
    static func forwardPlane<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, input: StridedPointer<T>, output: StridedPointer<T>, flat: FlatPlanes?, level: Int32,
        run: PlaneRun = .single
    ) {
        guard let flat else {
            for image in 0..<run.count {
                let (x, y) = (input.advanced(by: image &* run.input), output.advanced(by: image &* run.output))
                for pd in 0..<taps.d.count {
                    for ph in 0..<taps.h.count {
                        StridedRows.row(taps, input: x, output: y.plane(0, 0, pd, ph), pd, ph, level: level)
                    }
                }
            }
            return
        }
        // Depth slices whose depth taps leave the input run as spans too (each such tap reads one
        // whole slice through the padding), so that 3-D edge slices skip the row path.
        flat.forEachRowOutsideSpans(taps, edgeSlices: true) { pd, ph in
            for image in 0..<run.count {
                StridedRows.row(taps, input: input.advanced(by: image &* run.input),
                                output: output.plane(0, 0, pd, ph).advanced(by: image &* run.output), pd, ph, level: level)
            }
        }
        let (plane, out) = (input.reading, output.base)
        flat.forEachSpan(taps, edgeSlices: true) { pd, start, count in
            interpolateSpan(taps, pd: pd, plane + start, out + start, count: count, flat: flat, level: level, run: run)
            // The span also wrote the edge columns of its rows, from the wrong row: redo them.
            if taps.w.interior != 0..<taps.w.count {
                if taps.isCopy {
                    spanEdgesCopy(taps, input: input, output: output, pd: pd, fill: 0, run: run)
                } else {
                    spanEdges(taps, input: input, output: output, pd: pd, run: run)
                }
            }
        }
    }

    /// One whole `(n, c)` plane of an integer shift, or the planes of `run` (one channel's in
    /// consecutive images, the first at `input` and `output`): flattened spans where the planes
    /// flatten.
    @inlinable @inline(__always)
    static func copyPlane<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, input: StridedPointer<Element>, output: StridedPointer<Element>,
        flat: FlatPlanes?, fill: Element, run: PlaneRun = .single
    ) {
        guard let flat else {
            for image in 0..<run.count {
                let (x, y) = (input.advanced(by: image &* run.input), output.advanced(by: image &* run.output))
                for pd in 0..<taps.d.count {
                    for ph in 0..<taps.h.count {
                        StridedRows.copyRow(taps, input: x, output: y.plane(0, 0, pd, ph), pd, ph, fill: fill)
                    }
                }
            }
            return
        }
        flat.forEachRowOutsideSpans(taps) { pd, ph in
            for image in 0..<run.count {
                StridedRows.copyRow(taps, input: input.advanced(by: image &* run.input),
                                    output: output.plane(0, 0, pd, ph).advanced(by: image &* run.output), pd, ph, fill: fill)
            }
        }
        let (plane, out) = (input.reading, output.base)
        flat.forEachSpan(taps) { pd, start, count in
            let from = plane + start + flat.offset(taps, 0, 0, 0)
            for image in 0..<run.count {
                (out + start + image &* run.output).update(from: from + image &* run.input, count: count)
            }
            if taps.w.interior != 0..<taps.w.count {
                spanEdgesCopy(taps, input: input, output: output, pd: pd, fill: fill, run: run)
            }
        }
    }

    /// `out[i] = sum over taps of weight * src[i + offset]` along a flattened span of depth slice
    /// `pd` whose every tap lies inside the plane, its depth taps mapped through the padding (see
    /// ``FlatPlanes``). The vertical taps are summed in one pass where there are up to four (the
    /// 2-D and 3-D cases); the sums are formed in the row path's order, so both paths give the
    /// same bits. The same span in each plane of `run`, each tap's offsets worked out once.
    @inlinable @inline(__always)
    static func interpolateSpan<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, pd: Int, _ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int,
        flat: FlatPlanes, level: Int32, run: PlaneRun = .single
    ) {
        let depth = SliceTaps(taps, pd: pd)
        if taps.isCopy {
            let from = src + flat.offset(taps, pd: pd, slice: depth[0].slice, 0, 0)
            for image in 0..<run.count {
                (out + image &* run.output).update(from: from + image &* run.input, count: count)
            }
            return
        }
        let w = taps.w
        let rows = depth.count &* taps.h.taps
        @inline(__always) func row(_ r: Int) -> (UnsafePointer<T>, T, T) {
            let k = depth[r / taps.h.taps], bh = r % taps.h.taps
            let weight = taps.d.weight(k.bd) * taps.h.weight(bh)
            return (src + flat.offset(taps, pd: pd, slice: k.slice, bh, 0), weight * w.weight(0), weight * w.weight(1))
        }
        // Each image's output and its sources, `image` planes on.
        @inline(__always) func at(_ image: Int) -> (UnsafeMutablePointer<T>, Int) {
            (out + image &* run.output, image &* run.input)
        }
        let (p0, a0, b0) = row(0)
        if rows == 1 {
            for image in 0..<run.count {
                let (out, step) = at(image), p0 = p0 + step
                if w.taps == 1 { for i in 0..<count { out[i] = a0 * p0[i] } }
                else if !VectorLoops.linear(level, out, p0, a0, b0, count: count, accumulate: false) {
                    for i in 0..<count { out[i] = a0 * p0[i] + b0 * p0[i &+ 1] }
                }
            }
            return
        }
        let (p1, a1, b1) = row(1)
        if rows == 4 && w.taps == 2 {
            // Trilinear: ((t0 + t1) + t2) + t3 in one pass, the sums the passes below would form.
            let (p2, a2, b2) = row(2), (p3, a3, b3) = row(3)
            for image in 0..<run.count {
                let (out, step) = at(image)
                let (p0, p1, p2, p3) = (p0 + step, p1 + step, p2 + step, p3 + step)
                if !VectorLoops.trilinear(level, out, (p0, p1, p2, p3), (a0, a1, a2, a3), (b0, b1, b2, b3), count: count) {
                    for i in 0..<count {
                        out[i] = (((a0 * p0[i] + b0 * p0[i &+ 1]) + (a1 * p1[i] + b1 * p1[i &+ 1]))
                            + (a2 * p2[i] + b2 * p2[i &+ 1])) + (a3 * p3[i] + b3 * p3[i &+ 1])
                    }
                }
            }
            return
        }
        for image in 0..<run.count {
            let (out, step) = at(image), (p0, p1) = (p0 + step, p1 + step)
            if w.taps == 1 {
                for i in 0..<count { out[i] = a0 * p0[i] + a1 * p1[i] }
            } else if !VectorLoops.bilinear(level, out, p0, p1, a0, b0, a1, b1, count: count) {
                for i in 0..<count { out[i] = (a0 * p0[i] + b0 * p0[i &+ 1]) + (a1 * p1[i] + b1 * p1[i &+ 1]) }
            }
        }
        for r in 2..<rows {
            let (p, a, b) = row(r)
            for image in 0..<run.count {
                let (out, step) = at(image), p = p + step
                if w.taps == 1 { for i in 0..<count { out[i] += a * p[i] } }
                else if !VectorLoops.linear(level, out, p, a, b, count: count, accumulate: true) {
                    for i in 0..<count { out[i] += a * p[i] + b * p[i &+ 1] }
                }
            }
        }
    }

    /// Rewrites the edge columns of the rows a span covered (depth slice `pd`, the height
    /// interior), column by column so that each column's taps are mapped once, for each plane of
    /// `run`. The products and sums are those of `StridedRows.interpolateRow`, in its order.
    @inlinable @inline(__always)
    static func spanEdges<T: ShiftFloatingPoint>(
        _ taps: ChannelTaps<T>, input: StridedPointer<T>, output: StridedPointer<T>, pd: Int, run: PlaneRun = .single
    ) {
        let (plane, xs, out, ys) = (input.reading, input.strides, output.base, output.strides)
        let w = taps.w, rows = taps.h.interior
        let span = taps.spanRows(pd: pd, xs, ys)
        let (first, rowStep, outFirst) = (plane + span.input, span.rowStep, out + span.output)
        // The vertical taps (row offset and the two column weights) do not change along a span.
        let depth = SliceTaps(taps, pd: pd), unmapped = pd &+ taps.d.base
        withUnsafeTemporaryAllocation(of: (offset: Int, a: T, b: T).self, capacity: 4) { vertical in
            var filled = 0
            for k in 0..<depth.count {
                let (bd, slice) = depth[k]
                for bh in 0..<taps.h.taps {
                    let weight = taps.d.weight(bd) * taps.h.weight(bh)
                    vertical[filled] = ((slice &- unmapped) &* xs.d &+ bh &* xs.h, weight * w.weight(0), weight * w.weight(1))
                    filled &+= 1
                }
            }
            // A constant for the closures below: captured as a variable, every edge column
            // checked its access at run time (one swift_beginAccess call per column in callgrind).
            let count = filled
            @inline(__always) func column(_ p: Int) {
                let i = w.edgeTaps(p)
                AxisTaps<T>.withConstantFlags((i.0 >= 0, i.1 >= 0)) { reads in
                    for image in 0..<run.count {
                        edges(first + image &* run.input, outFirst + image &* run.output, reads)
                    }
                }
                // Column p of one image's rows: `imageFirst` its first row's input, `imageOut` its
                // first row's output.
                @inline(__always) func edges(_ imageFirst: UnsafePointer<T>, _ imageOut: UnsafeMutablePointer<T>,
                                             _ reads: (Bool, Bool)) {
                    if count == 2 {
                        // The 2-D case with its two vertical taps in registers: the same products
                        // and sums as the loop below.
                        let (t0, t1) = (vertical[0], vertical[1])
                        for k in 0..<rows.count {
                            let origin = imageFirst + k &* rowStep
                            imageOut[k &* ys.h &+ p &* ys.w] = AxisTaps.paddedSum(origin + t0.offset, xs.w, i, t0.a, t0.b, reads: reads)
                                + AxisTaps.paddedSum(origin + t1.offset, xs.w, i, t1.a, t1.b, reads: reads)
                        }
                        return
                    }
                    if count == 4 {
                        // The 3-D case likewise.
                        let (t0, t1, t2, t3) = (vertical[0], vertical[1], vertical[2], vertical[3])
                        for k in 0..<rows.count {
                            let origin = imageFirst + k &* rowStep
                            imageOut[k &* ys.h &+ p &* ys.w] = ((AxisTaps.paddedSum(origin + t0.offset, xs.w, i, t0.a, t0.b, reads: reads)
                                + AxisTaps.paddedSum(origin + t1.offset, xs.w, i, t1.a, t1.b, reads: reads))
                                + AxisTaps.paddedSum(origin + t2.offset, xs.w, i, t2.a, t2.b, reads: reads))
                                + AxisTaps.paddedSum(origin + t3.offset, xs.w, i, t3.a, t3.b, reads: reads)
                        }
                        return
                    }
                    for k in 0..<rows.count {
                        let origin = imageFirst + k &* rowStep
                        var v: T = 0
                        for r in 0..<count {
                            let tap = vertical[r]
                            let x = AxisTaps.paddedSum(origin + tap.offset, xs.w, i, tap.a, tap.b, reads: reads)
                            v = r == 0 ? x : v + x
                        }
                        imageOut[k &* ys.h &+ p &* ys.w] = v
                    }
                }
            }
            for p in 0..<w.interior.lowerBound { column(p) }
            for p in w.interior.upperBound..<w.count { column(p) }
        }
    }

    /// Rewrites the edge columns of the rows a copy span covered: `copyRow`'s edges, column by
    /// column, for each plane of `run` and any element type.
    @inlinable @inline(__always)
    static func spanEdgesCopy<Element, Weight: ShiftFloatingPoint>(
        _ taps: ChannelTaps<Weight>, input: StridedPointer<Element>, output: StridedPointer<Element>, pd: Int, fill: Element,
        run: PlaneRun = .single
    ) {
        let (plane, xs, out, ys) = (input.reading, input.strides, output.base, output.strides)
        let w = taps.w, rows = taps.h.interior
        let span = taps.spanRows(pd: pd, xs, ys)
        // The one depth tap, mapped through the padding where the slice is an edge one.
        let depth = (SliceTaps(taps, pd: pd)[0].slice &- pd &- taps.d.base) &* xs.d
        let (first, rowStep, outFirst) = (plane + (span.input &+ depth), span.rowStep, out + span.output)
        @inline(__always) func column(_ p: Int) {
            let i = w.index(p, 0)
            for image in 0..<run.count {
                let target = outFirst + (image &* run.output &+ p &* ys.w)
                if i < 0 {
                    for k in 0..<rows.count { target[k &* ys.h] = fill }
                } else {
                    let source = first + (image &* run.input &+ i &* xs.w)
                    for k in 0..<rows.count { target[k &* ys.h] = source[k &* rowStep] }
                }
            }
        }
        for p in 0..<w.interior.lowerBound { column(p) }
        for p in w.interior.upperBound..<w.count { column(p) }
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

    /// ``dotDifferences(_:_:count:level:)`` for two rows `x0` and `x1` against the same `g`, in
    /// one pass: `g` is read once, and the four sums do not wait on each other. Each result has
    /// the bits the one-row function gives.
    @inlinable @inline(__always)
    static func dotDifferences<T: ShiftFloatingPoint>(_ g: UnsafePointer<T>, _ x0: UnsafePointer<T>, _ x1: UnsafePointer<T>,
                                                      count: Int, level: Int32) -> ((T, T), (T, T)) {
        var lanes = (SIMD8<T>(repeating: 0), SIMD8<T>(repeating: 0), SIMD8<T>(repeating: 0), SIMD8<T>(repeating: 0))
        var i = 0
        let size = MemoryLayout<T>.stride
        let (gRaw, x0Raw, x1Raw) = (UnsafeRawPointer(g), UnsafeRawPointer(x0), UnsafeRawPointer(x1))
        if level > VectorLevel.portable && T.self == Float.self && count >= 8 {
            withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: 4) { out in
                shift_simd_dot_differences2_f32(level, gRaw.assumingMemoryBound(to: Float.self),
                                                x0Raw.assumingMemoryBound(to: Float.self),
                                                x1Raw.assumingMemoryBound(to: Float.self), Int64(count),
                                                UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: Float.self))
                lanes = (out[0], out[1], out[2], out[3])
            }
            i = count & ~7
        }
        while i &+ 8 <= count {
            let gv = gRaw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            let u0 = x0Raw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            let v0 = x0Raw.loadUnaligned(fromByteOffset: (i &+ 1) &* size, as: SIMD8<T>.self)
            let u1 = x1Raw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            let v1 = x1Raw.loadUnaligned(fromByteOffset: (i &+ 1) &* size, as: SIMD8<T>.self)
            lanes.0 += gv * (v0 - u0)
            lanes.1 += gv * u0
            lanes.2 += gv * (v1 - u1)
            lanes.3 += gv * u1
            i &+= 8
        }
        var (d0, b0, d1, b1) = (lanes.0.sum(), lanes.1.sum(), lanes.2.sum(), lanes.3.sum())
        while i < count {
            d0 += g[i] * (x0[i &+ 1] - x0[i])
            b0 += g[i] * x0[i]
            d1 += g[i] * (x1[i &+ 1] - x1[i])
            b1 += g[i] * x1[i]
            i &+= 1
        }
        return ((d0, b0), (d1, b1))
    }
}

/// The depth taps of output depth slice `pd` that read the input, in tap order, each with the
/// input slice it reads through the padding. Taps that zero padding leaves out are left out, as
/// the row path leaves them out, so that spans over edge slices form the row path's sums.
@usableFromInline
struct SliceTaps {
    @usableFromInline var count = 0
    @usableFromInline var first = (bd: 0, slice: 0), second = (bd: 0, slice: 0)

    @inlinable @inline(__always)
    init<T>(_ taps: ChannelTaps<T>, pd: Int) {
        for bd in 0..<taps.d.taps {
            let slice = taps.d.index(pd, bd)
            if slice < 0 { continue }
            if count == 0 { first = (bd, slice) } else { second = (bd, slice) }
            count &+= 1
        }
    }

    /// Tap `k` (0 or 1) of those that read.
    @inlinable @inline(__always)
    subscript(_ k: Int) -> (bd: Int, slice: Int) { k == 0 ? first : second }
}

/// Dense planes at stride 1 with output rows as long as input rows (`H' = H`, `W' = W`): then
/// output element `i` of the flattened plane reads input element `i + offset` for a fixed offset
/// per tap, wherever its taps are inside the plane. For each depth slice, the output rows whose
/// vertical taps are all inside (the `H` interior) form one contiguous span, from the first
/// interior column of the first row to the last of the last row, which kernels process as one
/// long loop; the few edge columns of those rows read the wrong row in that loop and are written
/// again afterwards. Rows outside the spans take the ordinary row path.
@usableFromInline
struct FlatPlanes: Sendable {
    @usableFromInline let rowLength: Int
    @usableFromInline let sliceLength: Int
    @usableFromInline let outputDepth: Int
    @usableFromInline let outputHeight: Int

    /// Nil unless both layouts and the geometry allow flattening.
    @inlinable
    init?(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides) {
        let (inSize, outSize) = (problem.inputSize, problem.outputSize)
        guard problem.step == [1, 1, 1], inSize[1] == outSize[1], inSize[2] == outSize[2] else { return nil }
        func dense(_ s: LiftedStrides, depth: Int) -> Bool {
            (inSize[2] == 1 || s.w == 1) && (inSize[1] == 1 || s.h == inSize[2])
                && (depth == 1 || s.d == inSize[1] &* inSize[2])
        }
        guard dense(xs, depth: inSize[0]), dense(ys, depth: outSize[0]) else { return nil }
        rowLength = inSize[2]
        sliceLength = inSize[1] &* inSize[2]
        outputDepth = outSize[0]
        outputHeight = outSize[1]
    }

    /// The input offset of tap `(bd, bh, bw)` from the output element it serves (both flattened),
    /// for a depth slice whose depth taps are interior.
    @inlinable @inline(__always)
    func offset<T>(_ taps: ChannelTaps<T>, _ bd: Int, _ bh: Int, _ bw: Int) -> Int {
        (taps.d.base &+ bd) &* sliceLength &+ (taps.h.base &+ bh) &* rowLength &+ taps.w.base &+ bw
    }

    /// The same in output depth slice `pd`, whose depth tap `bd` reads input slice `slice` (its
    /// tap mapped through the padding): a depth slice is a whole plane of rows, so one slice offset
    /// serves all of it, edge slices included.
    @inlinable @inline(__always)
    func offset<T>(_ taps: ChannelTaps<T>, pd: Int, slice: Int, _ bh: Int, _ bw: Int) -> Int {
        (slice &- pd) &* sliceLength &+ (taps.h.base &+ bh) &* rowLength &+ taps.w.base &+ bw
    }

    /// Whether depth slice `pd` has a span: some rows and columns are interior, and its depth taps
    /// are too, or (with `edgeSlices`) at least one of them reads the input through the padding.
    @inlinable @inline(__always)
    func hasSpan<T>(_ taps: ChannelTaps<T>, _ pd: Int, edgeSlices: Bool = false) -> Bool {
        guard !taps.h.interior.isEmpty && !taps.w.interior.isEmpty else { return false }
        if taps.d.interior.contains(pd) { return true }
        guard edgeSlices else { return false }
        for bd in 0..<taps.d.taps where taps.d.index(pd, bd) >= 0 { return true }
        return false
    }

    /// Calls `body(pd, start, count)` for each span, `start` being its flattened output index.
    @inlinable @inline(__always)
    func forEachSpan<T>(_ taps: ChannelTaps<T>, edgeSlices: Bool = false, _ body: (Int, Int, Int) -> Void) {
        for pd in (edgeSlices ? 0..<outputDepth : taps.d.interior) where hasSpan(taps, pd, edgeSlices: edgeSlices) {
            let rows = taps.h.interior, columns = taps.w.interior
            let start = pd &* sliceLength &+ rows.lowerBound &* rowLength &+ columns.lowerBound
            let end = pd &* sliceLength &+ (rows.upperBound &- 1) &* rowLength &+ columns.upperBound
            body(pd, start, end &- start)
        }
    }

    /// Calls `body(pd, ph)` for every output row that no span covers.
    @inlinable @inline(__always)
    func forEachRowOutsideSpans<T>(_ taps: ChannelTaps<T>, edgeSlices: Bool = false, _ body: (Int, Int) -> Void) {
        for pd in 0..<outputDepth {
            // The rows before and after the covered ones, without testing every row.
            let covered = hasSpan(taps, pd, edgeSlices: edgeSlices) ? taps.h.interior : outputHeight..<outputHeight
            for ph in 0..<covered.lowerBound { body(pd, ph) }
            for ph in covered.upperBound..<outputHeight { body(pd, ph) }
        }
    }
}

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
        // Edge depth slices too: their readers outside the output are left out, as below.
        let band = taps.h.readersInside(length: input.h, count: output.h)
        let flat = input.w == output.w && input.h == output.h && !columns.isEmpty && !band.isEmpty
        for id in 0..<input.d {
            var ih = 0
            while ih < input.h {
                if flat && ih == band.lowerBound && depthReaders(taps, id).count > 0 {
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
        if padding != .zeros {
            taps.foldPaddedTaps(g: g, LiftedStrides(n: 0, c: 0, d: output.h &* output.w, h: output.w, w: 1),
                                into: gx, LiftedStrides(n: 0, c: 0, d: input.h &* input.w, h: input.w, w: 1))
        }
    }

    /// The depth taps whose reader of input slice `id`, `id - base - bd`, lies inside the output,
    /// in tap order (up to two).
    @inlinable @inline(__always)
    func depthReaders<T>(_ taps: ChannelTaps<T>, _ id: Int) -> (count: Int, first: Int, second: Int) {
        var readers = (count: 0, first: 0, second: 0)
        for bd in 0..<taps.d.taps {
            let pd = id &- taps.d.base &- bd
            if pd < 0 || pd >= output.d { continue }
            if readers.count == 0 { readers.first = bd } else { readers.second = bd }
            readers.count &+= 1
        }
        return readers
    }

    /// Input rows `band` of depth slice `id`, all of whose row readers are inside the output, as
    /// one flattened run over `gx` (`g` and `gx` have equal row and slice lengths): each vertical
    /// tap reads `g` at a fixed offset, and depth taps whose reader slice lies outside the output
    /// are left out. The run also writes the edge columns of its rows, from the wrong row; they
    /// are written again after it. The sums are `gatherRow`'s, in its order, so both give the
    /// same bits.
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
        let depth = depthReaders(taps, id)
        @inline(__always) func verticalTap(_ r: Int) -> (bd: Int, bh: Int) {
            let k = r / taps.h.taps
            return (k == 0 ? depth.first : depth.second, r % taps.h.taps)
        }
        @inline(__always) func tap(_ r: Int) -> (UnsafePointer<T>, T, T) {
            let (bd, bh) = verticalTap(r)
            let weight = taps.d.weight(bd) * taps.h.weight(bh)
            let offset = (taps.d.base &+ bd) &* sliceLength &+ (taps.h.base &+ bh) &* rowLength &+ w.base
            return (g + (start &- offset &- 1), weight * w.weight(0), weight * w.weight(1))
        }
        let rows = depth.count &* taps.h.taps
        if w.taps == 2 {
            // `b g[i - offset - 1] + a g[i - offset]` equals gatherRow's `a g[iw] + b g[iw - 1]`: addition commutes.
            let (q0, a0, b0) = tap(0)
            if rows == 1 {
                if !VectorLoops.linear(level, out, q0, b0, a0, count: count, accumulate: false) {
                    for i in 0..<count { out[i] = b0 * q0[i] + a0 * q0[i &+ 1] }
                }
            } else if rows == 4 {
                // The 3-D interior: ((t0 + t1) + t2) + t3 in one pass, the passes' sums.
                let (q1, a1, b1) = tap(1), (q2, a2, b2) = tap(2), (q3, a3, b3) = tap(3)
                if !VectorLoops.trilinear(level, out, (q0, q1, q2, q3), (b0, b1, b2, b3), (a0, a1, a2, a3), count: count) {
                    for i in 0..<count {
                        out[i] = (((b0 * q0[i] + a0 * q0[i &+ 1]) + (b1 * q1[i] + a1 * q1[i &+ 1]))
                            + (b2 * q2[i] + a2 * q2[i &+ 1])) + (b3 * q3[i] + a3 * q3[i &+ 1])
                    }
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
                let (bd, bh) = verticalTap(r)
                let weight = taps.d.weight(bd) * taps.h.weight(bh)
                let offset = ((taps.d.base &+ bd) &* input.h &+ taps.h.base &+ bh) &* rowLength &+ w.base
                vertical[r] = (offset, weight * w.weight(0), weight * w.weight(1))
            }
            // Column by column, so that each column decides once which of its readers exist.
            @inline(__always) func column(_ iw: Int) {
                let readers = w.readers(of: iw, count: output.w)
                AxisTaps<T>.withConstantFlags(readers) { readers in
                    @inline(__always) func term(_ source: UnsafePointer<T>, _ a: T, _ b: T) -> T {
                        AxisTaps.gatheredSum(source, iw, readers, a, b)
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
                    if rows == 4 {
                        let (t0, t1, t2, t3) = (vertical[0], vertical[1], vertical[2], vertical[3])
                        for k in 0..<band.count {
                            let rowStart = firstRow &+ k &* rowLength
                            gx[rowStart &+ iw] = ((term(g + (rowStart &- t0.offset), t0.a, t0.b)
                                + term(g + (rowStart &- t1.offset), t1.a, t1.b))
                                + term(g + (rowStart &- t2.offset), t2.a, t2.b))
                                + term(g + (rowStart &- t3.offset), t3.a, t3.b)
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
        @inline(__always) func edge(_ iw: Int) {
            let v = AxisTaps.gatheredSum(source, iw, w.readers(of: iw, count: output.w), a, b)
            row[iw] = assign ? v : row[iw] + v
        }
        for iw in 0..<columns.lowerBound { edge(iw) }
        for iw in columns.upperBound..<input.w { edge(iw) }
    }
}

/// The shift gradient over flattened spans.
extension PlaneBackward {
    /// Adds the sums of every vertical tap over the spans of `flat`, and row by row over the rows
    /// outside them. The rows of a span are summed as one long run, eight lanes at a time; the
    /// span reads the edge columns of its rows from the neighbouring row, and
    /// `fixGradientEdges` replaces those terms by padded ones.
    @inlinable @inline(__always)
    func shiftGradientBySpans(_ cell: ChannelTaps<T>, _ flat: FlatPlanes, into sums: inout ShiftGradientSums<T>) {
        flat.forEachRowOutsideSpans(cell) { pd, ph in gradientOutputRow(cell, pd, ph, into: &sums) }
        flat.forEachSpan(cell) { pd, start, count in
            for bd in 0..<cell.d.taps {
                if cell.h.taps == 2 {
                    // Both vertical taps in one pass over g; each is then fixed and added in turn.
                    let offsets = (flat.offset(cell, bd, 0, 0), flat.offset(cell, bd, 1, 0))
                    let terms = DensePlanes.dotDifferences(g + start, x + (start &+ offsets.0), x + (start &+ offsets.1),
                                                           count: count, level: level)
                    var (first, second) = terms
                    fixGradientEdges(cell, flat, pd, start, count, offsets, &first, &second)
                    sums.add(cell, diff: first.0, base: first.1, bd, 0)
                    sums.add(cell, diff: second.0, base: second.1, bd, 1)
                    continue
                }
                for bh in 0..<cell.h.taps {
                    let offset = flat.offset(cell, bd, bh, 0)
                    var (diff, base) = DensePlanes.dotDifferences(g + start, x + (start &+ offset), count: count, level: level)
                    fixGradientEdges(cell, flat, pd, start, count, offset, &diff, &base)
                    sums.add(cell, diff: diff, base: base, bd, bh)
                }
            }
        }
    }

    /// Replaces the span's terms for the edge columns of its rows (read from the neighbouring
    /// row) by their padded ones, for one vertical tap whose input sits `offset` from `g`.
    @inlinable @inline(__always)
    func fixGradientEdges(_ cell: ChannelTaps<T>, _ flat: FlatPlanes, _ pd: Int, _ start: Int, _ count: Int,
                          _ offset: Int, _ diff: inout T, _ base: inout T) {
        var sums = (diff, base)
        forEachEdgeTerm(cell, flat, pd) { i, rowStart, indices, reads in
            fixEdgeTerm(i, rowStart, indices, reads, cell.w, start, count, offset, &sums)
        }
        (diff, base) = sums
    }

    /// The same for two vertical taps at once, each with its own sums: each tap's steps are the
    /// one-tap walk's, in its order, but the two chains of additions interleave instead of
    /// waiting on each other.
    @inlinable @inline(__always)
    func fixGradientEdges(_ cell: ChannelTaps<T>, _ flat: FlatPlanes, _ pd: Int, _ start: Int, _ count: Int,
                          _ offsets: (Int, Int), _ first: inout (T, T), _ second: inout (T, T)) {
        forEachEdgeTerm(cell, flat, pd) { i, rowStart, indices, reads in
            fixEdgeTerm(i, rowStart, indices, reads, cell.w, start, count, offsets.0, &first)
            fixEdgeTerm(i, rowStart, indices, reads, cell.w, start, count, offsets.1, &second)
        }
    }

    /// Calls `body(i, rowStart, indices, reads)` for every edge output `i` of the span's rows
    /// (depth slice `pd`, the height interior), column by column so that each column maps its
    /// taps (`indices`, `reads` saying which are not -1) once; `rowStart` is the start of `i`'s row.
    @inlinable @inline(__always)
    func forEachEdgeTerm(_ cell: ChannelTaps<T>, _ flat: FlatPlanes, _ pd: Int,
                         _ body: (Int, Int, (Int, Int), (Bool, Bool)) -> Void) {
        let w = cell.w
        if w.interior == 0..<w.count { return }
        let rows = cell.h.interior
        let firstRow = pd &* flat.sliceLength &+ rows.lowerBound &* flat.rowLength
        @inline(__always) func column(_ p: Int) {
            let indices = (w.index(p, 0), w.index(p, 1))
            AxisTaps<T>.withConstantFlags((indices.0 >= 0, indices.1 >= 0)) { reads in
                for k in 0..<rows.count {
                    let rowStart = firstRow &+ k &* flat.rowLength
                    body(rowStart &+ p, rowStart, indices, reads)
                }
            }
        }
        for p in 0..<w.interior.lowerBound { column(p) }
        for p in w.interior.upperBound..<w.count { column(p) }
    }

    /// Edge output `i`'s fix for one tap: the span's term (read from the neighbouring row, if the
    /// span covered `i`) taken out of `sums` and the padded term added.
    @inlinable @inline(__always)
    func fixEdgeTerm(_ i: Int, _ rowStart: Int, _ indices: (Int, Int), _ reads: (Bool, Bool), _ w: AxisTaps<T>,
                     _ start: Int, _ count: Int, _ offset: Int, _ sums: inout (T, T)) {
        let v = g[i]
        if i >= start && i < start &+ count {
            let f0 = x[i &+ offset], f1 = x[i &+ offset &+ 1]
            sums.0 -= v * (f1 - f0)
            sums.1 -= v * f0
        }
        let (x0, x1) = AxisTaps.paddedPair(x + (rowStart &+ offset &- w.base), 1, indices, reads: reads)
        sums.0 += v * (x1 - x0)
        sums.1 += v * x0
    }
}

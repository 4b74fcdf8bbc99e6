/// The channels-last path where the tiles' planes do not fit their scratch (the plan's
/// ``CPUPlan/Path/channelsLastPixels`` forward and ``CPUPlan/Path/channelsLastImages``
/// backward): tensors stored `[N, (D,) (H,) W, C]`, channels innermost, walked pixel by pixel in
/// memory order with all channels of a pixel in one inner loop, so that writes stream and each
/// read is a pixel's channel vector.
///
/// Every channel has its own taps, precomputed once per call; pixels whose taps are inside the
/// input for every channel read them without padding logic.
///
/// - The forward (floating point, any stride) keeps each channel's taps as offsets from its output
///   pixel (``Corners``).
/// - The backward (stride 1) runs image by image. The input gradient is a gather, as in
///   ``DensePlaneBackward``: input pixel `i` of channel `c` receives `w_b * g[i - base_c - b]` from
///   each output that reads it inside the input, and the taps that the padding folds back are
///   added from the band of outputs that have them. The shift gradient keeps, per channel and
///   vertical tap, the sums `sum g (x1 - x0)` and `sum g x0` over the image's output pixels, and
///   combines them at the end (``ShiftGradientSums``). Each image writes its own slots.
///
/// The forward forms its sums in the NCHW kernels' order, and gives their bits; the backward's
/// sums run in another order, so its gradients agree with NCHW's within rounding, not bit for bit
/// (the layout tests hold them to the tolerance).
@usableFromInline
struct ChannelsLastPixels: Sendable {
    @usableFromInline let input: [Int]
    @usableFromInline let output: [Int]
    @usableFromInline let channels: Int

    /// The backward's setup: nil unless the geometry is stride 1 and the three tensors are dense
    /// channels-last.
    @inlinable
    init?(_ problem: ShiftProblem, x xs: LiftedStrides, g gs: LiftedStrides, gx gxs: LiftedStrides) {
        guard problem.step == [1, 1, 1], problem.channels > 1,
              Self.applies(problem, xs, gs), Self.applies(problem, gxs, gs) else { return nil }
        (input, output, channels) = (problem.inputSize, problem.outputSize, problem.channels)
    }

    /// Every channel's taps as flat offsets from a pixel, in arrays indexed `c * stride + k`: the
    /// gather of the input gradient (`g` offsets from the input pixel's position in `g`'s strides,
    /// and weights) and the vertical taps of the shift gradient (`x` offsets from the output
    /// pixel's position).
    @usableFromInline
    struct Tables<T: ShiftFloatingPoint> {
        @usableFromInline var taps: [ChannelTaps<T>] = []
        @usableFromInline var cells: [ChannelTaps<T>] = []
        @usableFromInline var gatherOffsets: [Int] = [], gatherWeights: [T] = [], gatherCounts: [Int] = []
        @usableFromInline var rowOffsets: [Int] = [], rowCounts: [Int] = []
        @usableFromInline var gatherStride = 0, rowStride = 0

        @inlinable
        init(_ problem: ShiftProblem, shifts: ShiftTable<T>, xs: LiftedStrides, gs: LiftedStrides) {
            for c in 0..<problem.channels {
                taps.append(problem.taps(channel: c, shifts: shifts))
                cells.append(problem.cellTaps(channel: c, shifts: shifts))
            }
            gatherStride = taps.map { $0.d.taps &* $0.h.taps &* $0.w.taps }.max() ?? 0
            rowStride = cells.map { $0.d.taps &* $0.h.taps }.max() ?? 0
            gatherOffsets = [Int](repeating: 0, count: problem.channels &* gatherStride)
            gatherWeights = [T](repeating: 0, count: problem.channels &* gatherStride)
            rowOffsets = [Int](repeating: 0, count: problem.channels &* rowStride)
            for c in 0..<problem.channels {
                let (t, cell) = (taps[c], cells[c])
                var k = 0
                for bd in 0..<t.d.taps {
                    for bh in 0..<t.h.taps {
                        for bw in 0..<t.w.taps {
                            gatherOffsets[c &* gatherStride &+ k] =
                                c &- (t.d.base &+ bd) &* gs.d &- (t.h.base &+ bh) &* gs.h &- (t.w.base &+ bw) &* gs.w
                            gatherWeights[c &* gatherStride &+ k] = t.d.weight(bd) * t.h.weight(bh) * t.w.weight(bw)
                            k &+= 1
                        }
                    }
                }
                gatherCounts.append(k)
                var r = 0
                for bd in 0..<cell.d.taps {
                    for bh in 0..<cell.h.taps {
                        rowOffsets[c &* rowStride &+ r] = c &+ (cell.d.base &+ bd) &* xs.d &+ (cell.h.base &+ bh) &* xs.h &+ cell.w.base &* xs.w
                        r &+= 1
                    }
                }
                rowCounts.append(r)
            }
        }
    }

    /// The backward: `gradInput = J_x^T gradOutput` and, when `partials` is given, each plane's
    /// shift gradient into it; images spread over threads.
    @inlinable
    func backward<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<T>, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
        gradInput gx: StridedPointer<T>, partials: ShiftGradientPartials<T>?, trace: ParallelTrace?
    ) {
        let (x, xs, g, gs, gxs) = (input.reading, input.strides, gradOutput.reading, gradOutput.strides, gx.strides)
        let table = Tables(problem, shifts: shifts, xs: xs, gs: gs)
        // Input pixels whose every channel gathers inside the output; output pixels whose every
        // channel's cell reads inside the input.
        let gatherInside = (d: AxisTaps<T>.readersInside(table.taps.map(\.d), length: self.input[0], count: output[0]),
                            h: AxisTaps<T>.readersInside(table.taps.map(\.h), length: self.input[1], count: output[1]),
                            w: AxisTaps<T>.readersInside(table.taps.map(\.w), length: self.input[2], count: output[2]))
        var cellInside = (d: 0..<output[0], h: 0..<output[1], w: 0..<output[2])
        for cell in table.cells {
            cellInside.d = cellInside.d.clamped(to: cell.d.interior)
            cellInside.h = cellInside.h.clamped(to: cell.h.interior)
            cellInside.w = cellInside.w.clamped(to: cell.w.interior)
        }
        let (source, gradient) = (UncheckedSendable(x), UncheckedSendable(g))
        let shared = UncheckedSendable(table)
        parallelChunks(count: problem.batch, trace: trace) { images in
            for n in images {
                let (xi, gi, gxi) = (source.value + n &* xs.n, gradient.value + n &* gs.n, gx.base + n &* gxs.n)
                gradInput(shared.value, gatherInside, g: gi, gs, gx: gxi, gxs, padding: problem.padding)
                guard let partials else { continue }
                shiftGradient(shared.value, cellInside, x: xi, xs, g: gi, gs, into: partials, image: n)
            }
        }
    }

    /// `gx = J_x^T g` for one image.
    @inlinable
    func gradInput<T: ShiftFloatingPoint>(_ table: Tables<T>, _ inside: (d: Range<Int>, h: Range<Int>, w: Range<Int>),
                                          g: UnsafePointer<T>, _ gs: LiftedStrides,
                                          gx: UnsafeMutablePointer<T>, _ gxs: LiftedStrides, padding: ShiftPadding) {
      table.gatherOffsets.withUnsafeBufferPointer { offsets in
      table.gatherWeights.withUnsafeBufferPointer { weights in
      table.gatherCounts.withUnsafeBufferPointer { counts in
        let (offsets, weights, counts, stride) = (offsets.baseAddress!, weights.baseAddress!, counts.baseAddress!, table.gatherStride)
        Self.forEachPixel(of: input, inside: inside) { id, ih, iw, pixelInside in
            let out = gx + (id &* gxs.d &+ ih &* gxs.h &+ iw &* gxs.w)
            if pixelInside {
                let pixel = g + (id &* gs.d &+ ih &* gs.h &+ iw &* gs.w)
                for c in 0..<channels {
                    let k0 = c &* stride
                    var v: T = 0
                    for k in k0..<(k0 &+ counts[c]) { v += weights[k] * pixel[offsets[k]] }
                    out[c] = v
                }
            } else {
                for c in 0..<channels { out[c] = edgeGather(table.taps[c], g, gs, c, id, ih, iw) }
            }
        }
      }
      }
      }
        if padding != .zeros {
            // Channel by channel, through the shared walk over the band of edge outputs.
            for c in 0..<channels { table.taps[c].foldPaddedTaps(g: g + c, gs, into: gx + c, gxs) }
        }
    }

    /// Visits every pixel of a `[D, H, W]` extent in memory order with whether it lies in `inside`
    /// on all three axes (where a backward walk needs no padding logic).
    @inlinable @inline(__always)
    static func forEachPixel(of extent: [Int], inside: (d: Range<Int>, h: Range<Int>, w: Range<Int>),
                             _ body: (_ d: Int, _ h: Int, _ w: Int, _ inside: Bool) -> Void) {
        for d in 0..<extent[0] {
            for h in 0..<extent[1] {
                let rowInside = inside.d.contains(d) && inside.h.contains(h)
                for w in 0..<extent[2] { body(d, h, w, rowInside && inside.w.contains(w)) }
            }
        }
    }

    /// Input pixel `(id, ih, iw)`'s gradient in channel `c`, its readers checked one by one.
    @inlinable @inline(__always)
    func edgeGather<T: ShiftFloatingPoint>(_ taps: ChannelTaps<T>, _ g: UnsafePointer<T>, _ gs: LiftedStrides,
                                           _ c: Int, _ id: Int, _ ih: Int, _ iw: Int) -> T {
        var v: T = 0
        for bd in 0..<taps.d.taps {
            let pd = id &- taps.d.base &- bd
            if pd < 0 || pd >= output[0] { continue }
            for bh in 0..<taps.h.taps {
                let ph = ih &- taps.h.base &- bh
                if ph < 0 || ph >= output[1] { continue }
                for bw in 0..<taps.w.taps {
                    let pw = iw &- taps.w.base &- bw
                    if pw < 0 || pw >= output[2] { continue }
                    v += taps.d.weight(bd) * taps.h.weight(bh) * taps.w.weight(bw) * g[pd &* gs.d &+ ph &* gs.h &+ pw &* gs.w &+ c]
                }
            }
        }
        return v
    }

    /// Image `n`'s shift gradient, plane by plane into `partials`.
    @inlinable
    func shiftGradient<T: ShiftFloatingPoint>(_ table: Tables<T>, _ inside: (d: Range<Int>, h: Range<Int>, w: Range<Int>),
                                              x: UnsafePointer<T>, _ xs: LiftedStrides, g: UnsafePointer<T>, _ gs: LiftedStrides,
                                              into partials: ShiftGradientPartials<T>, image n: Int) {
        let vertical = table.rowStride
        // Per channel and vertical tap: sum g (x1 - x0) and sum g x0, in pixel order.
        table.rowOffsets.withUnsafeBufferPointer { rows in
        table.rowCounts.withUnsafeBufferPointer { counts in
        let (rows, counts) = (rows.baseAddress!, counts.baseAddress!)
        withUnsafeTemporaryAllocation(of: T.self, capacity: Swift.max(2 &* channels &* vertical, 1)) { sums in
            sums.initialize(repeating: 0)
            let (diffs, bases) = (sums.baseAddress!, sums.baseAddress! + channels &* vertical)
            Self.forEachPixel(of: output, inside: inside) { pd, ph, pw, pixelInside in
                let gPixel = g + (pd &* gs.d &+ ph &* gs.h &+ pw &* gs.w)
                if pixelInside {
                    let xPixel = x + (pd &* xs.d &+ ph &* xs.h &+ pw &* xs.w)
                    for c in 0..<channels {
                        let v = gPixel[c]
                        let k0 = c &* vertical
                        for k in k0..<(k0 &+ counts[c]) {
                            let x0 = xPixel[rows[k]], x1 = xPixel[rows[k] &+ xs.w]
                            diffs[k] += v * (x1 - x0)
                            bases[k] += v * x0
                        }
                    }
                } else {
                    for c in 0..<channels {
                        edgeSums(table.cells[c], x, xs, gPixel[c], c, pd, ph, pw,
                                 diffs + c &* vertical, bases + c &* vertical)
                    }
                }
            }
            for c in 0..<channels {
                let cell = table.cells[c]
                var total = ShiftGradientSums<T>()
                var r = 0
                for bd in 0..<cell.d.taps {
                    for bh in 0..<cell.h.taps {
                        total.add(cell, diff: diffs[c &* vertical &+ r], base: bases[c &* vertical &+ r], bd, bh)
                        r &+= 1
                    }
                }
                partials.store(total.gradient, n: n, c: c)
            }
        }
        }
        }
    }

    /// Output pixel `(pd, ph, pw)`'s terms in channel `c`, every tap through the padding.
    @inlinable @inline(__always)
    func edgeSums<T: ShiftFloatingPoint>(_ cell: ChannelTaps<T>, _ x: UnsafePointer<T>, _ xs: LiftedStrides, _ v: T,
                                         _ c: Int, _ pd: Int, _ ph: Int, _ pw: Int,
                                         _ diffs: UnsafeMutablePointer<T>, _ bases: UnsafeMutablePointer<T>) {
        let i0 = cell.w.index(pw, 0), i1 = cell.w.index(pw, 1)
        var r = 0
        for bd in 0..<cell.d.taps {
            let id = cell.d.index(pd, bd)
            for bh in 0..<cell.h.taps {
                defer { r &+= 1 }
                let ih = cell.h.index(ph, bh)
                if id < 0 || ih < 0 { continue }
                let row = x + (id &* xs.d &+ ih &* xs.h &+ c)
                let (x0, x1) = AxisTaps.paddedPair(row, xs.w, (i0, i1))
                diffs[r] += v * (x1 - x0)
                bases[r] += v * x0
            }
        }
    }

    // MARK: The forward

    /// One channel's taps as offsets from its output pixel's input position, for interior pixels.
    @usableFromInline
    struct Corners<T: ShiftFloatingPoint> {
        @usableFromInline var taps: ChannelTaps<T>
        /// Input offsets of the vertical taps (rows), relative to `x + pixel`.
        @usableFromInline var offsets: (Int, Int, Int, Int)
        /// Weights of each row's two column taps.
        @usableFromInline var a: (T, T, T, T), b: (T, T, T, T)
        @usableFromInline var rows: Int
        @usableFromInline var columns: Int
        @usableFromInline var isCopy: Bool

        @inlinable
        init(_ taps: ChannelTaps<T>, _ xs: LiftedStrides) {
            let count = taps.d.taps &* taps.h.taps
            // Row r is depth tap r / h.taps, height tap r % h.taps, as in the NCHW kernels.
            @inline(__always) func row(_ r: Int) -> (Int, T, T) {
                guard r < count else { return (0, 0, 0) }
                let bd = r / taps.h.taps, bh = r % taps.h.taps
                let weight = taps.d.weight(bd) * taps.h.weight(bh)
                return ((taps.d.base &+ bd) &* xs.d &+ (taps.h.base &+ bh) &* xs.h &+ taps.w.base &* xs.w,
                        weight * taps.w.weight(0), weight * taps.w.weight(1))
            }
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
            offsets = (r0.0, r1.0, r2.0, r3.0)
            a = (r0.1, r1.1, r2.1, r3.1)
            b = (r0.2, r1.2, r2.2, r3.2)
            self.taps = taps
            rows = count
            columns = taps.w.taps
            isCopy = taps.isCopy
        }

        @inlinable @inline(__always)
        func row(_ r: Int) -> (Int, T, T) {
            switch r {
            case 0: return (offsets.0, a.0, b.0)
            case 1: return (offsets.1, a.1, b.1)
            case 2: return (offsets.2, a.2, b.2)
            default: return (offsets.3, a.3, b.3)
            }
        }
    }

    /// Whether both layouts are dense channels-last with a unit channel stride.
    @inlinable
    static func applies(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides) -> Bool {
        func channelsLast(_ s: LiftedStrides, _ size: [Int]) -> Bool {
            let c = problem.channels
            return problem.channels > 1 && s.c == 1 && (size[2] == 1 || s.w == c) && (size[1] == 1 || s.h == size[2] * c)
                && (size[0] == 1 || s.d == size[1] * size[2] * c)
        }
        return channelsLast(xs, problem.inputSize) && channelsLast(ys, problem.outputSize)
    }

    /// The forward: `output` from `input`, rows of pixels spread over threads as `plan` says.
    @inlinable
    static func forward<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<T>, shifts: ShiftTable<T>, output y: StridedPointer<T>, plan: CPUPlan
    ) {
        let (x, xs, ys) = (input.reading, input.strides, y.strides)
        let channels = problem.channels
        let source = UncheckedSendable(x)
        withUnsafeTemporaryAllocation(of: Corners<T>.self, capacity: channels) { corners in
            var interior = (d: 0..<problem.outputSize[0], h: 0..<problem.outputSize[1], w: 0..<problem.outputSize[2])
            for c in 0..<channels {
                let taps = problem.taps(channel: c, shifts: shifts)
                corners.initializeElement(at: c, to: Corners(taps, xs))
                interior.d = interior.d.clamped(to: taps.d.interior)
                interior.h = interior.h.clamped(to: taps.h.interior)
                interior.w = interior.w.clamped(to: taps.w.interior)
            }
            let table = UncheckedSendable(UnsafePointer(corners.baseAddress!))
            // The common 2-D case, every channel bilinear: branch-free, structure-of-arrays.
            let bilinear = (0..<channels).allSatisfy { corners[$0].rows == 2 && corners[$0].columns == 2 && corners[$0].taps.d.taps == 1 }
          withUnsafeTemporaryAllocation(of: Bilinear<T>.self, capacity: channels) { compact in
            for c in 0..<channels {
                let k = corners[c]
                compact.initializeElement(at: c, to: Bilinear(o0: k.offsets.0 &+ c, o1: k.offsets.1 &+ c,
                                                              a0: k.a.0, b0: k.b.0, a1: k.a.1, b1: k.b.1))
            }
            let pairs = UncheckedSendable(UnsafePointer(compact.baseAddress!))
            let (outD, outH, outW) = (problem.outputSize[0], problem.outputSize[1], problem.outputSize[2])
            // Output pixel p reads from input pixel p * stride (the taps' offsets add the base).
            let step = (d: problem.step[0] &* xs.d, h: problem.step[1] &* xs.h, w: problem.step[2] &* xs.w)
            let rows = problem.batch * outD * outH
            parallelChunks(count: rows, grain: plan.grain, trace: plan.trace) { range in
                for r in range {
                    let ph = r % outH, pd = (r / outH) % outD, n = r / (outH * outD)
                    let rowInside = interior.d.contains(pd) && interior.h.contains(ph)
                    let plane = source.value + n &* xs.n
                    for pw in 0..<outW {
                        let out = y.base + (n &* ys.n &+ pd &* ys.d &+ ph &* ys.h &+ pw &* ys.w)
                        if rowInside && interior.w.contains(pw) {
                            let pixel = plane + (pd &* step.d &+ ph &* step.h &+ pw &* step.w)
                            if bilinear {
                                bilinearPixel(pairs.value, pixel, xs.w, out, channels: channels)
                            } else {
                                for c in 0..<channels { out[c] = insideValue(table.value + c, pixel + c, xs.w) }
                            }
                        } else {
                            // Near the edges most channels still read inside the input: only the
                            // ones whose own taps leave it take the padded path.
                            let pixel = plane + (pd &* step.d &+ ph &* step.h &+ pw &* step.w)
                            for c in 0..<channels {
                                let taps = table.value[c].taps
                                if taps.d.interior.contains(pd) && taps.h.interior.contains(ph) && taps.w.interior.contains(pw) {
                                    out[c] = insideValue(table.value + c, pixel + c, xs.w)
                                } else {
                                    out[c] = paddedValue(table.value + c, plane + c, xs, pd, ph, pw)
                                }
                            }
                        }
                    }
                }
            }
            _ = compact.deinitialize()
          }
            _ = corners.deinitialize()
        }
    }

    /// All channels of an interior pixel when every channel reads 2 x 2 taps.
    @inlinable @inline(__always)
    static func bilinearPixel<T: ShiftFloatingPoint>(_ pairs: UnsafePointer<Bilinear<T>>, _ pixel: UnsafePointer<T>, _ sw: Int,
                                                     _ out: UnsafeMutablePointer<T>, channels: Int) {
        for c in 0..<channels {
            let k = pairs[c]
            out[c] = (k.a0 * pixel[k.o0] + k.b0 * pixel[k.o0 &+ sw]) + (k.a1 * pixel[k.o1] + k.b1 * pixel[k.o1 &+ sw])
        }
    }

    /// One channel's two rows of two taps, compactly: offsets from its pixel, channel included.
    @usableFromInline
    struct Bilinear<T: ShiftFloatingPoint> {
        @usableFromInline var o0: Int, o1: Int
        @usableFromInline var a0: T, b0: T, a1: T, b1: T

        @inlinable
        init(o0: Int, o1: Int, a0: T, b0: T, a1: T, b1: T) {
            (self.o0, self.o1, self.a0, self.b0, self.a1, self.b1) = (o0, o1, a0, b0, a1, b1)
        }
    }

    /// An interior pixel's value: `StridedRows.interpolateRow`'s products and sums, in its order.
    @inlinable @inline(__always)
    static func insideValue<T: ShiftFloatingPoint>(_ k: UnsafePointer<Corners<T>>, _ pixel: UnsafePointer<T>, _ sw: Int) -> T {
        if k.pointee.isCopy { return pixel[k.pointee.offsets.0] }
        let twoColumns = k.pointee.columns == 2
        var v: T = 0
        for r in 0..<k.pointee.rows {
            let (offset, a, b) = k.pointee.row(r)
            let x0 = pixel[offset]
            let value = twoColumns ? a * x0 + b * pixel[offset &+ sw] : a * x0
            v = r == 0 ? value : v + value
        }
        return v
    }

    /// A pixel near the edges: every tap through the padding, as `StridedRows.row` and `interpolateRow` do.
    @inlinable @inline(__always)
    static func paddedValue<T: ShiftFloatingPoint>(_ corners: UnsafePointer<Corners<T>>, _ plane: UnsafePointer<T>,
                                                   _ xs: LiftedStrides, _ pd: Int, _ ph: Int, _ pw: Int) -> T {
        let taps = corners.pointee.taps, w = taps.w
        let i = w.edgeTaps(pw)
        if taps.isCopy {
            let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
            return id < 0 || ih < 0 || i.0 < 0 ? 0 : plane[id &* xs.d &+ ih &* xs.h &+ i.0 &* xs.w]
        }
        var v: T = 0
        var first = true
        taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
            let weight = taps.d.weight(bd) * taps.h.weight(bh)
            let row = plane + (id &* xs.d &+ ih &* xs.h)
            let value = AxisTaps.paddedSum(row, xs.w, i, weight * w.weight(0), weight * w.weight(1))
            v = first ? value : v + value
            first = false
        }
        return v
    }
}

/// The backward pass for channels-last tensors at stride 1 (`x`, `g` and `gx` stored
/// `[N, (D,) (H,) W, C]`, channels innermost), image by image: pixels in memory order, all
/// channels of a pixel in one inner loop, as the channels-last forward does.
///
/// The input gradient is a gather, as in ``DensePlaneBackward``: input pixel `i` of channel `c`
/// receives `w_b * g[i - base_c - b]` from each output that reads it inside the input, and the
/// taps that the padding folds back are added from the band of outputs that have them. The shift
/// gradient keeps, per channel and vertical tap, the sums `sum g (x1 - x0)` and `sum g x0` over
/// the image's output pixels, and combines them at the end in the NCHW kernels' way. Each image
/// writes its own slots, so any thread count gives the same bits.
@usableFromInline
struct ChannelsLastBackward: Sendable {
    @usableFromInline let input: [Int]
    @usableFromInline let output: [Int]
    @usableFromInline let channels: Int

    /// Nil unless the geometry is stride 1 and the three tensors are dense channels-last.
    @inlinable
    init?(_ problem: ShiftProblem, x xs: LiftedStrides, g gs: LiftedStrides, gx gxs: LiftedStrides) {
        guard problem.step == [1, 1, 1], problem.channels > 1,
              ChannelsLastKernel.applies(problem, xs, gs), ChannelsLastKernel.applies(problem, gxs, gs) else { return nil }
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

    @inlinable
    func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, x: UnsafePointer<T>, _ xs: LiftedStrides, g: UnsafePointer<T>, _ gs: LiftedStrides,
        shifts: ShiftTable<T>, gx: SendablePointer<T>, _ gxs: LiftedStrides, partials: ShiftGradientPartials<T>?
    ) {
        let table = Tables(problem, shifts: shifts, xs: xs, gs: gs)
        // Input pixels whose every channel gathers inside the output; output pixels whose every
        // channel's cell reads inside the input.
        let gatherInside = (d: AxisTaps.readersInside(table.taps.map(\.d), length: input[0], count: output[0]),
                            h: AxisTaps.readersInside(table.taps.map(\.h), length: input[1], count: output[1]),
                            w: AxisTaps.readersInside(table.taps.map(\.w), length: input[2], count: output[2]))
        var cellInside = (d: 0..<output[0], h: 0..<output[1], w: 0..<output[2])
        for cell in table.cells {
            cellInside.d = cellInside.d.clamped(to: cell.d.interior)
            cellInside.h = cellInside.h.clamped(to: cell.h.interior)
            cellInside.w = cellInside.w.clamped(to: cell.w.interior)
        }
        let (source, gradient) = (UncheckedSendable(x), UncheckedSendable(g))
        let shared = UncheckedSendable(table)
        parallelChunks(count: problem.batch) { images in
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
        for id in 0..<input[0] {
            for ih in 0..<input[1] {
                let rowInside = inside.d.contains(id) && inside.h.contains(ih)
                for iw in 0..<input[2] {
                    let out = gx + (id &* gxs.d &+ ih &* gxs.h &+ iw &* gxs.w)
                    if rowInside && inside.w.contains(iw) {
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
      }
      }
        if padding != .zeros { foldPaddedTaps(table, g: g, gs, gx: gx, gxs) }
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

    /// Adds, channel by channel, the taps that fall outside the input on some axis, mapped through
    /// the padding: only the outputs outside that channel's interior have any.
    @inlinable
    func foldPaddedTaps<T: ShiftFloatingPoint>(_ table: Tables<T>, g: UnsafePointer<T>, _ gs: LiftedStrides,
                                               gx: UnsafeMutablePointer<T>, _ gxs: LiftedStrides) {
        for c in 0..<channels {
            let taps = table.taps[c]
            taps.forEachBandOutput { pd, ph, pw in
                let v = g[pd &* gs.d &+ ph &* gs.h &+ pw &* gs.w &+ c]
                taps.forEachFoldedTap(pd, ph, pw) { weight, id, ih, iw in
                    gx[id &* gxs.d &+ ih &* gxs.h &+ iw &* gxs.w &+ c] += weight * v
                }
            }
        }
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
            for pd in 0..<output[0] {
                for ph in 0..<output[1] {
                    let rowInside = inside.d.contains(pd) && inside.h.contains(ph)
                    for pw in 0..<output[2] {
                        let gPixel = g + (pd &* gs.d &+ ph &* gs.h &+ pw &* gs.w)
                        if rowInside && inside.w.contains(pw) {
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
                let x0: T = i0 >= 0 ? row[i0 &* xs.w] : 0
                let x1: T = i1 >= 0 ? row[i1 &* xs.w] : 0
                diffs[r] += v * (x1 - x0)
                bases[r] += v * x0
            }
        }
    }
}

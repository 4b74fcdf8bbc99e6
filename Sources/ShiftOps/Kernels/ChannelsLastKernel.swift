/// The forward pass for channels-last tensors (`[N, (D,) (H,) W, C]` in memory, channels
/// innermost): output pixels in memory order, all channels of a pixel in one inner loop, so that
/// writes stream and each read is a pixel's channel vector.
///
/// Every channel has its own taps, precomputed once per call into ``Corners``; pixels whose taps
/// are inside the input for every channel read them without padding logic. The sums are formed
/// in the order of the NCHW kernels, so both layouts give the same bits.
@usableFromInline
enum ChannelsLastKernel {
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

    @inlinable
    static func run<T: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input x: UnsafePointer<T>, _ xs: LiftedStrides,
        shifts: ShiftTable<T>, output y: SendablePointer<T>, _ ys: LiftedStrides, grain: Int
    ) {
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
            parallelChunks(count: rows, grain: grain) { range in
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

    /// An interior pixel's value: `interpolateRow`'s products and sums, in its order.
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

    /// A pixel near the edges: every tap through the padding, as `row` and `interpolateRow` do.
    @inlinable @inline(__always)
    static func paddedValue<T: ShiftFloatingPoint>(_ corners: UnsafePointer<Corners<T>>, _ plane: UnsafePointer<T>,
                                                   _ xs: LiftedStrides, _ pd: Int, _ ph: Int, _ pw: Int) -> T {
        let taps = corners.pointee.taps, w = taps.w
        let i0 = w.index(pw, 0), i1 = w.taps == 2 ? w.index(pw, 1) : -1
        if taps.isCopy {
            let id = taps.d.index(pd, 0), ih = taps.h.index(ph, 0)
            return id < 0 || ih < 0 || i0 < 0 ? 0 : plane[id &* xs.d &+ ih &* xs.h &+ i0 &* xs.w]
        }
        var v: T = 0
        var first = true
        taps.forEachRowTap(pd, ph) { bd, bh, id, ih in
            let weight = taps.d.weight(bd) * taps.h.weight(bh)
            let row = plane + (id &* xs.d &+ ih &* xs.h)
            var value: T = 0
            if i0 >= 0 { value = weight * w.weight(0) * row[i0 &* xs.w] }
            if i1 >= 0 { value += weight * w.weight(1) * row[i1 &* xs.w] }
            v = first ? value : v + value
            first = false
        }
        return v
    }
}

import ShiftOps

// The per-channel loops of batch normalisation.
//
// A plain `s += x[i]` loop is one chain of dependent additions (the compiler may not reorder a
// floating-point sum), so it runs at the latency of an addition instead of at memory speed. The
// `Float` loops here keep 32 independent partial sums (four vectors of 8) across all the rows of a
// channel and add them up in one fixed order at the end; the grouping depends only on the row
// length, and each channel is summed whole by one task, so the bits depend on the problem, never
// on the thread count. They are written on the concrete `SIMD8<Float>`: the generic SIMD
// operations, even specialised, compiled to lane-by-lane code through the stack. Other element
// types take plain loops in the same order for every thread count.

/// One channel of an `[N, C, H, W]` tensor: `rows` rows (one per image) of `length` values, row
/// `r` starting at `base + r * stride`.
struct ChannelRows<Pointer> {
    let base: Pointer
    let rows: Int
    let length: Int
    let stride: Int
}

extension ChannelRows where Pointer == UnsafePointer<Float> {
    @inline(__always)
    func load(_ r: Int, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(base + (r &* stride &+ i)).loadUnaligned(as: SIMD8<Float>.self)
    }
}

/// Four vector accumulators and a scalar one for the rows' tails, added up in a fixed order.
struct LaneSum {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var tail: Float = 0

    @inline(__always)
    var total: Float { ((a0 + a1) + (a2 + a3)).sum() + tail }
}

/// Runs `body` over blocks of consecutive channels in parallel, each block at least about 16K
/// values so that a task is worth handing to a thread; the blocks depend only on the shape.
func parallelForChannelBlocks(channels: Int, valuesPerChannel: Int, _ body: (Range<Int>) -> Void) {
    let perBlock = Swift.max(1, Swift.min(channels, (1 << 14) / Swift.max(1, valuesPerChannel)))
    let blocks = (channels + perBlock - 1) / perBlock
    parallelFor(blocks) { block in
        let first = block &* perBlock
        body(first..<Swift.min(channels, first &+ perBlock))
    }
}

/// `(sum x, sum (x - mean(x))^2)` over a channel's rows: the batch statistics.
@_specialize(where T == Float)
func channelMoments<T: NetScalar>(_ x: ChannelRows<UnsafePointer<T>>) -> (sum: T, squaredDeviations: T, count: Int) {
    let count = x.rows * x.length
    if T.self == Float.self {
        let xf = ChannelRows(base: UnsafeRawPointer(x.base).assumingMemoryBound(to: Float.self), rows: x.rows,
                             length: x.length, stride: x.stride)
        var s = LaneSum()
        forEachLaneBlock(xf) { r, i in
            s.a0 += xf.load(r, i); s.a1 += xf.load(r, i &+ 8); s.a2 += xf.load(r, i &+ 16); s.a3 += xf.load(r, i &+ 24)
        } tail: { r, i in
            s.tail += xf.base[r &* xf.stride &+ i]
        }
        let mean = s.total / Float(count), meanV = SIMD8<Float>(repeating: mean)
        var q = LaneSum()
        forEachLaneBlock(xf) { r, i in
            var d = xf.load(r, i) - meanV; q.a0 += d * d
            d = xf.load(r, i &+ 8) - meanV; q.a1 += d * d
            d = xf.load(r, i &+ 16) - meanV; q.a2 += d * d
            d = xf.load(r, i &+ 24) - meanV; q.a3 += d * d
        } tail: { r, i in
            let d = xf.base[r &* xf.stride &+ i] - mean
            q.tail += d * d
        }
        return (unsafeBitCast(s.total, to: T.self), unsafeBitCast(q.total, to: T.self), count)
    }
    var s: T = 0
    for r in 0..<x.rows { for i in 0..<x.length { s += x.base[r &* x.stride &+ i] } }
    let mean = s / T(count)
    var q: T = 0
    for r in 0..<x.rows {
        for i in 0..<x.length { let d = x.base[r &* x.stride &+ i] - mean; q += d * d }
    }
    return (s, q, count)
}

/// The backward's two sums over a channel: `sum g'` and `sum g' * xhat`, with
/// `xhat = (x - mean) * inv` and `g'` the gradient, zeroed where the fused ReLU cut the output
/// (`scale * x + shift <= 0`, as the forward computed it) when `relu`.
@_specialize(where T == Float)
func channelGradientSums<T: NetScalar>(g: ChannelRows<UnsafePointer<T>>, x: ChannelRows<UnsafePointer<T>>, mean: T, inv: T,
                                       scale: T, shift: T, relu: Bool) -> (sg: T, sgx: T) {
    if T.self == Float.self {
        func float(_ rows: ChannelRows<UnsafePointer<T>>) -> ChannelRows<UnsafePointer<Float>> {
            ChannelRows(base: UnsafeRawPointer(rows.base).assumingMemoryBound(to: Float.self), rows: rows.rows,
                        length: rows.length, stride: rows.stride)
        }
        let (gf, xf) = (float(g), float(x))
        let (m, v, a, b) = (unsafeBitCast(mean, to: Float.self), unsafeBitCast(inv, to: Float.self),
                            unsafeBitCast(scale, to: Float.self), unsafeBitCast(shift, to: Float.self))
        let (mV, vV, aV, bV) = (SIMD8<Float>(repeating: m), SIMD8<Float>(repeating: v),
                                SIMD8<Float>(repeating: a), SIMD8<Float>(repeating: b))
        var sg = LaneSum(), sgx = LaneSum()
        @inline(__always) func terms(_ r: Int, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let xv = xf.load(r, i)
            var gv = gf.load(r, i)
            if relu { gv.replace(with: 0, where: xv * aV + bV .<= 0) }
            return (gv, gv * ((xv - mV) * vV))
        }
        forEachLaneBlock(xf) { r, i in
            var (u, w) = terms(r, i); sg.a0 += u; sgx.a0 += w
            (u, w) = terms(r, i &+ 8); sg.a1 += u; sgx.a1 += w
            (u, w) = terms(r, i &+ 16); sg.a2 += u; sgx.a2 += w
            (u, w) = terms(r, i &+ 24); sg.a3 += u; sgx.a3 += w
        } tail: { r, i in
            let xv = xf.base[r &* xf.stride &+ i]
            let gv = relu && xv * a + b <= 0 ? 0 : gf.base[r &* gf.stride &+ i]
            sg.tail += gv
            sgx.tail += gv * ((xv - m) * v)
        }
        return (unsafeBitCast(sg.total, to: T.self), unsafeBitCast(sgx.total, to: T.self))
    }
    var sg: T = 0, sgx: T = 0
    for r in 0..<x.rows {
        for i in 0..<x.length {
            let xv = x.base[r &* x.stride &+ i]
            let gv = relu && xv * scale + shift <= 0 ? 0 : g.base[r &* g.stride &+ i]
            sg += gv
            sgx += gv * ((xv - mean) * inv)
        }
    }
    return (sg, sgx)
}

/// The input gradient over a channel: `out = k * (M * g' - sg - xhat * sgx)` with `g'` and
/// `xhat` as ``channelGradientSums(g:x:mean:inv:scale:shift:relu:)`` forms them and
/// `M = rows * length`.
@_specialize(where T == Float)
func channelInputGradient<T: NetScalar>(g: ChannelRows<UnsafePointer<T>>, x: ChannelRows<UnsafePointer<T>>,
                                        out: UnsafeMutablePointer<T>, mean: T, inv: T, scale: T, shift: T, relu: Bool,
                                        k: T, sg: T, sgx: T) {
    let m = T(x.rows * x.length)
    if T.self == Float.self {
        let (gp, xp) = (UnsafeRawPointer(g.base), UnsafeRawPointer(x.base))
        let op = UnsafeMutableRawPointer(out)
        let f = { (value: T) in unsafeBitCast(value, to: Float.self) }
        let (mV, vV, aV, bV) = (SIMD8<Float>(repeating: f(mean)), SIMD8<Float>(repeating: f(inv)),
                                SIMD8<Float>(repeating: f(scale)), SIMD8<Float>(repeating: f(shift)))
        let (kV, countV, sgV, sgxV) = (SIMD8<Float>(repeating: f(k)), SIMD8<Float>(repeating: f(m)),
                                       SIMD8<Float>(repeating: f(sg)), SIMD8<Float>(repeating: f(sgx)))
        let size = MemoryLayout<Float>.stride
        for r in 0..<x.rows {
            let start = r &* x.stride
            var i = 0
            while i &+ 8 <= x.length {
                let offset = (start &+ i) &* size
                let xv = xp.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                var gv = gp.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                if relu { gv.replace(with: 0, where: xv * aV + bV .<= 0) }
                let xhat = (xv - mV) * vV
                op.storeBytes(of: kV * (countV * gv - sgV - xhat * sgxV), toByteOffset: offset, as: SIMD8<Float>.self)
                i &+= 8
            }
            let (xs, gs, os) = (xp.assumingMemoryBound(to: Float.self), gp.assumingMemoryBound(to: Float.self),
                                op.assumingMemoryBound(to: Float.self))
            while i < x.length {
                let xv = xs[start &+ i]
                let gv = relu && xv * f(scale) + f(shift) <= 0 ? 0 : gs[start &+ i]
                os[start &+ i] = f(k) * (f(m) * gv - f(sg) - (xv - f(mean)) * f(inv) * f(sgx))
                i &+= 1
            }
        }
        return
    }
    for r in 0..<x.rows {
        for i in 0..<x.length {
            let index = r &* x.stride &+ i
            let xv = x.base[index]
            let gv = relu && xv * scale + shift <= 0 ? 0 : g.base[index]
            out[index] = k * (m * gv - sg - (xv - mean) * inv * sgx)
        }
    }
}

/// `out = scale * x + shift` over a channel's rows, with `relu` then `max(v, 0)` (NaN kept):
/// the forward's normalisation. `Swift.max` rather than a comparison and a branch, so that the
/// loop vectorises (see ``addBiasReLU(_:count:bias:)``).
@_specialize(where T == Float)
func channelAffine<T: NetScalar>(_ x: ChannelRows<UnsafePointer<T>>, out: UnsafeMutablePointer<T>, scale: T, shift: T,
                                 relu: Bool) {
    for r in 0..<x.rows {
        let (row, target) = (x.base + r &* x.stride, out + r &* x.stride)
        if relu {
            for i in 0..<x.length { target[i] = Swift.max(row[i] * scale + shift, 0) }
        } else {
            for i in 0..<x.length { target[i] = row[i] * scale + shift }
        }
    }
}

/// Calls `block(r, i)` for each full block of 32 values of each row and `tail(r, i)` for the rest.
@inline(__always)
func forEachLaneBlock(_ x: ChannelRows<UnsafePointer<Float>>, _ block: (Int, Int) -> Void, tail: (Int, Int) -> Void) {
    for r in 0..<x.rows {
        var i = 0
        while i &+ 32 <= x.length {
            block(r, i)
            i &+= 32
        }
        while i < x.length {
            tail(r, i)
            i &+= 1
        }
    }
}

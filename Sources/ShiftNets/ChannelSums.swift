import ShiftOps

// Per-channel reductions of batch normalisation. A plain `s += x[i]` loop is one chain of
// dependent additions (the compiler may not reorder floating-point sums), so it runs at the
// latency of an add. These keep 32 independent partial sums (four 8-lane vectors) across every row
// of a channel, then add them in one fixed order; the grouping depends only on the row length,
// so the bits depend on the problem, never on how many threads run the channels.

/// Eight lanes: wide enough for AVX2 floats; the compiler splits it where vectors are narrower.
typealias Lanes<T: NetScalar> = SIMD8<T>

/// The channel's rows: `rows` rows of `length` elements, row `r` starting at `base + r * stride`.
struct ChannelRows<T: NetScalar> {
    let base: UnsafePointer<T>
    let rows: Int
    let length: Int
    let stride: Int

    @inline(__always)
    func row(_ r: Int) -> UnsafePointer<T> { base + r &* stride }
}

/// Four vector accumulators and a scalar one for the tail of each row, added up in a fixed order.
struct LaneAccumulator<T: NetScalar> {
    var a0 = Lanes<T>(), a1 = Lanes<T>(), a2 = Lanes<T>(), a3 = Lanes<T>()
    var tail: T = 0

    /// `((a0 + a1) + (a2 + a3))`, its lanes in index order, then the tail.
    @inline(__always)
    var total: T {
        let v = (a0 + a1) + (a2 + a3)
        var s: T = 0
        for lane in 0..<v.scalarCount { s += v[lane] }
        return s + tail
    }
}

@inline(__always)
func loadLanes<T: NetScalar>(_ p: UnsafePointer<T>, _ i: Int) -> Lanes<T> {
    UnsafeRawPointer(p + i).loadUnaligned(as: Lanes<T>.self)
}

/// `sum of f(x)` over a channel's rows, `f` given both as a vector and a scalar function that
/// compute the same thing lane by lane.
@inline(__always)
func channelSum<T: NetScalar>(_ x: ChannelRows<T>, _ vector: (Lanes<T>) -> Lanes<T>, _ scalar: (T) -> T) -> T {
    var acc = LaneAccumulator<T>()
    let width = Lanes<T>.scalarCount, block = 4 &* width
    for r in 0..<x.rows {
        let row = x.row(r)
        var i = 0
        while i &+ block <= x.length {
            acc.a0 += vector(loadLanes(row, i))
            acc.a1 += vector(loadLanes(row, i &+ width))
            acc.a2 += vector(loadLanes(row, i &+ 2 &* width))
            acc.a3 += vector(loadLanes(row, i &+ 3 &* width))
            i &+= block
        }
        while i < x.length { acc.tail += scalar(row[i]); i &+= 1 }
    }
    return acc.total
}

/// Two sums over a pair of channels' rows of one geometry, `f(g, x)` giving both terms at once
/// (batch norm's backward: `sum g` and `sum g * xhat`).
@inline(__always)
func channelSums<T: NetScalar>(_ g: ChannelRows<T>, _ x: ChannelRows<T>,
                               _ vector: (Lanes<T>, Lanes<T>) -> (Lanes<T>, Lanes<T>),
                               _ scalar: (T, T) -> (T, T)) -> (T, T) {
    var first = LaneAccumulator<T>(), second = LaneAccumulator<T>()
    let width = Lanes<T>.scalarCount, block = 4 &* width
    for r in 0..<x.rows {
        let gr = g.row(r), xr = x.row(r)
        var i = 0
        while i &+ block <= x.length {
            var (u, v) = vector(loadLanes(gr, i), loadLanes(xr, i))
            first.a0 += u; second.a0 += v
            (u, v) = vector(loadLanes(gr, i &+ width), loadLanes(xr, i &+ width))
            first.a1 += u; second.a1 += v
            (u, v) = vector(loadLanes(gr, i &+ 2 &* width), loadLanes(xr, i &+ 2 &* width))
            first.a2 += u; second.a2 += v
            (u, v) = vector(loadLanes(gr, i &+ 3 &* width), loadLanes(xr, i &+ 3 &* width))
            first.a3 += u; second.a3 += v
            i &+= block
        }
        while i < x.length {
            let (u, v) = scalar(gr[i], xr[i])
            first.tail += u; second.tail += v
            i &+= 1
        }
    }
    return (first.total, second.total)
}

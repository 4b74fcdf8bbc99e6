/// The running sums `sum g dy/du` of one `(n, c)` plane's shift gradient over its lifted axes
/// `(d, h, w)`, built from the per-vertical-tap sums every backward path forms along its rows.
///
/// For vertical tap `(bd, bh)` of a cell, the sums along W are `diff = sum g (x1 - x0)` and
/// `base = sum g x0`; the interpolated value's sum is then `base + t diff`, and the derivative
/// along each axis weighs those two by the other axes' weights, negated for tap 0. Every path
/// adds its taps through ``add(_:diff:base:_:_:)``, in the NCHW kernels' order, so all paths give
/// the same bits.
@usableFromInline
struct ShiftGradientSums<T: ShiftFloatingPoint> {
    @usableFromInline var d: T = 0, h: T = 0, w: T = 0

    @inlinable init() {}

    /// Adds vertical tap `(bd, bh)`'s sums along W.
    @inlinable @inline(__always)
    mutating func add(_ cell: ChannelTaps<T>, diff: T, base: T, _ bd: Int, _ bh: Int) {
        let value = base + cell.w.weight * diff
        let wd = cell.d.weight(bd), wh = cell.h.weight(bh)
        d += (bd == 0 ? -wh : wh) * value
        h += (bh == 0 ? -wd : wd) * value
        w += wd * wh * diff
    }

    /// The plane's shift gradient along the lifted axes: the sums negated (a shift moves the
    /// sampling point the other way).
    @inlinable var gradient: (T, T, T) { (-d, -h, -w) }
}

/// The backward's partial shift gradients: one slot of three sums (the lifted axes) per `(n, c)`
/// plane, each written by exactly one task, then added over the batch in batch order, so that
/// the result is the same bits for any thread count. The slot layout is private to this type.
@usableFromInline
struct ShiftGradientPartials<T: ShiftFloatingPoint>: @unchecked Sendable {
    /// Freed with the last copy; the kernels hold pointers into it only while `run` lives.
    @usableFromInline let buffer: ScratchBuffer<T>
    @usableFromInline let channels: Int

    /// Room for every plane of `problem`, allocated through the throwing path.
    ///
    /// - Throws: ``ShiftOpsError/Code/sizeOverflow`` or ``ShiftOpsError/Code/outOfMemory``, naming
    ///   `input` (of shape `inputShape`), when the slots cannot be allocated.
    @inlinable
    init(_ problem: ShiftProblem, inputShape: [Int]) throws {
        buffer = try ScratchBuffer<T>(planes: problem.batch &* problem.channels, perPlane: 3, argument: "input",
                                      purpose: "partial shift-gradient sums (3 per (n, c) plane of shape \(inputShape))")
        channels = problem.channels
    }

    /// Writes plane `(n, c)`'s shift gradient (``ShiftGradientSums/gradient``).
    @inlinable @inline(__always)
    func store(_ gradient: (T, T, T), n: Int, c: Int) {
        let slot = buffer.base + (n &* channels &+ c) &* 3
        assert(n >= 0 && c >= 0 && c < channels && (n &* channels &+ c) &* 3 &+ 3 <= buffer.byteCount / MemoryLayout<T>.stride,
               "plane (\(n), \(c)) outside the partial sums")
        slot[0] = gradient.0
        slot[1] = gradient.1
        slot[2] = gradient.2
    }

    /// Adds the slots over the batch, in batch order, into the `[C, k]` shift gradient `out`
    /// (dense), keeping the `k` real axes (the last `k` of the lifted three).
    @inlinable
    func reduce(batch: Int, spatialRank k: Int, into out: UnsafeMutablePointer<T>) {
        let sums = buffer.base
        for c in 0..<channels {
            for j in 0..<k {
                var sum: T = 0
                for n in 0..<batch { sum += sums[(n * channels + c) * 3 + (3 - k) + j] }
                out[c * k + j] = sum
            }
        }
    }
}

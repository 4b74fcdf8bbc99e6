/// The taps of one spatial axis for one channel: where output position `p` reads, and with which
/// weights.
///
/// Output `p` reads input taps `p * step + base + b` for `b < taps`, each mapped through the
/// padding mode, with weights `1 - weight` (b = 0) and `weight` (b = 1). `base` folds the origin
/// and the integer part of the shift, reduced so that no index overflows whatever the shift's
/// size. Positions in `interior` have every tap inside `0..<length`, so kernels read them without
/// any padding logic.
@usableFromInline
struct AxisTaps<Weight: ShiftFloatingPoint> {
    @usableFromInline var length: Int
    @usableFromInline var count: Int
    @usableFromInline var step: Int
    @usableFromInline var base: Int
    @usableFromInline var weight: Weight
    @usableFromInline var taps: Int
    @usableFromInline var interior: Range<Int>
    @usableFromInline var padding: ShiftPadding

    /// How the shift is turned into taps.
    @usableFromInline
    enum Sampling {
        /// Interpolate at `s`; one tap where `s` is an integer.
        case interpolate
        /// Interpolate at `s` with both taps always (the derivative's cell at a lattice point).
        case interpolateBothTaps
        /// Round `s` half to even: one tap (the sparse forward; exact for integer `s`).
        case round
    }

    /// The taps of an axis with `length` input and `count` output samples. `shift` must be finite
    /// (callers validate); `count * step` must not overflow (callers validate).
    @inlinable
    init(shift: Weight, origin: Int, length: Int, count: Int, step: Int,
         padding: ShiftPadding, sampling: Sampling) {
        self.length = length
        self.count = count
        self.step = step
        self.padding = padding
        let v = sampling == .round ? (-shift).rounded(.toNearestOrEven) : -shift
        let q = v.rounded(.down)
        weight = v - q
        taps = sampling == .interpolateBothTaps || weight != 0 ? 2 : 1
        // Reduce origin + floor(-s) so it fits an Int however large the shift: exactly, modulo the
        // period, for the periodic modes; for zeros and border, clamping keeps every tap on the
        // same side of the axis, which reads the same values.
        if length == 0 {
            base = 0
        } else if let period = padding.period(length: length) {
            let reduced = Int(Double(q).truncatingRemainder(dividingBy: Double(period)))
            // Any base congruent modulo the period reads the same values; take the one nearest
            // the middle of the axis so that the interior (the padding-free run) is as long as
            // it can be.
            let centre = (length &- 1 &- Swift.max(count &- 1, 0) &* step) / 2
            let half = period / 2
            let near = centre &+ floorMod(origin &+ reduced &- centre &+ half, period) &- half
            // Integer halving can leave the best base one period away (a tie, or a run shorter
            // than a period): take whichever neighbour keeps the most outputs padding-free.
            var best = near, longest = Self.interior(base: near, taps: taps, length: length, count: count, step: step).count
            for side in stride(from: -1, through: 1, by: 2) {
                let candidate = near &+ side &* period
                let run = Self.interior(base: candidate, taps: taps, length: length, count: count, step: step).count
                if run > longest { (best, longest) = (candidate, run) }
            }
            base = best
        } else {
            let limit = Double(count &* step &+ length &+ 2)
            base = Int(Swift.min(Swift.max(Double(origin) + Double(q), -limit), limit))
        }
        interior = Self.interior(base: base, taps: taps, length: length, count: count, step: step)
    }

    /// The outputs `p` whose taps `p * step + base + b`, `b < taps`, all lie in `0..<length`.
    @inlinable
    static func interior(base: Int, taps: Int, length: Int, count: Int, step: Int) -> Range<Int> {
        let first = Swift.min(count, Swift.max(0, -floorDiv(base, step)))
        let last = Swift.min(count, floorDiv(length &- taps &- base, step) &+ 1)
        return first..<Swift.max(first, last)
    }

    /// The input index tap `b` of output `p` reads, or -1 for padding that reads a zero.
    @inlinable @inline(__always)
    func index(_ p: Int, _ b: Int) -> Int {
        let i = p &* step &+ base &+ b
        return interior.contains(p) ? i : padding.map(i, length: length)
    }

    /// The weight of tap `b`.
    @inlinable @inline(__always)
    func weight(_ b: Int) -> Weight { b == 0 ? 1 - weight : weight }
}

/// The taps of the three (lifted) spatial axes of one channel.
@usableFromInline
struct ChannelTaps<Weight: ShiftFloatingPoint> {
    @usableFromInline var d: AxisTaps<Weight>
    @usableFromInline var h: AxisTaps<Weight>
    @usableFromInline var w: AxisTaps<Weight>

    @inlinable
    init(d: AxisTaps<Weight>, h: AxisTaps<Weight>, w: AxisTaps<Weight>) {
        (self.d, self.h, self.w) = (d, h, w)
    }

    /// Whether `other` reads the same taps with the same weights on every axis.
    @inlinable
    func sameTaps(as other: ChannelTaps) -> Bool {
        func same(_ a: AxisTaps<Weight>, _ b: AxisTaps<Weight>) -> Bool {
            a.taps == b.taps && a.base == b.base && a.weight == b.weight && a.interior == b.interior
        }
        return same(d, other.d) && same(h, other.h) && same(w, other.w)
    }

    /// Calls `body(bd, bh, id, ih)` for each depth and height tap of output row `(pd, ph)` that
    /// reads inside the input; taps that zero padding maps outside contribute nothing.
    @inlinable @inline(__always)
    func forEachRowTap(_ pd: Int, _ ph: Int, _ body: (Int, Int, Int, Int) -> Void) {
        for bd in 0..<d.taps {
            let id = d.index(pd, bd)
            if id < 0 { continue }
            for bh in 0..<h.taps {
                let ih = h.index(ph, bh)
                if ih >= 0 { body(bd, bh, id, ih) }
            }
        }
    }

    /// Where the rows of a span (depth slice `pd`, the height interior) start: the input offset of
    /// tap (0, 0) of its first row, the input distance between its rows, and the output offset
    /// of its first row.
    @inlinable @inline(__always)
    func spanRows(pd: Int, _ xs: LiftedStrides, _ ys: LiftedStrides) -> (input: Int, rowStep: Int, output: Int) {
        let firstRow = h.interior.lowerBound
        let depth: Int = (pd &* d.step &+ d.base) &* xs.d
        let row: Int = (firstRow &* h.step &+ h.base) &* xs.h
        return (depth &+ row, h.step &* xs.h, pd &* ys.d &+ firstRow &* ys.h)
    }

    /// Whether every axis reads one tap with weight 1: the row is a copy.
    @inlinable var isCopy: Bool { d.taps == 1 && h.taps == 1 && w.taps == 1 }
}

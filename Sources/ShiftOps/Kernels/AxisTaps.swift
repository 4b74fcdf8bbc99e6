import CShiftTaps

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
    /// The padding's number in the C tap definition, for `shift_tap_map`.
    @usableFromInline var paddingCode: Int32

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
    ///
    /// The arithmetic is the one tap definition, `shift_taps.h`, which the CUDA kernels
    /// compile too: the integer part of the shift folded with the origin and reduced so that no
    /// index overflows however large the shift (exactly modulo the period for the periodic modes,
    /// choosing among congruent bases the one with the longest padding-free run; clamped for zeros
    /// and border), the weight, the tap count and the interior.
    @inlinable
    init(shift: Weight, origin: Int, length: Int, count: Int, step: Int,
         padding: ShiftPadding, sampling: Sampling) {
        self.length = length
        self.count = count
        self.step = step
        let code: Int32 = switch sampling {
        case .interpolate: Int32(SHIFT_TAPS_INTERPOLATE)
        case .interpolateBothTaps: Int32(SHIFT_TAPS_BOTH)
        case .round: Int32(SHIFT_TAPS_ROUND)
        }
        let pad = padding.tapCode
        paddingCode = pad
        let entry: (base: Int64, first: Int64, last: Int64, taps: Int32)
        if Weight.self == Float.self {
            let a = shift_axis_taps_f(Float(shift), Int64(origin), Int64(length), Int64(count), Int64(step), pad, code)
            entry = (a.base, a.first, a.last, a.taps)
            weight = Weight(a.weight)
        } else {
            let a = shift_axis_taps_d(Double(shift), Int64(origin), Int64(length), Int64(count), Int64(step), pad, code)
            entry = (a.base, a.first, a.last, a.taps)
            weight = Weight(a.weight)
        }
        base = Int(entry.base)
        taps = Int(entry.taps)
        interior = Int(entry.first)..<Int(entry.last)
    }

    /// The inputs of an axis of `length` whose every reader `i - base - b` (`b < taps`) lies in
    /// `0..<count` for each of `axes` (the channels' taps of one axis): where the adjoint of a
    /// gather needs no bounds checks. Empty ranges sit at their clamped lower bound.
    @inlinable @inline(__always)
    static func readersInside<Axes: Sequence<AxisTaps>>(_ axes: Axes, length: Int, count: Int) -> Range<Int> {
        var lo = 0, hi = length
        for a in axes {
            lo = Swift.max(lo, a.base &+ a.taps &- 1)
            hi = Swift.min(hi, a.base &+ count)
        }
        lo = Swift.min(lo, length)
        return lo..<Swift.max(lo, hi)
    }

    /// ``readersInside(_:length:count:)`` of this axis alone.
    @inlinable @inline(__always)
    func readersInside(length: Int, count: Int) -> Range<Int> {
        Self.readersInside(CollectionOfOne(self), length: length, count: count)
    }

    /// The input index tap `b` of output `p` reads, or -1 for padding that reads a zero.
    @inlinable @inline(__always)
    func index(_ p: Int, _ b: Int) -> Int {
        let i = p &* step &+ base &+ b
        return interior.contains(p) ? i : Int(shift_tap_map(Int64(i), Int64(length), paddingCode))
    }

    // The edge terms every path shares: outputs (or, for a gather, inputs) outside the interior
    // read through the padding, and each path's edge walk forms its terms through these, so that
    // every path writes the same products and sums.

    /// Output `p`'s taps through the padding, the second -1 where the axis reads one tap.
    @inlinable @inline(__always)
    func edgeTaps(_ p: Int) -> (Int, Int) { (index(p, 0), taps == 2 ? index(p, 1) : -1) }

    /// `a row[i.0] + b row[i.1]` along a row at stride `s`, each term left out where its index is
    /// -1 (zero padding): an edge output's interpolated value, in the row loops' order.
    @inlinable @inline(__always)
    static func paddedSum(_ row: UnsafePointer<Weight>, _ s: Int, _ i: (Int, Int), _ a: Weight, _ b: Weight) -> Weight {
        paddedSum(row, s, i, a, b, reads: (i.0 >= 0, i.1 >= 0))
    }

    /// The same with `reads` saying which of the two indices are not -1.
    @inlinable @inline(__always)
    static func paddedSum(_ row: UnsafePointer<Weight>, _ s: Int, _ i: (Int, Int), _ a: Weight, _ b: Weight,
                          reads: (Bool, Bool)) -> Weight {
        var v: Weight = 0
        if reads.0 { v = a * row[i.0 &* s] }
        if reads.1 { v += b * row[i.1 &* s] }
        return v
    }

    /// Calls `body` with `flags` as constants, one call per pattern: inlined, a loop in `body`
    /// is compiled once per pattern, and the per-element tests of ``paddedSum(_:_:_:_:_:reads:)``
    /// and ``gatheredSum(_:_:_:_:_:)`` fold away. An edge column's pattern is the same in all
    /// of its rows.
    @inlinable @inline(__always)
    static func withConstantFlags(_ flags: (Bool, Bool), _ body: ((Bool, Bool)) -> Void) {
        switch flags {
        case (true, true): body((true, true))
        case (true, false): body((true, false))
        case (false, true): body((false, true))
        case (false, false): body((false, false))
        }
    }

    /// `(row[i.0], row[i.1])` along a row at stride `s`, zero where an index is -1: the two samples
    /// of a shift-gradient cell at an edge.
    @inlinable @inline(__always)
    static func paddedPair(_ row: UnsafePointer<Weight>, _ s: Int, _ i: (Int, Int)) -> (Weight, Weight) {
        paddedPair(row, s, i, reads: (i.0 >= 0, i.1 >= 0))
    }

    /// The same with `reads` saying which of the two indices are not -1.
    @inlinable @inline(__always)
    static func paddedPair(_ row: UnsafePointer<Weight>, _ s: Int, _ i: (Int, Int), reads: (Bool, Bool)) -> (Weight, Weight) {
        (reads.0 ? row[i.0 &* s] : 0, reads.1 ? row[i.1 &* s] : 0)
    }

    /// Whether input `i`'s readers `i - base - b` lie in `0..<count`, for `b` = 0 and 1 (the
    /// second false where the axis reads one tap).
    @inlinable @inline(__always)
    func readers(of i: Int, count: Int) -> (Bool, Bool) {
        let p0 = i &- base
        return (p0 >= 0 && p0 < count, taps == 2 && p0 >= 1 && p0 &- 1 < count)
    }

    /// `a source[i] + b source[i - 1]`, each term left out where its reader is outside the output
    /// (``readers(of:count:)``): an edge input's gathered gradient along a row of unit stride.
    @inlinable @inline(__always)
    static func gatheredSum(_ source: UnsafePointer<Weight>, _ i: Int, _ readers: (Bool, Bool), _ a: Weight, _ b: Weight)
        -> Weight {
        var v: Weight = 0
        if readers.0 { v = a * source[i] }
        if readers.1 { v += b * source[i &- 1] }
        return v
    }

    /// The element tap 0 of output `p` reads along a row of stride `ss`, or `fill` where zero
    /// padding leaves the axis.
    @inlinable @inline(__always)
    func read<Element>(_ src: UnsafePointer<Element>, _ ss: Int, _ p: Int, fill: Element) -> Element {
        let i = index(p, 0)
        return i < 0 ? fill : src[i &* ss]
    }

    /// The weight of tap `b`.
    @inlinable @inline(__always)
    func weight(_ b: Int) -> Weight { b == 0 ? 1 - weight : weight }

    /// The adjoint of a one-tap axis at step 1 as a gather: input `i` reads output `i - base`,
    /// with zero padding where no output reads it (the input gradient before any tap that other
    /// padding folds back).
    @inlinable
    var adjointGather: AxisTaps {
        assert(step == 1 && taps == 1, "the adjoint of a gather with step \(step) and \(taps) taps is no gather")
        var mirrored = self
        (mirrored.length, mirrored.count, mirrored.base) = (count, length, -base)
        mirrored.interior = readersInside(length: length, count: count)
        mirrored.paddingCode = ShiftPadding.zeros.tapCode
        return mirrored
    }
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

    /// Calls `body(pd, ph, pw)` for every output that has a tap outside the input on some axis
    /// (outside an axis's interior), in row-major order: the band along the edges.
    @inlinable @inline(__always)
    func forEachBandOutput(_ body: (Int, Int, Int) -> Void) {
        for pd in 0..<d.count {
            for ph in 0..<h.count {
                if d.interior.contains(pd) && h.interior.contains(ph) {
                    for pw in 0..<w.interior.lowerBound { body(pd, ph, pw) }
                    for pw in w.interior.upperBound..<w.count { body(pd, ph, pw) }
                } else {
                    for pw in 0..<w.count { body(pd, ph, pw) }
                }
            }
        }
    }

    /// Calls `body(weight, id, ih, iw)` for each tap of output `(pd, ph, pw)` that falls outside
    /// the input on some axis and that the padding maps back inside: what the adjoint of a gather
    /// over in-range taps (the input gradient at stride 1) still has to add.
    @inlinable @inline(__always)
    func forEachFoldedTap(_ pd: Int, _ ph: Int, _ pw: Int, _ body: (Weight, Int, Int, Int) -> Void) {
        @inline(__always) func outside(_ axis: AxisTaps<Weight>, _ p: Int, _ b: Int) -> Bool {
            let i = p &* axis.step &+ axis.base &+ b
            return i < 0 || i >= axis.length
        }
        for bd in 0..<d.taps {
            for bh in 0..<h.taps {
                for bw in 0..<w.taps {
                    guard outside(d, pd, bd) || outside(h, ph, bh) || outside(w, pw, bw) else { continue }
                    let (id, ih, iw) = (d.index(pd, bd), h.index(ph, bh), w.index(pw, bw))
                    if id < 0 || ih < 0 || iw < 0 { continue }
                    body(d.weight(bd) * h.weight(bh) * w.weight(bw), id, ih, iw)
                }
            }
        }
    }

    /// Adds to `gx` (input-shaped, at `gxs`) the taps that fall outside the input on some axis
    /// and that the padding maps back inside, each `weight * g` of its output (`g` at `gs`): what
    /// the adjoint of a gather over in-range taps still lacks. Only the band of outputs outside
    /// an axis's interior has such taps; they are added in row-major output order.
    @inlinable
    func foldPaddedTaps(g: UnsafePointer<Weight>, _ gs: LiftedStrides, into gx: UnsafeMutablePointer<Weight>,
                        _ gxs: LiftedStrides) where Weight: ShiftFloatingPoint {
        forEachBandOutput { pd, ph, pw in
            let v = g[pd &* gs.d &+ ph &* gs.h &+ pw &* gs.w]
            forEachFoldedTap(pd, ph, pw) { weight, id, ih, iw in
                gx[id &* gxs.d &+ ih &* gxs.h &+ iw &* gxs.w] += weight * v
            }
        }
    }

    /// Whether every axis reads one tap with weight 1: the row is a copy.
    @inlinable var isCopy: Bool { d.taps == 1 && h.taps == 1 && w.taps == 1 }
}

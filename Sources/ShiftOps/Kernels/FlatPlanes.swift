/// The fast path for planes stored densely (`[D, H, W]` row-major within each `(n, c)`) with
/// stride 1 and output rows as long as input rows (`H' = H`, `W' = W`).
///
/// Then output element `i` of the flattened plane reads input element `i + offset` for a fixed
/// offset per tap, wherever its taps are inside the plane. For each depth slice, the output rows
/// whose vertical taps are all inside (the `H` interior) form one contiguous span, from the first
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

    /// The input offset of tap `(bd, bh, bw)` from the output element it serves (both flattened).
    @inlinable @inline(__always)
    func offset<T>(_ taps: ChannelTaps<T>, _ bd: Int, _ bh: Int, _ bw: Int) -> Int {
        (taps.d.base &+ bd) &* sliceLength &+ (taps.h.base &+ bh) &* rowLength &+ taps.w.base &+ bw
    }

    /// Whether depth slice `pd` has a span: its depth taps and some rows and columns are interior.
    @inlinable @inline(__always)
    func hasSpan<T>(_ taps: ChannelTaps<T>, _ pd: Int) -> Bool {
        taps.d.interior.contains(pd) && !taps.h.interior.isEmpty && !taps.w.interior.isEmpty
    }

    /// Calls `body(pd, start, count)` for each span, `start` being its flattened output index.
    @inlinable @inline(__always)
    func forEachSpan<T>(_ taps: ChannelTaps<T>, _ body: (Int, Int, Int) -> Void) {
        for pd in taps.d.interior where hasSpan(taps, pd) {
            let rows = taps.h.interior, columns = taps.w.interior
            let start = pd &* sliceLength &+ rows.lowerBound &* rowLength &+ columns.lowerBound
            let end = pd &* sliceLength &+ (rows.upperBound &- 1) &* rowLength &+ columns.upperBound
            body(pd, start, end &- start)
        }
    }

    /// Calls `body(pd, ph)` for every output row that no span covers.
    @inlinable @inline(__always)
    func forEachRowOutsideSpans<T>(_ taps: ChannelTaps<T>, _ body: (Int, Int) -> Void) {
        for pd in 0..<outputDepth {
            let covered = hasSpan(taps, pd) ? taps.h.interior : 0..<0
            for ph in 0..<outputHeight where !covered.contains(ph) { body(pd, ph) }
        }
    }
}

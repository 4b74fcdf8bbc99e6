/// The backward of one `(n, c)` plane, at any strides: the work the tiles, the dense planes and
/// the strided planes share. Each task takes whole planes (or a channel-last block of them), so
/// that it writes its own part of the input gradient and its own slots of the partial shift
/// gradients.
///
/// The input gradient is gathered where the planes are dense at stride 1 (``DensePlaneBackward``)
/// and otherwise scattered output row by output row (``StridedRows``); either way every element is
/// a direct sum of its contributions. The shift gradient is summed over flattened spans where the
/// planes flatten (``DensePlanes``), else output row by output row.
@usableFromInline
struct PlaneBackward<T: ShiftFloatingPoint> {
    @usableFromInline let problem: ShiftProblem
    /// The plane of the input (read only for the shift gradient), of the output gradient, and of
    /// the input gradient (written).
    @usableFromInline let input: StridedPointer<T>, gradOutput: StridedPointer<T>, gradInput: StridedPointer<T>
    /// Set when `x` and `g` flatten: the shift gradient then runs over spans.
    @usableFromInline let flat: FlatPlanes?
    /// The vector level of the spans' sums (``VectorLevel``).
    @usableFromInline let level: Int32

    @inlinable @inline(__always)
    init(problem: ShiftProblem, x: StridedPointer<T>, g: StridedPointer<T>, gx: StridedPointer<T>, flat: FlatPlanes?,
         level: Int32) {
        (self.problem, input, gradOutput, gradInput, self.flat, self.level) = (problem, x, g, gx, flat, level)
    }

    // The loops read the planes through these names.
    @inlinable var x: UnsafePointer<T> { input.reading }
    @inlinable var xs: LiftedStrides { input.strides }
    @inlinable var g: UnsafePointer<T> { gradOutput.reading }
    @inlinable var gs: LiftedStrides { gradOutput.strides }
    @inlinable var gx: UnsafeMutablePointer<T> { gradInput.base }
    @inlinable var gxs: LiftedStrides { gradInput.strides }

    /// The plane's input gradient, and its shift gradient into `partials` (as plane `(n, c)`)
    /// when given. `dense` gathers the input gradient where the planes allow it.
    @inlinable @inline(__always)
    func run(n: Int, channel c: Int, shifts: ShiftTable<T>, dense: DensePlaneBackward?,
             partials: ShiftGradientPartials<T>?) {
        run(n: n, channel: c, taps: Taps(problem, channel: c, shifts: shifts, learnsShifts: partials != nil), dense: dense,
            partials: partials)
    }

    /// Channel `c`'s taps for both gradients, worked out once for all its planes.
    @usableFromInline
    struct Taps {
        /// The taps of the forward and the input gradient.
        @usableFromInline let input: ChannelTaps<T>
        /// The cell the shift gradient differentiates (nil when it is not wanted).
        @usableFromInline let cell: ChannelTaps<T>?

        @inlinable @inline(__always)
        init(_ problem: ShiftProblem, channel c: Int, shifts: ShiftTable<T>, learnsShifts: Bool) {
            input = problem.taps(channel: c, shifts: shifts)
            cell = learnsShifts ? problem.cellTaps(channel: c, shifts: shifts) : nil
        }
    }

    /// ``run(n:channel:shifts:dense:partials:)`` with the channel's taps given; `taps.cell` is
    /// set wherever `partials` is.
    @inlinable @inline(__always)
    func run(n: Int, channel c: Int, taps channelTaps: Taps, dense: DensePlaneBackward?, partials: ShiftGradientPartials<T>?) {
        let taps = channelTaps.input
        if let dense { dense.gradInput(taps, g: g, gx: gx) }
        guard let partials, let cell = channelTaps.cell else {
            if dense == nil { gradInputByRows(taps) }
            return
        }
        let sums: (T, T, T)
        if dense != nil {
            sums = shiftGradient(cell)
        } else if cell.sameTaps(as: taps) {
            // Active shifts off the lattice read the same taps for both gradients: one pass.
            sums = bothGradients(cell)
        } else {
            gradInputByRows(taps)
            sums = shiftGradient(cell)
        }
        partials.store(sums, n: n, c: c)
    }

    /// `sum g dy/du` for the three lifted axes, negated (the shift gradient): over flattened
    /// spans where the planes flatten (``shiftGradientBySpans(_:_:)``), else row by row.
    @inlinable @inline(__always)
    func shiftGradient(_ cell: ChannelTaps<T>) -> (T, T, T) {
        var sums = ShiftGradientSums<T>()
        if let flat {
            shiftGradientBySpans(cell, flat, into: &sums)
        } else {
            forEachOutputRow { pd, ph in gradientOutputRow(cell, pd, ph, into: &sums) }
        }
        return sums.gradient
    }

    /// Calls `body(pd, ph)` for every output row.
    @inlinable @inline(__always)
    func forEachOutputRow(_ body: (Int, Int) -> Void) {
        for pd in 0..<problem.outputSize[0] {
            for ph in 0..<problem.outputSize[1] { body(pd, ph) }
        }
    }
}

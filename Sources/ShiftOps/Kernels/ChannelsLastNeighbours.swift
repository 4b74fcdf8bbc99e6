import CShiftSIMD
import CShiftTaps

/// The channels-last 2-D forward and backward computed on channels-last data, vectorised over
/// channels, where every channel's taps lie in the 3 x 3 neighbourhood of its output pixel (the
/// plan's ``CPUPlan/Path/channelsLastNeighbours``): the layers that replace a 3 x 3 depthwise
/// convolution, whose shifts lie in (-1, 1).
///
/// The forward serves active shifts at any stride on dense channels-last 2-D `Float` tensors of
/// at least eight channels, above the portable vector level, where every channel interpolates on
/// both axes (no shift is an integer) with a base `origin + floor(-shift)` of -1 or 0 on each (at
/// origin 0: every shift in (-1, 1) and not 0). One channel outside that sends the whole call to
/// the tiles. Output pixel `(r, q)`'s neighbourhood is centred on input pixel
/// `(r * strideH, q * strideW)`.
///
/// A channel that interpolates on both axes with bases -1 or 0 reads, for output pixel `(r, q)`
/// centred on input `(i, j)`, two of the rows `i - 1, i, i + 1` and two of the columns
/// `j - 1, j, j + 1`. Eight channels of
/// each of the nine neighbours are one contiguous vector load; each lane then selects the four
/// values its own taps read (a selection, never a multiplication by a zero weight, so an inf or
/// NaN a channel does not read never reaches its output) and forms
/// `(a0 x00 + b0 x01) + (a1 x10 + b1 x11)` with its own weights: the products and sums of the
/// planar kernels, so the forward's results are theirs, bit for bit. Where zero padding leaves a
/// neighbour out, the planar kernels leave its term out; here the neighbour reads a zero whose
/// sign keeps every sum as theirs (see `shift_simd.c`), so signed zeros come out the same too.
/// The neighbours of edge pixels are mapped through the padding once per row and column, the
/// same for every channel. The forward needs no scratch and no transposes: the input is read and
/// the output written once, in memory order. At stride 1 along the rows, each input column's
/// selections are made once as the column enters and serve the two outputs that read it; at
/// other strides, every output pixel maps and selects its own nine neighbours (a strided output
/// has a fraction of the input's pixels, and the tiles would transpose all of them).
///
/// The backward (`ChannelsLastNeighbours+Backward.swift`) serves the same problems at every
/// vector level, with a multiple of eight channels, stride 1 and the output grid the input's. It
/// gathers the input gradient from the mirrored neighbourhood and sums the shift gradient per
/// lane into partial sums (scratch of four values per channel and block of rows); its sums are
/// ordered differently from the planar kernels', so its results agree with theirs to rounding,
/// not bit for bit.
///
/// The wide forward (`ChannelsLastNeighbours+Wide.swift`) serves shifts in (-2, 2) the same way,
/// from the 5 x 5 neighbourhood, the 3-D forward (`ChannelsLastNeighbours+Volume.swift`) strided
/// `NDHWC` data from the 3 x 3 x 3 neighbourhood, and the sparse backward
/// (`ChannelsLastNeighbours+Sparse.swift`)
/// runs the backward's sums with the integer shift's adjoint in place of its gather. Integer
/// taps take ``ChannelsLastIntegerShift``; other channels-last problems (wider shifts, the 3-D
/// backward, the 3-D forward at stride 1 or beyond the 3 x 3 x 3 neighbourhood, strides in the
/// backward, `Double`,
/// the portable vector level for the forward, fewer than eight channels) take ``ChannelsLastTiles``, or ``ChannelsLastPixels``
/// where the tiles do not fit.
@usableFromInline
enum ChannelsLastNeighbours {
    /// Whether the forward serves: dense channels-last 2-D tensors at any stride, at least eight
    /// channels, every channel interpolating on both axes with its taps in the neighbourhood.
    /// The caller checks the element type (`Float`) and the vector level.
    @inlinable
    static func applies<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides,
                                                    shifts: ShiftTable<Weight>) -> Bool {
        // The row and column maps hold 32-bit indices, each mapped into the input (or -1).
        let fits = problem.inputSize.allSatisfy { $0 < Int(Int32.max) }
        guard problem.spatialRank == 2, problem.step[0] == 1, problem.inputSize[0] == 1, problem.outputSize[0] == 1,
              problem.channels >= 8, fits, ChannelsLastPixels.applies(problem, xs, ys) else { return false }
        for c in 0..<problem.channels {
            let taps = problem.taps(channel: c, shifts: shifts)
            guard taps.d.taps == 1, taps.d.index(0, 0) == 0, taps.h.taps == 2, taps.w.taps == 2,
                  taps.h.base == -1 || taps.h.base == 0, taps.w.base == -1 || taps.w.base == 0 else { return false }
        }
        return true
    }

    /// The per-call tables the kernels read: each output row's and column's neighbours (three, or
    /// five for the wide forward) through the padding (-1 where zero padding leaves the input),
    /// and each channel's bases (the kernels turn them into lane masks), weights and fractional
    /// parts, in `Float`.
    @usableFromInline
    struct Tables: @unchecked Sendable {
        @usableFromInline let rows, columns, rowLow, columnLow: UnsafeMutablePointer<Int32>
        @usableFromInline let a0, b0, a1, b1, fractionH, fractionW: UnsafeMutablePointer<Float>

        @inlinable
        init(rows: UnsafeMutablePointer<Int32>, columns: UnsafeMutablePointer<Int32>, rowLow: UnsafeMutablePointer<Int32>,
             columnLow: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>, channels: Int) {
            (self.rows, self.columns, self.rowLow, self.columnLow) = (rows, columns, rowLow, columnLow)
            (a0, b0, a1, b1) = (weights, weights + channels, weights + 2 &* channels, weights + 3 &* channels)
            (fractionH, fractionW) = (weights + 4 &* channels, weights + 5 &* channels)
        }
    }

    /// Runs `body` with the tables of `problem` and `shifts`, in temporary memory: `reach`
    /// neighbours on each side of every row and column (1 for the 3 x 3 kernels, 2 for the wide
    /// forward).
    @inlinable
    static func withTables<T: ShiftFloatingPoint, R>(_ problem: ShiftProblem, shifts: ShiftTable<T>, reach: Int = 1,
                                                     _ body: (Tables) -> R) -> R {
        precondition(T.self == Float.self, "the neighbourhood kernels compute in Float")
        let channels = problem.channels
        let (height, width) = (problem.inputSize[1], problem.inputSize[2])
        let (outHeight, outWidth) = (problem.outputSize[1], problem.outputSize[2])
        let code = problem.padding.tapCode, span = 2 &* reach &+ 1
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: span &* (outHeight &+ outWidth) &+ 2 &* channels) { integers in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 &* channels) { weights in
                let rows = integers.baseAddress!, columns = rows + span &* outHeight
                let rowLow = columns + span &* outWidth, columnLow = rowLow + channels
                let tables = Tables(rows: rows, columns: columns, rowLow: rowLow, columnLow: columnLow,
                                    weights: weights.baseAddress!, channels: channels)
                // Output pixel (r, q)'s neighbourhood is centred on input (r * step, q * step).
                let (stepH, stepW) = (problem.step[1], problem.step[2])
                for r in 0..<outHeight {
                    for i in 0..<span { rows[span &* r &+ i] = mapped(r &* stepH &+ i &- reach, height, code) }
                }
                for q in 0..<outWidth {
                    for j in 0..<span { columns[span &* q &+ j] = mapped(q &* stepW &+ j &- reach, width, code) }
                }
                for c in 0..<channels {
                    let taps = problem.taps(channel: c, shifts: shifts)
                    // The plans admit bases from -reach to reach - 1 only.
                    rowLow[c] = Int32(taps.h.base)
                    columnLow[c] = Int32(taps.w.base)
                    // The weights as the planar kernels form them: depth, then height, then width.
                    let top = taps.d.weight(0) * taps.h.weight(0), bottom = taps.d.weight(0) * taps.h.weight(1)
                    (tables.a0[c], tables.b0[c]) = (Float(top * taps.w.weight(0)), Float(top * taps.w.weight(1)))
                    (tables.a1[c], tables.b1[c]) = (Float(bottom * taps.w.weight(0)), Float(bottom * taps.w.weight(1)))
                    (tables.fractionH[c], tables.fractionW[c]) = (Float(taps.h.weight), Float(taps.w.weight))
                }
                return body(tables)
            }
        }
    }

    /// Index `i` of an axis of `length` through the padding: itself inside, -1 where zero padding
    /// leaves the axis.
    @inlinable @inline(__always)
    static func mapped(_ i: Int, _ length: Int, _ code: Int32) -> Int32 {
        (0..<length).contains(i) ? Int32(i) : Int32(shift_tap_map(Int64(i), Int64(length), code))
    }

    /// The forward: `output` from `input`, output rows of every image spread over threads.
    @inlinable
    static func forward<T: ShiftFloatingPoint>(_ problem: ShiftProblem, input: StridedPointer<T>, shifts: ShiftTable<T>,
                                               output: StridedPointer<T>, plan: CPUPlan) {
        let channels = problem.channels
        let width = problem.inputSize[2]
        let (outHeight, outWidth) = (problem.outputSize[1], problem.outputSize[2])
        withTables(problem, shifts: shifts) { tables in
            let (x, y, xs, ys, level) = (input.reading.float, output.base.float, input.strides, output.strides, plan.level)
            let shared = UncheckedSendable((x, y))
            parallelChunks(count: problem.batch &* outHeight, grain: plan.grain, trace: plan.trace) { range in
                let (x, y) = shared.value
                var r = range.lowerBound
                while r < range.upperBound {
                    let n = r / outHeight, first = r &- n &* outHeight
                    let count = Swift.min(outHeight &- first, range.upperBound &- r)
                    shift_simd_neighbours_f32(level, x + n &* xs.n, y + n &* ys.n, Int64(width), Int64(outWidth),
                                              Int64(problem.step[2]), Int64(channels), tables.rows, tables.columns, tables.rowLow,
                                              tables.columnLow, tables.a0, tables.b0, tables.a1, tables.b1,
                                              Int64(first), Int64(count))
                    r &+= count
                }
            }
        }
    }
}

extension UnsafePointer where Pointee: ShiftFloatingPoint {
    /// The same memory as `Float`, for the C kernels; only called where `Pointee` is `Float`.
    @inlinable var float: UnsafePointer<Float> { UnsafeRawPointer(self).assumingMemoryBound(to: Float.self) }
}

extension UnsafeMutablePointer where Pointee: ShiftFloatingPoint {
    /// The same memory as `Float`, for the C kernels; only called where `Pointee` is `Float`.
    @inlinable var float: UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Float.self) }
}

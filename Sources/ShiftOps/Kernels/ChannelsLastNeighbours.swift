import CShiftSIMD
import CShiftTaps

/// The channels-last 2-D forward computed on channels-last data, vectorised over channels, where
/// every channel's taps lie in the 3 x 3 neighbourhood of its output pixel (the plan's
/// ``CPUPlan/Path/channelsLastNeighbours``): the layers that replace a 3 x 3 depthwise
/// convolution, whose shifts lie in (-1, 1).
///
/// It serves active shifts at stride 1 on dense channels-last `Float` tensors of at least eight
/// channels, above the portable vector level, where every channel interpolates on both axes (no
/// shift is an integer) with a base `origin + floor(-shift)` of -1 or 0 on each (at origin 0:
/// every shift in (-1, 1) and not 0). One channel outside that sends the whole call to the tiles.
///
/// A channel that interpolates on both axes with bases -1 or 0 reads, for output pixel `(r, q)`,
/// two of the rows `r - 1, r, r + 1` and two of the columns `q - 1, q, q + 1`. Eight channels of
/// each of the nine neighbours are one contiguous vector load; each lane then selects the four
/// values its own taps read (a selection, never a multiplication by a zero weight, so an inf or
/// NaN a channel does not read never reaches its output) and forms
/// `(a0 x00 + b0 x01) + (a1 x10 + b1 x11)` with its own weights: the products and sums of the
/// planar kernels, so the results are theirs, bit for bit. Where zero padding leaves a neighbour
/// out, the planar kernels leave its term out; here the neighbour reads a zero whose sign keeps
/// every sum as theirs (see `shift_simd.c`), so signed zeros come out the same too. The
/// neighbours of edge pixels are mapped through the padding once per
/// row and column, the same for every channel. No scratch, no transposes: the input is read and
/// the output written once, in memory order.
///
/// Other channels-last problems (wider shifts, integer taps, 3-D, strides, `Double`, the portable
/// vector level, fewer than eight channels) take ``ChannelsLastTiles``, or ``ChannelsLastPixels``
/// where the tiles do not fit.
@usableFromInline
enum ChannelsLastNeighbours {
    /// Whether the path serves: dense channels-last 2-D tensors at stride 1, at least eight
    /// channels, every channel interpolating on both axes with its taps in the neighbourhood.
    /// The caller checks the element type (`Float`) and the vector level.
    @inlinable
    static func applies<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides,
                                                    shifts: ShiftTable<Weight>) -> Bool {
        // The row and column maps hold 32-bit indices.
        let fits = (problem.inputSize + problem.outputSize).allSatisfy { $0 < Int(Int32.max) }
        guard problem.step == [1, 1, 1], problem.inputSize[0] == 1, problem.outputSize[0] == 1, problem.channels >= 8,
              fits, ChannelsLastPixels.applies(problem, xs, ys) else { return false }
        for c in 0..<problem.channels {
            let taps = problem.taps(channel: c, shifts: shifts)
            guard taps.d.taps == 1, taps.d.index(0, 0) == 0, taps.h.taps == 2, taps.w.taps == 2,
                  taps.h.base == -1 || taps.h.base == 0, taps.w.base == -1 || taps.w.base == 0 else { return false }
        }
        return true
    }

    /// The forward: `output` from `input`, output rows of every image spread over threads.
    @inlinable
    static func forward<T: ShiftFloatingPoint>(_ problem: ShiftProblem, input: StridedPointer<T>, shifts: ShiftTable<T>,
                                               output: StridedPointer<T>, plan: CPUPlan) {
        precondition(T.self == Float.self, "the neighbourhood kernel computes in Float")
        let channels = problem.channels
        let (height, width) = (problem.inputSize[1], problem.inputSize[2])
        let (outHeight, outWidth) = (problem.outputSize[1], problem.outputSize[2])
        let code = problem.padding.tapCode
        // Per call: each output row's and column's three neighbours through the padding, and
        // each channel's bases (as lane masks) and weights.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 &* (outHeight &+ outWidth) &+ 2 &* channels) { integers in
            withUnsafeTemporaryAllocation(of: T.self, capacity: 4 &* channels) { weights in
                let rows = integers.baseAddress!, columns = rows + 3 &* outHeight
                let rowLow = columns + 3 &* outWidth, columnLow = rowLow + channels
                let a0 = weights.baseAddress!, b0 = a0 + channels, a1 = b0 + channels, b1 = a1 + channels
                @inline(__always) func mapped(_ i: Int, _ length: Int) -> Int32 {
                    (0..<length).contains(i) ? Int32(i) : Int32(shift_tap_map(Int64(i), Int64(length), code))
                }
                for r in 0..<outHeight {
                    for i in 0..<3 { rows[3 &* r &+ i] = mapped(r &+ i &- 1, height) }
                }
                for q in 0..<outWidth {
                    for j in 0..<3 { columns[3 &* q &+ j] = mapped(q &+ j &- 1, width) }
                }
                for c in 0..<channels {
                    let taps = problem.taps(channel: c, shifts: shifts)
                    rowLow[c] = taps.h.base == -1 ? -1 : 0
                    columnLow[c] = taps.w.base == -1 ? -1 : 0
                    // The weights as the planar kernels form them: depth, then height, then width.
                    let top = taps.d.weight(0) * taps.h.weight(0), bottom = taps.d.weight(0) * taps.h.weight(1)
                    (a0[c], b0[c]) = (top * taps.w.weight(0), top * taps.w.weight(1))
                    (a1[c], b1[c]) = (bottom * taps.w.weight(0), bottom * taps.w.weight(1))
                }
                let (x, y, xs, ys, level) = (input.reading, output.base, input.strides, output.strides, plan.level)
                @inline(__always) func float(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
                    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
                }
                let shared = UncheckedSendable((rows, columns, rowLow, columnLow, a0, b0, a1, b1))
                parallelChunks(count: problem.batch &* outHeight, grain: plan.grain, trace: plan.trace) { range in
                    let (rows, columns, rowLow, columnLow, a0, b0, a1, b1) = shared.value
                    var r = range.lowerBound
                    while r < range.upperBound {
                        let n = r / outHeight, first = r &- n &* outHeight
                        let count = Swift.min(outHeight &- first, range.upperBound &- r)
                        shift_simd_neighbours_f32(level, UnsafeRawPointer(x + n &* xs.n).assumingMemoryBound(to: Float.self),
                                                  float(y + n &* ys.n), Int64(width), Int64(outWidth), Int64(channels),
                                                  rows, columns, rowLow, columnLow, float(a0), float(b0), float(a1), float(b1),
                                                  Int64(first), Int64(count))
                        r &+= count
                    }
                }
            }
        }
    }
}

import CShiftSIMD

/// The channels-last forward where every channel's taps lie in the 5 x 5 neighbourhood of its
/// output pixel (the plan's ``CPUPlan/Path/channelsLastWideNeighbours``): bases -2 to 1 on both
/// axes, at origin 0 shifts in (-2, 2), such as the benchmark's U(-1.5, 1.5).
///
/// It serves what the 3 x 3 kernel serves, at wider shifts, where the channel count is a
/// multiple of eight: any stride and output grid. At stride 1 down the image one pass along a row
/// finishes one output row and starts the next; at stride 1 along rows of the input's length the
/// columns roll, and at stride 2 they roll two at a time. Elsewhere each output row takes two
/// passes and each pixel maps its own five columns. Each lane picks the rows and columns of its four values from the five candidates of
/// each axis with selections, never a multiplication by a zero weight, and forms the planar
/// kernels' sum with its own weights: the results are theirs, bit for bit, signed zeros included
/// (`shift_simd_wide_neighbours_f32`). No scratch beyond one pixel of `-0` that zero padding's
/// missing rows read, no transposes: the input is read and the output written once, in memory
/// order.
extension ChannelsLastNeighbours {
    /// Whether the wide forward serves: the 3 x 3 kernel's conditions with bases -2 to 1 and a
    /// multiple of eight channels. The caller checks the element type (`Float`) and the vector
    /// level.
    @inlinable
    static func appliesWide<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides,
                                                        shifts: ShiftTable<Weight>) -> Bool {
        // The row and column maps hold 32-bit indices, each mapped into the input (or -1).
        let fits = problem.inputSize.allSatisfy { $0 < Int(Int32.max) }
        guard problem.spatialRank == 2, problem.step[0] == 1, problem.inputSize[0] == 1, problem.outputSize[0] == 1,
              problem.channels % 8 == 0, problem.channels > 0, fits, ChannelsLastPixels.applies(problem, xs, ys) else { return false }
        for c in 0..<problem.channels {
            let taps = problem.taps(channel: c, shifts: shifts)
            guard taps.d.taps == 1, taps.d.index(0, 0) == 0, taps.h.taps == 2, taps.w.taps == 2,
                  (-2...1).contains(taps.h.base), (-2...1).contains(taps.w.base) else { return false }
        }
        return true
    }

    /// The wide forward: `output` from `input`, output rows of every image spread over threads.
    @inlinable
    static func forwardWide<T: ShiftFloatingPoint>(_ problem: ShiftProblem, input: StridedPointer<T>, shifts: ShiftTable<T>,
                                                   output: StridedPointer<T>, plan: CPUPlan) {
        let channels = problem.channels
        let width = problem.inputSize[2]
        let (outHeight, outWidth) = (problem.outputSize[1], problem.outputSize[2])
        withTables(problem, shifts: shifts, reach: 2) { tables in
            // A row zero padding leaves out reads one pixel of -0 at every column.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: channels) { minusPixel in
                minusPixel.initialize(repeating: -0.0)
                let (x, y, xs, ys, level) = (input.reading.float, output.base.float, input.strides, output.strides, plan.level)
                let shared = UncheckedSendable((x, y, UnsafePointer(minusPixel.baseAddress!)))
                parallelChunks(count: problem.batch &* outHeight, grain: plan.grain, trace: plan.trace) { range in
                    let (x, y, minus) = shared.value
                    var r = range.lowerBound
                    while r < range.upperBound {
                        let n = r / outHeight, first = r &- n &* outHeight
                        let count = Swift.min(outHeight &- first, range.upperBound &- r)
                        shift_simd_wide_neighbours_f32(level, x + n &* xs.n, y + n &* ys.n, minus, Int64(width),
                                                       Int64(outWidth), Int64(problem.step[2]), Int64(problem.step[1]),
                                                       Int64(channels), tables.rows, tables.columns, tables.rowLow,
                                                       tables.columnLow, tables.a0, tables.b0, tables.a1, tables.b1,
                                                       Int64(first), Int64(count))
                        r &+= count
                    }
                }
            }
        }
    }
}

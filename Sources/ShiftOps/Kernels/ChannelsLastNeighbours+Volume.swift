import CShiftSIMD

/// The channels-last 3-D forward where every channel's taps lie in the 3 x 3 x 3 neighbourhood of
/// its output pixel (the plan's ``CPUPlan/Path/channelsLastVolumeNeighbours``): the 2-D kernel's
/// scheme with depth as a third axis, for the 3-D layers that replace a 3 x 3 x 3 depthwise
/// convolution, whose shifts lie in (-1, 1).
///
/// It serves active shifts at a stride other than 1 on some axis (a downsampling layer) on dense
/// channels-last 3-D `Float` tensors (`NDHWC`) of at least eight channels, above the portable
/// vector level, where every channel interpolates on all three axes with a base
/// `origin + floor(-shift)` of -1 or 0 on each. There the tiles would transpose every input pixel
/// for a fraction of them in the output. At stride 1 on every axis the tiles serve: measured with
/// AVX2, whose sixteen vector registers do not hold this kernel's masks, weights and rolling
/// state (it spends about 60 instructions on eight outputs, half of them moving values to and
/// from the stack), they are faster there; AVX-512's thirty-two registers were not measured.
///
/// Eight channels of each of the 27 neighbours are one vector load; each lane selects the eight
/// values its taps read (slices, then rows, then columns: selections, never a multiplication by a
/// zero weight) and forms the planar kernels' sum, `(((T00 + T01) + T10) + T11)` over its four
/// row terms `a x0 + b x1`, so the results are theirs, bit for bit, signed zeros included. Along
/// rows at stride 1 or 2, each input column's slice and row selections are made once, as the
/// column enters (at stride 2 two columns enter per output): in rows whose centre slice and row
/// lie inside, the rows that zero padding cuts reading -0, and where the output is as wide as the
/// input, the edge columns through the padding too. Elsewhere (other strides along the rows,
/// the edge columns of other grids, rows whose centre lies outside) each pixel maps and selects
/// its own neighbours. No scratch and no transposes: the input is read and the output written
/// once, in memory order.
extension ChannelsLastNeighbours {
    /// Whether the 3-D forward serves: dense channels-last 3-D tensors at a stride other than 1
    /// on some axis, at least eight channels, every channel interpolating on all three axes with
    /// its taps in the neighbourhood. The caller checks the element type (`Float`) and the vector
    /// level.
    @inlinable
    static func appliesVolume<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides,
                                                          _ ys: LiftedStrides, shifts: ShiftTable<Weight>) -> Bool {
        // The maps hold 32-bit indices, each mapped into the input (or -1).
        let fits = problem.inputSize.allSatisfy { $0 < Int(Int32.max) }
        // At stride 1 on every axis the tiles are faster (see the type's comment).
        guard problem.spatialRank == 3, problem.step.contains(where: { $0 != 1 }), problem.channels >= 8, fits,
              ChannelsLastPixels.applies(problem, xs, ys) else {
            return false
        }
        for c in 0..<problem.channels {
            let taps = problem.taps(channel: c, shifts: shifts)
            guard taps.d.taps == 2, taps.h.taps == 2, taps.w.taps == 2, taps.d.base == -1 || taps.d.base == 0,
                  taps.h.base == -1 || taps.h.base == 0, taps.w.base == -1 || taps.w.base == 0 else { return false }
        }
        return true
    }

    /// The 3-D forward: `output` from `input`, output rows of every image spread over threads.
    @inlinable
    static func forwardVolume<T: ShiftFloatingPoint>(_ problem: ShiftProblem, input: StridedPointer<T>,
                                                     shifts: ShiftTable<T>, output: StridedPointer<T>, plan: CPUPlan) {
        precondition(T.self == Float.self, "the neighbourhood kernels compute in Float")
        let channels = problem.channels
        let (inSize, outSize, step, code) = (problem.inputSize, problem.outputSize, problem.step, problem.padding.tapCode)
        let maps = 3 &* (outSize[0] &+ outSize[1] &+ outSize[2])
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: maps &+ 3 &* channels) { integers in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 &* channels) { weights in
                let slices = integers.baseAddress!, rows = slices + 3 &* outSize[0], columns = rows + 3 &* outSize[1]
                let lows = columns + 3 &* outSize[2], w = weights.baseAddress!
                // Output (s, r, q)'s neighbourhood is centred on input (s, r, q) times the stride.
                for (axis, map) in [slices, rows, columns].enumerated() {
                    for p in 0..<outSize[axis] {
                        for k in 0..<3 { map[3 &* p &+ k] = mapped(p &* step[axis] &+ k &- 1, inSize[axis], code) }
                    }
                }
                for c in 0..<channels {
                    let taps = problem.taps(channel: c, shifts: shifts)
                    // The plan admits bases -1 and 0 only.
                    lows[c] = Int32(taps.d.base)
                    lows[channels &+ c] = Int32(taps.h.base)
                    lows[2 &* channels &+ c] = Int32(taps.w.base)
                    // The weights as the planar kernels form them: depth times height, then width.
                    for k in 0..<2 {
                        for i in 0..<2 {
                            let row = taps.d.weight(k) * taps.h.weight(i)
                            for j in 0..<2 { w[(4 &* k &+ 2 &* i &+ j) &* channels &+ c] = Float(row * taps.w.weight(j)) }
                        }
                    }
                }
                let (x, y, xs, ys, level) = (input.reading.float, output.base.float, input.strides, output.strides, plan.level)
                let shared = UncheckedSendable((x, y, UnsafePointer(slices), UnsafePointer(w)))
                let rowsPerImage = outSize[0] &* outSize[1]
                parallelChunks(count: problem.batch &* rowsPerImage, grain: plan.grain, trace: plan.trace) { range in
                    let (x, y, slices, w) = shared.value
                    let (rows, columns, lows) = (slices + 3 &* outSize[0], slices + 3 &* (outSize[0] &+ outSize[1]),
                                                 slices + maps)
                    var r = range.lowerBound
                    while r < range.upperBound {
                        let n = r / rowsPerImage, first = r &- n &* rowsPerImage
                        let count = Swift.min(rowsPerImage &- first, range.upperBound &- r)
                        shift_simd_volume_neighbours_f32(level, x + n &* xs.n, y + n &* ys.n, Int64(inSize[1]),
                                                         Int64(inSize[2]), Int64(outSize[1]), Int64(outSize[2]),
                                                         Int64(step[2]), Int64(channels), slices, rows, columns, lows,
                                                         lows + channels, lows + 2 &* channels, w, Int64(first),
                                                         Int64(count))
                        r &+= count
                    }
                }
            }
        }
    }
}

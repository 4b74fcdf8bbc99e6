import CShiftSIMD

/// The integer-shift forward (grouped and sparse shifts, or any call whose every channel reads
/// one tap) computed on channels-last data: the plan's ``CPUPlan/Path/channelsLastIntegerShift``.
///
/// Every channel of an output pixel is a copy of the same channel of one input pixel, or the
/// fill. Channels that share their taps on every axis (the same integer shift) read the same
/// input pixel, so the call first groups the channels into *sources*, one per distinct set of
/// taps: a grouped shift has a handful (nine for the 3 x 3 pattern), a sparse shift about as
/// many. Each output pixel is then written 32 bytes at a time: each 32-byte chunk of the pixel's
/// channels is loaded from the source of its first channels and the bytes of the chunk's other
/// sources are selected into it by constant masks, never computed with, so any element type's
/// bits move unchanged (`shift_simd_select_pixels`). Input and output are read and written once,
/// in memory order, with no scratch beyond a row of the fill.
///
/// The output columns where every source's column lies inside the input run as one call per
/// row; the few edge columns each map their sources through the padding. Rows and columns that
/// zero padding leaves out read a row of the fill.
///
/// The results are the NCHW copy kernels' bit for bit (`LayoutTests` and
/// `ChannelsLastIntegerShiftTests` assert it). The path serves dense channels-last tensors of any
/// rank, stride and padding whose pixels hold at least 32 bytes (8 `Float` channels, 32 `Int8`
/// ones) of bitwise-copyable elements; others take ``ChannelsLastTiles``.
@usableFromInline
enum ChannelsLastIntegerShift {
    /// The bytes of a chunk: the width of the selections.
    @usableFromInline static let chunkBytes = 32

    /// The most bytes of fill rows a call keeps: rows longer than this run in pieces.
    @usableFromInline static let fillBytes = 1 << 16

    /// Whether the path may serve at all: tests turn it off to reach the tiles' copies. Only
    /// ``CPUPlan`` reads it, once per call.
    @TaskLocal @usableFromInline package static var isEnabled = true

    /// Whether the path serves: dense channels-last input and output, at least ``chunkBytes``
    /// bytes per pixel of elements moved as bytes, and every channel reading one tap per axis.
    @inlinable
    static func applies<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides,
                                                    elementSize: Int, bitwiseCopyable: Bool,
                                                    shifts: ShiftTable<Weight>) -> Bool {
        guard isEnabled, bitwiseCopyable, problem.channels &* elementSize >= chunkBytes, ChannelsLastPixels.applies(problem, xs, ys)
        else { return false }
        return (0..<problem.channels).allSatisfy { problem.taps(channel: $0, shifts: shifts).isCopy }
    }

    /// The sources of a call and the chunks' selections, built once per call.
    @usableFromInline
    struct Selections<Weight: ShiftFloatingPoint> {
        /// The taps of each source.
        @usableFromInline var sources: [ChannelTaps<Weight>] = []
        /// Chunk `j`'s entries are `first[j] ..< first[j + 1]`.
        @usableFromInline var first: [Int32] = [0]
        /// Each entry's source.
        @usableFromInline var entrySource: [Int32] = []
        /// Each entry's 32 bytes: 0xFF where the chunk's byte comes from the entry's source.
        @usableFromInline var entryMask: [UInt8] = []

        /// Groups `problem`'s channels by their taps and lays the chunks of a pixel of
        /// `elementSize`-byte channels over them.
        @inlinable
        init(_ problem: ShiftProblem, shifts: ShiftTable<Weight>, elementSize: Int) {
            var sourceOf = [Int32](repeating: 0, count: problem.channels)
            var known: [SIMD3<Int>: Int32] = [:]
            for c in 0..<problem.channels {
                let taps = problem.taps(channel: c, shifts: shifts)
                let key = SIMD3(taps.d.base, taps.h.base, taps.w.base)
                if let k = known[key] {
                    sourceOf[c] = k
                } else {
                    let k = Int32(sources.count)
                    known[key] = k
                    sourceOf[c] = k
                    sources.append(taps)
                }
            }
            let chunk = ChannelsLastIntegerShift.chunkBytes
            let pixelBytes = problem.channels &* elementSize
            for j in 0..<(pixelBytes &+ chunk &- 1) / chunk {
                let offset = Swift.min(j &* chunk, pixelBytes &- chunk)
                var order: [Int32] = []
                for byte in 0..<chunk {
                    let k = sourceOf[(offset &+ byte) / elementSize]
                    if let e = order.firstIndex(of: k) {
                        entryMask[entryMask.count &- (order.count &- e) &* chunk &+ byte] = 0xFF
                    } else {
                        order.append(k)
                        entrySource.append(k)
                        var mask = [UInt8](repeating: 0, count: chunk)
                        mask[byte] = 0xFF
                        entryMask += mask
                    }
                }
                first.append(Int32(entrySource.count))
            }
        }
    }

    /// The forward: `output` from `input`, output rows spread over threads; channels that zero
    /// padding leaves out read `fill`.
    @inlinable
    static func forward<Element, Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<Element>, shifts: ShiftTable<Weight>,
        output: StridedPointer<Element>, fill: Element, plan: CPUPlan
    ) {
        let size = MemoryLayout<Element>.stride
        let selections = Selections(problem, shifts: shifts, elementSize: size)
        let sources = selections.sources, count = sources.count
        let (xs, ys) = (input.strides, output.strides)
        let (outDepth, outHeight, outWidth) = (problem.outputSize[0], problem.outputSize[1], problem.outputSize[2])
        let pixelBytes = problem.channels &* size
        let inStep = problem.step[2] &* xs.w &* size, outStep = ys.w &* size
        // Each source's depth and height index for every output slice and row, its column index
        // for every edge column (-1: the fill), and the columns every source reads inside.
        var interior = 0..<outWidth
        for s in sources { interior = interior.clamped(to: s.w.interior) }
        let edges = Array(0..<interior.lowerBound) + Array(interior.upperBound..<outWidth)
        var depthIndex = [Int](repeating: 0, count: count &* outDepth)
        var rowIndex = [Int](repeating: 0, count: count &* outHeight)
        var columnIndex = [Int](repeating: 0, count: count &* edges.count)
        for (k, s) in sources.enumerated() {
            for p in 0..<outDepth { depthIndex[k &* outDepth &+ p] = s.d.index(p, 0) }
            for p in 0..<outHeight { rowIndex[k &* outHeight &+ p] = s.h.index(p, 0) }
            for (e, q) in edges.enumerated() { columnIndex[k &* edges.count &+ e] = s.w.index(q, 0) }
        }
        // The fill, as a row of input pixels at the sources' column step: long enough for
        // `piece` output pixels, the longest stretch one kernel call takes.
        let piece = Swift.max(1, fillBytes / Swift.max(inStep, 1))
        let fillCount = problem.padding == .zeros ? (piece &- 1) &* (inStep / size) &+ problem.channels : 0
        let fillRow = UnsafeMutablePointer<Element>.allocate(capacity: fillCount)
        fillRow.initialize(repeating: fill, count: fillCount)
        defer { fillRow.deinitialize(count: fillCount).deallocate() }

        let shared = UncheckedSendable((input.reading, output.base, fillRow))
        let level = plan.level
        selections.first.withUnsafeBufferPointer { first in
            selections.entrySource.withUnsafeBufferPointer { entrySource in
                selections.entryMask.withUnsafeBufferPointer { entryMask in
                    let tables = UncheckedSendable((first.baseAddress!, entrySource.baseAddress!, entryMask.baseAddress!))
                    parallelChunks(count: problem.batch &* outDepth &* outHeight, grain: plan.grain, trace: plan.trace) { rows in
                        let (x, y, fillRow) = shared.value
                        let (first, entrySource, entryMask) = tables.value
                        let fillBase = UnsafeRawPointer(fillRow)
                        withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: count) { rowStart in
                            withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: count) { pointers in
                                    @inline(__always) func run(_ out: UnsafeMutableRawPointer, _ pixels: Int) {
                                        shift_simd_select_pixels(level, out, Int64(outStep), pointers.baseAddress!, Int64(inStep),
                                                                 Int64(pixelBytes), Int64(pixels), first, entrySource, entryMask)
                                    }
                                    for r in rows {
                                        let ph = r % outHeight, rest = r / outHeight
                                        let pd = rest % outDepth, n = rest / outDepth
                                        // Each source's input row, nil where zero padding leaves it.
                                        for k in 0..<count {
                                            let id = depthIndex[k &* outDepth &+ pd], ih = rowIndex[k &* outHeight &+ ph]
                                            rowStart[k] = id < 0 || ih < 0 ? nil
                                                : UnsafeRawPointer(x + (n &* xs.n &+ id &* xs.d &+ ih &* xs.h))
                                        }
                                        let outRow = UnsafeMutableRawPointer(y + (n &* ys.n &+ pd &* ys.d &+ ph &* ys.h))
                                        var q = interior.lowerBound
                                        while q < interior.upperBound {
                                            let pixels = Swift.min(piece, interior.upperBound &- q)
                                            for k in 0..<count {
                                                pointers[k] = rowStart[k].map { $0 + (q &* problem.step[2] &+ sources[k].w.base) &* xs.w &* size }
                                                    ?? fillBase
                                            }
                                            run(outRow + q &* outStep, pixels)
                                            q &+= pixels
                                        }
                                        for (e, q) in edges.enumerated() {
                                            for k in 0..<count {
                                                let iw = columnIndex[k &* edges.count &+ e]
                                                pointers[k] = iw < 0 ? fillBase : rowStart[k].map { $0 + iw &* xs.w &* size } ?? fillBase
                                            }
                                            run(outRow + q &* outStep, 1)
                                        }
                                    }
                            }
                        }
                    }
                }
            }
        }
    }
}

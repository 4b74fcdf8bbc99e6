import CShiftSIMD

/// The integer-shift forward (grouped and sparse shifts, or any call whose every channel reads
/// one tap) and the grouped input gradient, computed on channels-last data: the plan's
/// ``CPUPlan/Path/channelsLastIntegerShift``.
///
/// Every channel of an output pixel is a copy of the same channel of one input pixel, or the
/// fill. Channels that share their taps on every axis (the same integer shift) read the same
/// input pixel, so the call first groups the channels into *sources*, one per distinct set of
/// taps: a grouped shift has a handful (nine for the 3 x 3 pattern), a sparse shift about as
/// many. Each output pixel is then written 32 bytes at a time: each 32-byte chunk of the pixel's
/// channels is loaded from the source of its first channels and the bytes of the chunk's other
/// sources are selected into it by constant masks, never computed with, so any element type's
/// bits move unchanged (`shift_simd_select_pixels`). No transposes and no scratch beyond a row of
/// the fill: the input is read and the output written a chunk at a time along each row, each row
/// asked for ahead of its first use.
///
/// The output columns where every source's column lies inside the input run as one call per
/// row; the few edge columns each map their sources through the padding. Rows and columns that
/// zero padding leaves out read a row of the fill.
///
/// Where every source lies in one 3 x 3 neighbourhood and a chunk holds more than three sources
/// on average (the classic grouped pattern, channel `c` at offset `c mod 9`, has eight to a
/// `Float` chunk and nine to an `Int8` one), a second
/// kernel serves instead (``Rolling``, `shift_simd_select_neighbours`): each lane's row is selected
/// once per input column as the column enters, and each output selects among three such columns,
/// so a chunk costs 3 loads and 4 selections per pixel however many sources it holds. It takes
/// every column whose middle input column lies inside, the ends of each call mapped through the
/// padding, so that a centred pattern leaves no edge columns.
///
/// The input gradient (``backward(_:gradOutput:shifts:gradInput:plan:)``) is the same gather with
/// the taps mirrored, plus the taps that padding other than zeros folds back.
///
/// The results are the NCHW kernels' bit for bit (`ChannelsLastIntegerShiftTests` asserts it),
/// with one exception: the NCHW input gradient multiplies each `g` by a weight of 1, which quiets
/// a signalling NaN, where the gather moves its bits unchanged. The path serves dense
/// channels-last tensors of at least two channels, any rank, stride and padding (the backward at
/// stride 1), whose pixels hold at least 32 bytes (8 `Float` channels, 32 `Int8` ones) of
/// bitwise-copyable elements; other calls take the plan's next path (``ChannelsLastTiles`` where
/// its blocks fit).
@usableFromInline
enum ChannelsLastIntegerShift {
    /// The bytes of a chunk: the width of the selections.
    @usableFromInline static let chunkBytes = 32

    /// About the most bytes of fill a call keeps, under zero padding: rows longer than that run in
    /// pieces that each read at most this much of it (plus one pixel).
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
        // The chunk tables hold 32-bit entry indices, at most one per byte of a pixel.
        let pixelBytes = problem.channels &* elementSize
        guard isEnabled, bitwiseCopyable, pixelBytes >= chunkBytes, pixelBytes <= Int(Int32.max),
              ChannelsLastPixels.applies(problem, xs, ys) else { return false }
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
        /// Each channel's source.
        @usableFromInline var sourceOf: [Int32] = []

        /// Groups `channels` channels by their taps (`taps(c)`, one tap per axis) and lays the
        /// chunks of a pixel of `elementSize`-byte channels over them.
        @inlinable
        init(channels: Int, elementSize: Int, taps channelTaps: (Int) -> ChannelTaps<Weight>) {
            sourceOf = [Int32](repeating: 0, count: channels)
            var known: [SIMD3<Int>: Int32] = [:]
            for c in 0..<channels {
                let taps = channelTaps(c)
                // The key names the taps only where each axis reads one tap (so weight 0) and
                // every source shares the axes' lengths, steps and padding.
                assert(taps.isCopy, "a channel that interpolates in the integer-shift kernel")
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
            let pixelBytes = channels &* elementSize
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

    /// The 3 x 3 kernel's tables (`shift_simd_select_neighbours`), where it serves: unit steps,
    /// one depth tap for all, every source's row and column within two of the least, and more
    /// than three sources per chunk on average (its 3 loads and 4 selections per pixel and chunk
    /// against about one load and one selection per source).
    @usableFromInline
    struct Rolling {
        /// The least row and column base: the three rows and columns read are these and the two after.
        @usableFromInline let rowBase: Int, columnBase: Int
        /// Per chunk, 128 bytes: the upper-row, lower-row, left-column and right-column masks.
        @usableFromInline let masks: [UInt8]

        @inlinable
        init?<Weight>(_ selections: Selections<Weight>, channels: Int, elementSize: Int) {
            let sources = selections.sources, first = sources[0]
            let chunkBytes = ChannelsLastIntegerShift.chunkBytes
            let pixelBytes = channels &* elementSize
            let chunks = (pixelBytes &+ chunkBytes &- 1) / chunkBytes
            // The rows and columns are mapped to 32-bit indices.
            guard first.h.step == 1, first.w.step == 1, selections.entrySource.count > 3 &* chunks,
                  first.h.length < Int(Int32.max), first.w.length < Int(Int32.max),
                  sources.allSatisfy({ $0.d.base == first.d.base }) else { return nil }
            let rows = sources.map(\.h.base), columns = sources.map(\.w.base)
            (rowBase, columnBase) = (rows.min()!, columns.min()!)
            guard rows.max()! &- rowBase <= 2, columns.max()! &- columnBase <= 2 else { return nil }
            var masks = [UInt8](repeating: 0, count: 128 &* chunks)
            for j in 0..<chunks {
                let offset = Swift.min(j &* chunkBytes, pixelBytes &- chunkBytes)
                for byte in 0..<chunkBytes {
                    let k = Int(selections.sourceOf[(offset &+ byte) / elementSize])
                    let (row, column) = (rows[k] &- rowBase, columns[k] &- columnBase)
                    let at = 128 &* j &+ byte
                    if row == 0 { masks[at] = 0xFF }
                    if row == 2 { masks[at &+ 32] = 0xFF }
                    if column == 0 { masks[at &+ 64] = 0xFF }
                    if column == 2 { masks[at &+ 96] = 0xFF }
                }
            }
            self.masks = masks
        }
    }

    /// The forward: `output` from `input`, output rows spread over threads; channels that zero
    /// padding leaves out read `fill`.
    @inlinable
    static func forward<Element, Weight: ShiftFloatingPoint>(
        _ problem: ShiftProblem, input: StridedPointer<Element>, shifts: ShiftTable<Weight>,
        output: StridedPointer<Element>, fill: Element, plan: CPUPlan
    ) {
        let selections = Selections(channels: problem.channels, elementSize: MemoryLayout<Element>.stride) { c in
            problem.taps(channel: c, shifts: shifts)
        }
        gather(selections, batch: problem.batch, channels: problem.channels, from: input, into: output, fill: fill, plan: plan)
    }

    /// Whether the input gradient of a grouped shift serves (the shift gradient not wanted): `g`
    /// and `gx` dense channels-last at stride 1, with the forward's conditions otherwise.
    @inlinable
    static func appliesBackward<Weight: ShiftFloatingPoint>(_ problem: ShiftProblem, _ gs: LiftedStrides, _ gxs: LiftedStrides,
                                                            elementSize: Int, shifts: ShiftTable<Weight>) -> Bool {
        problem.step == [1, 1, 1] && applies(problem, gxs, gs, elementSize: elementSize, bitwiseCopyable: true, shifts: shifts)
    }

    /// The input gradient of integer taps at stride 1: output `p` reads input `p + base` on each
    /// axis, so input `i` gets `g[i - base]` where that output exists and 0 where none reads it,
    /// a gather of `g` with the mirrored taps (``AxisTaps/adjointGather``) and zeros for fill;
    /// padding other than zeros then adds the taps it folds back onto the edge pixels
    /// (``ChannelTaps/foldPaddedTaps(g:_:into:_:)``), per plane in the planar kernels' order, so
    /// that the results are theirs bit for bit.
    @inlinable
    static func backward<T: ShiftFloatingPoint>(_ problem: ShiftProblem, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
                                                gradInput: StridedPointer<T>, plan: CPUPlan) {
        let selections = Selections(channels: problem.channels, elementSize: MemoryLayout<T>.stride) { c in
            let taps = problem.taps(channel: c, shifts: shifts)
            return ChannelTaps(d: taps.d.adjointGather, h: taps.h.adjointGather, w: taps.w.adjointGather)
        }
        gather(selections, batch: problem.batch, channels: problem.channels, from: gradOutput, into: gradInput, fill: 0, plan: plan)
        foldPadding(problem, gradOutput: gradOutput, shifts: shifts, gradInput: gradInput, plan: plan)
    }

    /// Adds onto `gradInput`, the integer shift's adjoint under zero padding, what padding other
    /// than zeros folds back onto its edge pixels, plane by plane in the planar kernels' order.
    @inlinable
    static func foldPadding<T: ShiftFloatingPoint>(_ problem: ShiftProblem, gradOutput: StridedPointer<T>, shifts: ShiftTable<T>,
                                                   gradInput: StridedPointer<T>, plan: CPUPlan) {
        guard problem.padding != .zeros else { return }
        let (g, gs, gx, gxs) = (gradOutput.reading, gradOutput.strides, gradInput.base, gradInput.strides)
        let shared = UncheckedSendable((g, gx))
        let channels = problem.channels
        parallelChunks(count: problem.batch &* channels, grain: plan.grain, trace: plan.trace) { planes in
            let (g, gx) = shared.value
            for plane in planes {
                let (n, c) = plane.quotientAndRemainder(dividingBy: channels)
                problem.taps(channel: c, shifts: shifts).foldPaddedTaps(g: g + (n &* gs.n &+ c &* gs.c), gs,
                                                                        into: gx + (n &* gxs.n &+ c &* gxs.c), gxs)
            }
        }
    }

    /// Each pixel of `output` from `input` as `selections` say, output rows spread over threads;
    /// taps that zero padding leaves out read `fill`. The sources' taps give the output grid.
    @inlinable
    static func gather<Element, Weight: ShiftFloatingPoint>(
        _ selections: Selections<Weight>, batch: Int, channels: Int, from input: StridedPointer<Element>,
        into output: StridedPointer<Element>, fill: Element, plan: CPUPlan
    ) {
        let size = MemoryLayout<Element>.stride
        let sources = selections.sources, count = sources.count
        let (xs, ys) = (input.strides, output.strides)
        let axes = sources[0]
        let (outDepth, outHeight, outWidth) = (axes.d.count, axes.h.count, axes.w.count)
        let columnStep = axes.w.step
        let pixelBytes = channels &* size
        // Along an axis of one pixel the stride is anything (even negative) and no call moves
        // along it: at most one column reads inside, and edge columns take one pixel per call.
        let inStep = axes.w.length > 1 ? columnStep &* xs.w &* size : 0
        let outStep = outWidth > 1 ? ys.w &* size : 0
        // What a row spans, for asking for it ahead (rows of several pixels are dense).
        let inRowBytes = axes.w.length > 1 ? axes.w.length &* xs.w &* size : pixelBytes
        let outRowBytes = outWidth > 1 ? outWidth &* ys.w &* size : pixelBytes
        // Each source's depth and height index for every output slice and row, its column index
        // for every edge column (-1: the fill), and the columns every source reads inside.
        var interior = 0..<outWidth
        for s in sources { interior = interior.clamped(to: s.w.interior) }
        // Where the 3 x 3 kernel serves, it takes the columns whose middle input column lies
        // inside (their outer ones mapped through the padding at the ends of each call).
        let rolling = Rolling(selections, channels: channels, elementSize: size)
        if let rolling {
            interior = (0..<outWidth).clamped(to: Swift.max(0, -rolling.columnBase &- 1)..<Swift.max(0, axes.w.length &- rolling.columnBase &- 1))
        }
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
        // `piece` output pixels, the longest stretch one kernel call takes (the whole interior
        // where nothing reads the fill, or where it is short).
        let readsFill = axes.w.paddingCode == ShiftPadding.zeros.tapCode
        let piece = readsFill ? Swift.max(1, Swift.min(fillBytes / Swift.max(inStep, 1), interior.count))
            : Swift.max(1, interior.count)
        // (The 3 x 3 kernel's outer columns read the fill row's first pixel: it needs no more.)
        let fillCount = readsFill ? (piece &- 1) &* (inStep / size) &+ channels : 0
        let fillRow = UnsafeMutablePointer<Element>.allocate(capacity: fillCount)
        fillRow.initialize(repeating: fill, count: fillCount)
        defer { fillRow.deinitialize(count: fillCount).deallocate() }

        // Rows are the work items; where there are too few to keep the threads busy (1-D data, a
        // single image of few rows), each row's interior is split into parts as well.
        let rowCount = batch &* outDepth &* outHeight
        let threads = Swift.max(1, Parallelism.threadLimit)
        let parts = rowCount >= 4 &* threads ? 1
            : Swift.max(1, Swift.min((4 &* threads &+ rowCount &- 1) / rowCount, interior.count &* channels / WorkGrain.rowElements))
        let shared = UncheckedSendable((input.reading, output.base, fillRow))
        let level = plan.level
        let rollingMasks = rolling?.masks ?? []
        selections.first.withUnsafeBufferPointer { first in
            selections.entrySource.withUnsafeBufferPointer { entrySource in
                selections.entryMask.withUnsafeBufferPointer { entryMask in
                  rollingMasks.withUnsafeBufferPointer { rollingMasks in
                    let tables = UncheckedSendable((first.baseAddress!, entrySource.baseAddress!, entryMask.baseAddress!,
                                                    rollingMasks.baseAddress))
                    parallelChunks(count: rowCount &* parts, grain: parts > 1 ? 1 : plan.grain, trace: plan.trace) { items in
                        let (x, y, fillRow) = shared.value
                        let (first, entrySource, entryMask, masks) = tables.value
                        let fillBase = UnsafeRawPointer(fillRow)
                        // Per task: each source's input row, its pointer for one kernel call, and the
                        // 3 x 3 kernel's three rows, left columns and right columns.
                        withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: 2 &* count &+ 9) { scratch in
                            let rowStart = scratch.baseAddress!, pointers = rowStart + count, three = pointers + count
                            @inline(__always) func run(_ out: UnsafeMutableRawPointer, _ pixels: Int,
                                                       ahead: (UnsafeRawPointer?, UnsafeMutableRawPointer?) = (nil, nil)) {
                                shift_simd_select_pixels(level, out, Int64(outStep), pointers, Int64(inStep),
                                                         Int64(pixelBytes), Int64(pixels), first, entrySource, entryMask,
                                                         ahead.0, Int64(inRowBytes), ahead.1, Int64(outRowBytes))
                            }
                            for item in items {
                                let (r, part) = item.quotientAndRemainder(dividingBy: parts)
                                let ph = r % outHeight, rest = r / outHeight
                                let pd = rest % outDepth, n = rest / outDepth
                                // Each source's input row, nil where zero padding leaves it.
                                for k in 0..<count {
                                    let id = depthIndex[k &* outDepth &+ pd], ih = rowIndex[k &* outHeight &+ ph]
                                    rowStart[k] = id < 0 || ih < 0 ? nil
                                        : UnsafeRawPointer(x + (n &* xs.n &+ id &* xs.d &+ ih &* xs.h))
                                }
                                let outRow = UnsafeMutableRawPointer(y + (n &* ys.n &+ pd &* ys.d &+ ph &* ys.h))
                                // The input row the next output row reads that this one does not (the furthest down its
                                // sources read), and the next output row.
                                var ahead: (UnsafeRawPointer?, UnsafeMutableRawPointer?) = (nil, nil)
                                if part == 0 && ph &+ 1 < outHeight {
                                    var newest = (id: -1, ih: -1)
                                    for k in 0..<count {
                                        let id = depthIndex[k &* outDepth &+ pd], ih = rowIndex[k &* outHeight &+ ph &+ 1]
                                        if id >= 0 && ih > newest.ih { newest = (id, ih) }
                                    }
                                    if newest.ih >= 0 { ahead.0 = UnsafeRawPointer(x + (n &* xs.n &+ newest.id &* xs.d &+ newest.ih &* xs.h)) }
                                    ahead.1 = outRow + ys.h &* size
                                }
                                let span = interior.count
                                let columns = (interior.lowerBound &+ span &* part / parts)..<(interior.lowerBound &+ span &* (part &+ 1) / parts)
                                var q = columns.lowerBound
                                while q < columns.upperBound {
                                    let pixels = Swift.min(piece, columns.upperBound &- q)
                                    if let rolling {
                                        // The three rows at the middle column of pixel q, and the first
                                        // pixel's left and the last pixel's right columns through the padding.
                                        let id = depthIndex[pd], middle = q &+ rolling.columnBase &+ 1
                                        let (leftColumn, rightColumn) = (
                                            ChannelsLastNeighbours.mapped(middle &- 1, axes.w.length, axes.w.paddingCode),
                                            ChannelsLastNeighbours.mapped(middle &+ pixels, axes.w.length, axes.w.paddingCode))
                                        for i in 0..<3 {
                                            let ih = ChannelsLastNeighbours.mapped(ph &+ rolling.rowBase &+ i, axes.h.length, axes.h.paddingCode)
                                            guard id >= 0 && ih >= 0 else {
                                                (three[i], three[i &+ 3], three[i &+ 6]) = (fillBase, fillBase, fillBase)
                                                continue
                                            }
                                            let row = UnsafeRawPointer(x + (n &* xs.n &+ id &* xs.d &+ Int(ih) &* xs.h))
                                            three[i] = row + middle &* xs.w &* size
                                            three[i &+ 3] = leftColumn < 0 ? fillBase : row + Int(leftColumn) &* xs.w &* size
                                            three[i &+ 6] = rightColumn < 0 ? fillBase : row + Int(rightColumn) &* xs.w &* size
                                        }
                                        let rowAhead = q == columns.lowerBound ? ahead : (nil, nil)
                                        shift_simd_select_neighbours(level, outRow + q &* outStep, Int64(outStep), three, three + 3,
                                                                     three + 6, Int64(inStep), Int64(pixelBytes), Int64(pixels), masks,
                                                                     rowAhead.0, Int64(inRowBytes), rowAhead.1, Int64(outRowBytes))
                                        q &+= pixels
                                        continue
                                    }
                                    for k in 0..<count {
                                        pointers[k] = rowStart[k].map { $0 + (q &* columnStep &+ sources[k].w.base) &* xs.w &* size }
                                            ?? fillBase
                                    }
                                    run(outRow + q &* outStep, pixels, ahead: q == columns.lowerBound ? ahead : (nil, nil))
                                    q &+= pixels
                                }
                                for (e, q) in edges.enumerated() where part == 0 {
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

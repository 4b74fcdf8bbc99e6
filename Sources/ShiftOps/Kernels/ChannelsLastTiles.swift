import CShiftSIMD

/// Channels-last tensors through the NCHW plane kernels.
///
/// In a channels-last tensor every channel's pixels sit `C` elements apart, and every channel has
/// its own taps, so a loop over a pixel's channels gathers each channel at its own offsets and
/// does not vectorise. Instead each task takes one image's block of `tile` channels, transposes
/// it into dense planes in a scratch buffer small enough for the cache, runs the NCHW plane
/// kernels there, and transposes the result back. Memory traffic is that of the NCHW kernels (the
/// tensors are read and written once, the transposes stay in cache), and the results are the
/// NCHW kernels' own, bit for bit, gradients included.
///
/// A task's scratch holds `tile` planes of every tensor it touches, within ``scratchLimit``, or,
/// where even ``minimumTile`` channels' planes exceed that (3-D volumes, large images), within
/// ``largeScratchFactor`` times it (up to twice that for a tile of 16 channels). Where they do
/// not fit even that (or all of the channels' planes, for fewer channels), or the elements are
/// not 1, 2, 4 or 8 bytes, the direct kernels (``ChannelsLastPixels``) and the strided row path
/// serve instead.
@usableFromInline
struct ChannelsLastTiles: Sendable {
    /// Channels per task.
    @usableFromInline let tile: Int
    /// Elements of one input and one output plane.
    @usableFromInline let inputPlane: Int, outputPlane: Int
    /// The strides of a transposed block: dense `[tile, D, H, W]` (input-shaped) and
    /// `[tile, D', H', W']` (output-shaped).
    @usableFromInline let inputStrides: LiftedStrides, outputStrides: LiftedStrides
    @usableFromInline let flat: FlatPlanes?
    @usableFromInline let dense: DensePlaneBackward?
    /// Whether the backward transposes `x` (only the shift gradient reads it).
    @usableFromInline let transposesInput: Bool
    /// The vector level of the transposes (``VectorLevel``), read before the threads start.
    @usableFromInline let level: Int32

    /// The most scratch, in bytes, a task's planes may fill: about a core's L2 (512 KiB to 2 MiB
    /// on the machines measured; on the 512 KiB one, 16 channels of a 56 x 56 image, 401 KB, still
    /// ran faster than 8). The buffer itself
    /// is rounded up to the pool's smallest size (1 MiB) so that calls reuse it. Tests lower the
    /// limit to reach the direct kernels. Only ``CPUPlan`` reads it, once per call.
    @TaskLocal @usableFromInline package static var scratchLimit = 1 << 20

    /// Where even ``minimumTile`` channels' planes exceed ``scratchLimit`` (3-D volumes, large
    /// images), tiles may take this many times as much, working from the shared cache: still
    /// several times faster than the pixel-by-pixel kernels on the 2-core machine measured. Such
    /// tiles are a multiple of 8 channels where they can be, so that the transposes move whole
    /// 8 x 8 blocks, and a tile of 8 grows to 16 within twice this budget where that leaves a
    /// task for every thread and all threads' tiles within four budgets (a tile below 16 fills
    /// more than a sixteenth of a budget, so in effect on at most three threads): sixteen
    /// `Float` channels are a whole cache line of each pixel, while with 8 two tasks read each
    /// line at different times. On a 16 x 56 x 56 volume the forward's 16 channels (6.4 MB) fit
    /// the budget itself; on 2 threads a backward that learns shifts grows from 8 to 16 channels
    /// (9.6 MB), and that backward of 8 images took 18.1-23.5 ms (median 20.4) against 20.2-27.7
    /// (24.7) with 8.
    @usableFromInline static let largeScratchFactor = 8

    /// Fewer channels per task than this and the transposes cost more than they save.
    @usableFromInline static let minimumTile = 4

    /// The forward's tiles: nil unless `x` (input-shaped) and `y` (output-shaped) are dense
    /// channels-last and at least ``minimumTile`` channels' planes fit ``largeScratchFactor``
    /// times `scratchLimit` bytes.
    @inlinable
    init?(_ problem: ShiftProblem, _ xs: LiftedStrides, _ ys: LiftedStrides, elementSize: Int, level: Int32,
          scratchLimit: Int) {
        guard ChannelsLastPixels.applies(problem, xs, ys) else { return nil }
        self.init(problem, planesPerChannel: (input: 1, output: 1), elementSize: elementSize, level: level,
                  scratchLimit: scratchLimit)
    }

    /// The backward's tiles: `x` and `gx` input-shaped, `g` output-shaped, all dense
    /// channels-last. `x` is transposed only when the shift gradient needs it.
    @inlinable
    init?(_ problem: ShiftProblem, _ xs: LiftedStrides, _ gs: LiftedStrides, gradInput gxs: LiftedStrides,
          needsInput: Bool, elementSize: Int, level: Int32, scratchLimit: Int) {
        guard ChannelsLastPixels.applies(problem, gxs, gs), !needsInput || ChannelsLastPixels.applies(problem, xs, gs)
        else { return nil }
        self.init(problem, planesPerChannel: (input: needsInput ? 2 : 1, output: 1), elementSize: elementSize, level: level,
                  scratchLimit: scratchLimit)
    }

    @inlinable
    init?(_ problem: ShiftProblem, planesPerChannel: (input: Int, output: Int), elementSize: Int, level: Int32,
          scratchLimit: Int) {
        // The transposes move elements as unsigned lanes of these sizes.
        guard [1, 2, 4, 8].contains(elementSize) else { return nil }
        let (inSize, outSize) = (problem.inputSize, problem.outputSize)
        let (inputPlane, outputPlane) = (inSize.reduce(1, *), outSize.reduce(1, *))
        let perChannel = (planesPerChannel.input &* inputPlane &+ planesPerChannel.output &* outputPlane) &* elementSize
        let fits = perChannel > 0 ? scratchLimit / perChannel : 0
        // Sixteen channels are a cache line of `Float`s per pixel; more buy nothing.
        var tile = Swift.min(problem.channels, 16, fits)
        let least = Swift.min(Self.minimumTile, problem.channels)
        if tile < least && perChannel > 0 {
            let budget = scratchLimit &* Self.largeScratchFactor
            tile = Swift.min(problem.channels, 16, budget / perChannel)
            if tile >= 8 {
                // Sixteen `Float` channels are a whole cache line of each pixel; with 8, two tasks
                // read each line at different times. So a tile grows to 16 within twice the
                // budget, where there are at least as many tasks as threads and all threads' tiles
                // stay within four budgets (the shared cache of the machine measured).
                let grown = Swift.min(problem.channels, 16, 2 &* budget / perChannel) & ~7
                let threads = Swift.max(Parallelism.threadLimit, 1)
                let tasks = problem.batch &* ((problem.channels &+ grown &- 1) / grown)
                let growing = grown > tile && tasks >= threads && threads &* grown &* perChannel <= 4 &* budget
                tile = growing ? grown : tile & ~7
            }
        }
        guard tile >= least else { return nil }
        func strides(_ size: [Int]) -> LiftedStrides {
            LiftedStrides(n: 0, c: size.reduce(1, *), d: size[1] &* size[2], h: size[2], w: 1)
        }
        (self.tile, self.inputPlane, self.outputPlane) = (tile, inputPlane, outputPlane)
        transposesInput = planesPerChannel.input > 1
        self.level = level
        (inputStrides, outputStrides) = (strides(inSize), strides(outSize))
        flat = FlatPlanes(problem, inputStrides, outputStrides)
        dense = DensePlaneBackward(problem, x: inputStrides, g: outputStrides, gx: inputStrides, level: level)
    }

    /// Calls `body(scratch, n, c0, count)` for every block of `count` channels starting at `c0`
    /// of image `n`, blocks spread over threads, each task with its own scratch of `scratch`
    /// elements.
    @inlinable @inline(__always)
    func forEachBlock<Element>(_ problem: ShiftProblem, scratch: Int, of: Element.Type, trace: ParallelTrace?,
                               _ body: (UnsafeMutablePointer<Element>, Int, Int, Int) -> Void) {
        let blocks = (problem.channels &+ tile &- 1) / tile
        // Rounded up to the pool's smallest size, and larger tiles' to a power of two, so that
        // the next call (of any shape) reuses the same pages instead of faulting fresh ones in.
        var bytes = TensorMemory.minimumPooledBytes
        while bytes < scratch &* MemoryLayout<Element>.stride { bytes &<<= 1 }
        parallelChunks(count: problem.batch &* blocks, trace: trace) { range in
            @inline(__always) func run(_ buffer: UnsafeMutablePointer<Element>) {
                for index in range {
                    let n = index / blocks, c0 = (index - n &* blocks) &* tile
                    body(buffer, n, c0, Swift.min(tile, problem.channels &- c0))
                }
            }
            if let memory = TensorMemory.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment) {
                run(memory.bindMemory(to: Element.self, capacity: scratch))
                TensorMemory.deallocate(memory, byteCount: bytes)
            } else {
                // The system refused the pool's size: the standard library's allocation (which
                // stops the process only where any allocation would).
                withUnsafeTemporaryAllocation(of: Element.self, capacity: scratch) { run($0.baseAddress!) }
            }
        }
    }

    /// Dense plane `k` of a transposed block starting at `planes`, `[D, H, W]`-shaped at `strides`.
    @inlinable @inline(__always)
    func plane<Element>(_ planes: UnsafeMutablePointer<Element>, _ k: Int, size: Int, _ strides: LiftedStrides)
        -> StridedPointer<Element> {
        StridedPointer(planes + k &* size, strides, bounds: 0..<size)
    }

    /// The forward: `plane(c, x, y)` computes channel `c`'s dense output plane `y` from its dense
    /// input plane `x` (both in the scratch, at ``inputStrides`` and ``outputStrides``).
    @inlinable @inline(__always)
    func forward<Element>(
        _ problem: ShiftProblem, input: StridedPointer<Element>, output: StridedPointer<Element>, trace: ParallelTrace?,
        _ plane: (Int, StridedPointer<Element>, StridedPointer<Element>) -> Void
    ) {
        let channels = problem.channels
        forEachBlock(problem, scratch: tile &* (inputPlane &+ outputPlane), of: Element.self, trace: trace) { scratch, n, c0, count in
            let (inputs, outputs) = (scratch, scratch + tile &* inputPlane)
            Self.move(input.plane(n, c0).reading, into: inputs, channels: channels, level: level, count: count,
                      pixels: inputPlane, toPlanes: true)
            for k in 0..<count {
                plane(c0 &+ k, self.plane(inputs, k, size: inputPlane, inputStrides),
                      self.plane(outputs, k, size: outputPlane, outputStrides))
            }
            Self.move(outputs, into: output.plane(n, c0).base, channels: channels, level: level, count: count,
                      pixels: outputPlane, toPlanes: false)
        }
    }

    /// The backward: `plane(n, c, planes)` computes channel `c`'s dense input-gradient plane (and
    /// its shift gradient) from its dense planes of `x` and `g`, all in the scratch.
    @inlinable @inline(__always)
    func backward<T>(
        _ problem: ShiftProblem, input: StridedPointer<T>, gradOutput: StridedPointer<T>, gradInput: StridedPointer<T>,
        trace: ParallelTrace?, _ plane: (Int, Int, PlaneBackward<T>) -> Void
    ) {
        let channels = problem.channels
        let (inputPlane, outputPlane, tile) = (inputPlane, outputPlane, tile)
        // Without the shift gradient the kernels never read `x`, and it has no planes.
        let scratch = tile &* ((transposesInput ? 2 : 1) &* inputPlane &+ outputPlane)
        forEachBlock(problem, scratch: scratch, of: T.self, trace: trace) { scratch, n, c0, count in
            let (gPlanes, gxPlanes) = (scratch, scratch + tile &* outputPlane)
            let xPlanes = transposesInput ? gxPlanes + tile &* inputPlane : gxPlanes
            Self.move(gradOutput.plane(n, c0).reading, into: gPlanes, channels: channels, level: level, count: count,
                      pixels: outputPlane, toPlanes: true)
            if transposesInput {
                Self.move(input.plane(n, c0).reading, into: xPlanes, channels: channels, level: level, count: count,
                          pixels: inputPlane, toPlanes: true)
            }
            for k in 0..<count {
                plane(n, c0 &+ k, PlaneBackward(problem: problem, x: self.plane(xPlanes, k, size: inputPlane, inputStrides),
                                                g: self.plane(gPlanes, k, size: outputPlane, outputStrides),
                                                gx: self.plane(gxPlanes, k, size: inputPlane, inputStrides),
                                                flat: flat, level: level))
            }
            Self.move(gxPlanes, into: gradInput.plane(n, c0).base, channels: channels, level: level, count: count,
                      pixels: inputPlane, toPlanes: false)
        }
    }

    /// Moves a block of `count` channels of `pixels` pixels between a channels-last image
    /// (`channels` elements per pixel) and dense planes (`pixels` elements per plane): into the
    /// planes, `planes[k * pixels + p] = image[p * channels + k]`, when `toPlanes`, else back.
    @inlinable @inline(__always)
    static func move<Element>(_ source: UnsafePointer<Element>, into target: UnsafeMutablePointer<Element>,
                              channels: Int, level: Int32, count: Int, pixels: Int, toPlanes: Bool) {
        let (sourceStride, targetStride) = toPlanes ? (channels, pixels) : (pixels, channels)
        if level > VectorLevel.portable && MemoryLayout<Element>.stride == 4 {
            // The C variant transposes a rows x columns source: pixels x channels of an image, or
            // channels x pixels of the planes.
            let (rows, columns) = toPlanes ? (pixels, count) : (count, pixels)
            shift_simd_transpose32(level, source, Int64(sourceStride), target, Int64(targetStride), Int64(rows), Int64(columns))
            return
        }
        transpose(UnsafeRawPointer(source), sourceStride: sourceStride, UnsafeMutableRawPointer(target), targetStride: targetStride,
                  pixels: pixels, channels: count, toPlanes: toPlanes, size: MemoryLayout<Element>.stride)
    }

    /// Transposes a `pixels x channels` block between a channels-last image (`stride` elements
    /// per pixel) and planes (`stride` elements per plane), as unsigned lanes of the element's
    /// size so that one routine serves every element type.
    @inlinable @inline(__always)
    static func transpose(_ source: UnsafeRawPointer, sourceStride: Int, _ target: UnsafeMutableRawPointer, targetStride: Int,
                          pixels: Int, channels: Int, toPlanes: Bool, size: Int) {
        switch size {
        case 1: transpose(source, sourceStride, target, targetStride, pixels, channels, toPlanes, lane: UInt8.self)
        case 2: transpose(source, sourceStride, target, targetStride, pixels, channels, toPlanes, lane: UInt16.self)
        case 4: transpose(source, sourceStride, target, targetStride, pixels, channels, toPlanes, lane: UInt32.self)
        default:
            precondition(size == 8, "tensor elements are 1, 2, 4 or 8 bytes")
            transpose(source, sourceStride, target, targetStride, pixels, channels, toPlanes, lane: UInt64.self)
        }
    }

    /// Four pixels by four channels at a time, each a 4 x 4 transpose in registers (four loads,
    /// shuffles, four stores); the pixels and channels left over one by one.
    @inlinable @inline(__always)
    static func transpose<Lane: SIMDScalar & FixedWidthInteger>(
        _ source: UnsafeRawPointer, _ sourceStride: Int, _ target: UnsafeMutableRawPointer, _ targetStride: Int,
        _ pixels: Int, _ channels: Int, _ toPlanes: Bool, lane: Lane.Type
    ) {
        let size = MemoryLayout<Lane>.stride
        // Element (pixel p, channel k) lives at p * pixelStep + k * channelStep in each layout.
        let (sp, sk) = toPlanes ? (sourceStride, 1) : (1, sourceStride)
        let (tp, tk) = toPlanes ? (1, targetStride) : (targetStride, 1)
        @inline(__always) func copy(_ p: Int, _ k: Int) {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: (p &* sp &+ k &* sk) &* size, as: Lane.self),
                              toByteOffset: (p &* tp &+ k &* tk) &* size, as: Lane.self)
        }
        let fullPixels = pixels & ~3, fullChannels = channels & ~3
        var p = 0
        while p < fullPixels {
            var k = 0
            while k < fullChannels {
                // Rows of the source block: four vectors along its unit-stride axis.
                let (s, t) = (source + (p &* sp &+ k &* sk) &* size, target + (p &* tp &+ k &* tk) &* size)
                let (sStride, tStride) = (toPlanes ? sp : sk, toPlanes ? tk : tp)
                let r0 = s.loadUnaligned(as: SIMD4<Lane>.self)
                let r1 = s.loadUnaligned(fromByteOffset: sStride &* size, as: SIMD4<Lane>.self)
                let r2 = s.loadUnaligned(fromByteOffset: 2 &* sStride &* size, as: SIMD4<Lane>.self)
                let r3 = s.loadUnaligned(fromByteOffset: 3 &* sStride &* size, as: SIMD4<Lane>.self)
                t.storeBytes(of: SIMD4(r0[0], r1[0], r2[0], r3[0]), as: SIMD4<Lane>.self)
                t.storeBytes(of: SIMD4(r0[1], r1[1], r2[1], r3[1]), toByteOffset: tStride &* size, as: SIMD4<Lane>.self)
                t.storeBytes(of: SIMD4(r0[2], r1[2], r2[2], r3[2]), toByteOffset: 2 &* tStride &* size, as: SIMD4<Lane>.self)
                t.storeBytes(of: SIMD4(r0[3], r1[3], r2[3], r3[3]), toByteOffset: 3 &* tStride &* size, as: SIMD4<Lane>.self)
                k &+= 4
            }
            for k in fullChannels..<channels {
                for q in p..<(p &+ 4) { copy(q, k) }
            }
            p &+= 4
        }
        for q in fullPixels..<pixels {
            for k in 0..<channels { copy(q, k) }
        }
    }
}

import ShiftOps

/// A 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`) with square kernel, stride,
/// zero padding and groups; optional bias.
///
/// `y[n, o, i, j] = b[o] + sum over c in o's group, a, b < K of
/// w[o, c', a, b] * x[n, c, i*S - P + a, j*S - P + b]` with `w` of shape `[O, C / G, K, K]`.
/// Each image and group is one matrix product `W_g [O/G, C/G*K*K] x col [C/G*K*K, H'*W']`, where
/// `col` is the input itself for a 1x1, stride-1 convolution and an im2col copy otherwise.
/// Images run in parallel; the weight gradient is summed over images in order, so any thread
/// count gives the same bits.
public final class Conv2d<T: NetScalar>: Module<T> {
    /// Input channels `C`.
    public let inChannels: Int
    /// Output channels `O`.
    public let outChannels: Int
    /// The kernel's side `K`.
    public let kernelSize: Int
    /// The step between output samples `S`.
    public let stride: Int
    /// Zero padding `P` on every side.
    public let padding: Int
    /// Channel groups `G` (dividing `C` and `O`).
    public let groups: Int
    /// `[O, C / G, K, K]`.
    public let weight: Parameter<T>
    /// `[O]`, when the layer has a bias.
    public let bias: Parameter<T>?
    private var savedInput = SavedForBackward<Tensor<T>>()
    /// The evaluation-mode fold of the BN after this layer, kept between calls.
    let fold = BatchNormFold<T>()

    /// A convolution with He-uniform weights (`U(-b, b)`, `b = sqrt(6 / fan_in)`) drawn from `seed`
    /// and a zero bias.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming the argument for a non-positive size, a negative padding
    ///   or groups that do not divide both channel counts.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, bias: Bool = false, seed: UInt64) throws {
        for (name, value) in [("inChannels", inChannels), ("outChannels", outChannels),
                              ("kernelSize", kernelSize), ("stride", stride), ("groups", groups)] where value < 1 {
            throw ShiftOpsError(.invalidArgument, argument: name, "expected >= 1, got \(value)")
        }
        guard padding >= 0 else {
            throw ShiftOpsError(.invalidGeometry, argument: "padding", "expected >= 0, got \(padding)")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "groups",
                                "expected a divisor of inChannels \(inChannels) and outChannels \(outChannels), got \(groups)")
        }
        (self.inChannels, self.outChannels, self.kernelSize) = (inChannels, outChannels, kernelSize)
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
        let fanIn = inChannels / groups * kernelSize * kernelSize
        let bound = T(Double(6.0 / Double(fanIn)).squareRoot())
        weight = Parameter(try Tensor<T>.random(shape: [outChannels, inChannels / groups, kernelSize, kernelSize],
                                                in: -bound...bound, seed: seed))
        self.bias = bias ? Parameter(try Tensor(shape: [outChannels])) : nil
    }

    /// `weight`, and `bias` when present.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// The output side for an input side `n`: `(n + 2P - K) / S + 1`.
    public func outputSize(_ n: Int) -> Int { (n + 2 * padding - kernelSize) / stride + 1 }

    private func checkedGeometry(_ shape: [Int]) throws -> (n: Int, h: Int, w: Int, ho: Int, wo: Int) {
        guard shape.count == 4 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected [N, C, H, W], got \(shape)")
        }
        guard shape[1] == inChannels else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected \(inChannels) channels, got \(shape)")
        }
        guard shape[2] + 2 * padding >= kernelSize, shape[3] + 2 * padding >= kernelSize else {
            throw ShiftOpsError(.invalidGeometry, argument: "input",
                                "spatial size \(shape[2])x\(shape[3]) with padding \(padding) is smaller than the kernel \(kernelSize)")
        }
        return (shape[0], shape[2], shape[3], outputSize(shape[2]), outputSize(shape[3]))
    }

    /// Whether the input itself is the im2col matrix.
    private var readsInputDirectly: Bool { kernelSize == 1 && stride == 1 && padding == 0 }

    /// `[N, C, H, W]` to `[N, O, H', W']`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        let geometry = try checkedGeometry(input.shape)
        savedInput.keep(input, training: isTraining)
        return try product(input, geometry, weights: weight.value, bias: bias?.value.elements, relu: false)
    }

    /// An evaluation-mode forward with the batch norm `bn` after it folded in, and with `relu` the
    /// ReLU after that: `relu?(bn(conv(x)))` within rounding, as one convolution whose output
    /// channels' weights are scaled by `gamma / sqrt(runningVar + eps)` with a matching bias (see
    /// ``BatchNormFold``). The folded weights are computed once and kept until a parameter or
    /// running statistic changes; the saved parameters are untouched.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `input` when its shape does not fit, or `bn`
    ///   when its channels are not this layer's output channels.
    @_specialize(where T == Float)
    func forward(_ input: Tensor<T>, foldingBatchNorm bn: BatchNorm2d<T>, relu: Bool) throws -> Tensor<T> {
        let geometry = try checkedGeometry(input.shape)
        let (weights, foldedBias) = try fold.values(weight: weight.value, bias: bias?.value, batchNorm: bn)
        savedInput.keep(input, training: false)
        return try product(input, geometry, weights: weights, bias: foldedBias, relu: relu)
    }

    /// The forward's matrix products with `weights`, the bias (when given) and the ReLU (`v <= 0`
    /// gives 0, NaN stays NaN) applied to each image's block of output while it is still in cache.
    @_specialize(where T == Float)
    private func product(_ input: Tensor<T>, _ geometry: (n: Int, h: Int, w: Int, ho: Int, wo: Int),
                         weights: Tensor<T>, bias biasValues: [T]?, relu: Bool) throws -> Tensor<T> {
        let (n, h, w, ho, wo) = geometry
        let plane = ho * wo, kk = kernelSize * kernelSize
        let groupRows = inChannels / groups * kk, groupOut = outChannels / groups
        let direct = readsInputDirectly
        let (inC, outC, groups) = (inChannels, outChannels, groups)
        // A few images leave cores idle: each image's columns are then cut into fixed blocks.
        let blocks = columnBlocks(images: n, columns: plane), width = (plane + blocks - 1) / blocks
        // Each unit's im2col scratch, in a tensor so that its buffer is recycled call after call.
        let scratchSize = direct ? 0 : inC &* kk &* width
        var output: Tensor<T>?
        _ = try Tensor<T>(shape: [n * blocks * scratchSize]) { scratchBuffer in
            let sp = scratchBuffer.baseAddress.map(SharedPointer.init)
            output = try Tensor(shape: [n, outChannels, ho, wo]) { y in
                let yp = SharedPointer(y.baseAddress!)
                input.withDenseBuffer { x in
                    weights.withDenseBuffer { wt in
                        parallelFor(n * blocks) { unit in
                            let image = unit / blocks, first = (unit % blocks) &* width
                            let columns = Swift.min(width, plane &- first)
                            guard columns > 0 else { return }
                            let xi = x.baseAddress! + (image &* inC &* h &* w)
                            let scratch = direct ? nil : sp.map { $0.base + unit &* scratchSize }
                            if let scratch { im2col(xi, h: h, w: w, into: scratch, ho: ho, wo: wo, columns: first..<(first + columns)) }
                            let (col, ldb) = scratch.map { (UnsafePointer($0), columns) } ?? (xi + first, plane)
                            let yi = yp.base + (image &* outC &* plane &+ first)
                            // Without a ReLU the product adds to the bias written first, which also
                            // spares the BLAS the pass that clears its output; with one, the bias is
                            // added in the ReLU's pass (see addBiasReLU).
                            let prefilled = biasValues != nil && !relu
                            if prefilled, let biasValues {
                                for o in 0..<outC { (yi + o &* plane).update(repeating: biasValues[o], count: columns) }
                            }
                            for g in 0..<groups {
                                gemm(m: groupOut, n: columns, k: groupRows,
                                     a: wt.baseAddress! + (g &* groupOut &* groupRows), lda: groupRows, transposeA: false,
                                     b: col + (g &* groupRows &* ldb), ldb: ldb,
                                     c: yi + (g &* groupOut &* plane), ldc: plane, accumulate: prefilled)
                            }
                            if relu {
                                for o in 0..<outC { addBiasReLU(yi + o &* plane, count: columns, bias: biasValues?[o] ?? 0) }
                            }
                        }
                    }
                }
            }
        }
        return output!
    }

    /// `dL/dinput`; adds `dL/dweight` (and `dL/dbias`).
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        try backward(gradOutput, adding: nil)
    }

    /// `dL/dinput + extra` (just `dL/dinput` when `extra` is nil); adds `dL/dweight` (and
    /// `dL/dbias`). A residual block's first convolution adds the shortcut's gradient this way:
    /// each image's input gradient starts from `extra` and the products add to it, instead of a
    /// cleared output and a separate pass for the sum.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `gradOutput` for a shape other than the last
    ///   output's, `extra` for a shape other than the input's, or `forward` when no training
    ///   forward has run.
    @_specialize(where T == Float)
    func backward(_ gradOutput: Tensor<T>, adding extra: Tensor<T>?) throws -> Tensor<T> {
        let input = try savedInput.value()
        let (n, h, w, ho, wo) = try checkedGeometry(input.shape)
        try checkGradOutput(gradOutput, expected: [n, outChannels, ho, wo])
        if let extra, extra.shape != input.shape {
            throw ShiftOpsError(.shapeMismatch, argument: "extra", "expected \(input.shape), got \(extra.shape)")
        }
        // Read inside the loop below only when present; an empty tensor stands in otherwise.
        let added = try extra ?? Tensor<T>(shape: [0])
        let adds = extra != nil
        let plane = ho * wo, kk = kernelSize * kernelSize
        let allRows = inChannels * kk, groupRows = inChannels / groups * kk, groupOut = outChannels / groups
        let direct = readsInputDirectly
        let (inC, outC, groups) = (inChannels, outChannels, groups)
        let weightSize = outC * groupRows
        let chunks = ImageChunks(images: n), scratchSize = direct ? 0 : 2 &* allRows &* plane
        // Each chunk of images' weight gradient (the products accumulate image after image; the
        // chunks are summed in order below), and each chunk's im2col scratch, in tensors so that
        // their buffers are recycled step after step.
        var result: Tensor<T>?
        let partials = try Tensor<T>(shape: [chunks.count * (weightSize + scratchSize)]) { partialBuffer in
            let pp = SharedPointer(partialBuffer.baseAddress!)
            result = try Tensor<T>(shape: input.shape) { gx in
                let gxp = SharedPointer(gx.baseAddress!)
                input.withDenseBuffer { x in
                    added.withDenseBuffer { extraValues in
                        weight.value.withDenseBuffer { wt in
                            gradOutput.withDenseBuffer { gy in
                                parallelFor(chunks.count) { chunk in
                                    let partial = pp.base + chunk &* weightSize
                                    let scratch = direct ? nil : pp.base + (chunks.count &* weightSize &+ chunk &* scratchSize)
                                    for image in chunks.images(chunk) {
                                        let xi = x.baseAddress! + (image &* inC &* h &* w)
                                        let gyi = gy.baseAddress! + (image &* outC &* plane)
                                        let gxi = gxp.base + (image &* inC &* h &* w)
                                        if adds { gxi.update(from: extraValues.baseAddress! + image &* inC &* h &* w, count: inC &* h &* w) }
                                        if let scratch { im2col(xi, h: h, w: w, into: scratch, ho: ho, wo: wo) }
                                        let col = UnsafePointer(scratch) ?? xi
                                        // A 1x1 stride-1 convolution's column gradient is the input gradient.
                                        let dcol = scratch.map { $0 + (allRows &* plane) } ?? gxi
                                        for g in 0..<groups {
                                            let gyg = gyi + (g &* groupOut &* plane)
                                            gemm(m: groupOut, n: groupRows, k: plane, a: gyg, lda: plane, transposeA: false,
                                                 b: col + (g &* groupRows &* plane), ldb: plane, transposeB: true,
                                                 c: partial + g &* groupOut &* groupRows, ldc: groupRows,
                                                 accumulate: image != chunks.images(chunk).lowerBound)
                                            gemm(m: groupRows, n: plane, k: groupOut,
                                                 a: wt.baseAddress! + (g &* groupOut &* groupRows), lda: groupRows, transposeA: true,
                                                 b: gyg, ldb: plane, c: dcol + (g &* groupRows &* plane), ldc: plane,
                                                 accumulate: direct && adds)
                                        }
                                        if !direct { col2im(dcol, h: h, w: w, into: gxi, ho: ho, wo: wo, accumulate: adds) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let gradInput = result!
        weight.accumulate(partials.withDenseBuffer { sumOverImages($0, images: chunks.count, size: weightSize) })
        if let bias {
            var gb = [T](repeating: 0, count: outC)
            gradOutput.withDenseBuffer { gy in
                for o in 0..<outC {
                    var s: T = 0
                    for image in 0..<n {
                        let row = gy.baseAddress! + (image &* outC &+ o) &* plane
                        for p in 0..<plane { s += row[p] }
                    }
                    gb[o] = s
                }
            }
            bias.accumulate(gb)
        }
        return gradInput
    }

    /// `col[(c*K + a)*K + b, p - first] = x[c, i*S - P + a, j*S - P + b]` for the output positions
    /// `p = i*W' + j` in `columns` (all of them by default), zero outside the input.
    @_specialize(where T == Float)
    private func im2col(_ x: UnsafePointer<T>, h: Int, w: Int, into col: UnsafeMutablePointer<T>, ho: Int, wo: Int,
                        columns: Range<Int>? = nil) {
        let (k, s, p) = (kernelSize, stride, padding)
        let range = columns ?? 0..<(ho &* wo)
        guard !range.isEmpty else { return }
        let (firstRow, lastRow) = (range.lowerBound / wo, (range.upperBound &- 1) / wo)
        var row = 0
        for c in 0..<inChannels {
            let xc = x + (c &* h &* w)
            for a in 0..<k {
                for b in 0..<k {
                    // The column of position p is p - first: the row's base index carries the offset.
                    let base = row &* range.count &- range.lowerBound
                    // The output columns j whose input column j*S - P + b lies inside the input;
                    // the rest read padding. Split once per kernel tap, so that the copy loop has
                    // no bounds test per element.
                    let (firstInside, lastInput) = (Swift.max(0, (p &- b &+ s &- 1) / s), w &- 1 &+ p &- b)
                    let inside = firstInside..<Swift.max(firstInside, lastInput < 0 ? 0 : Swift.min(wo, lastInput / s &+ 1))
                    for i in firstRow...lastRow {
                        let y = i &* s &- p &+ a
                        let rowStart = i &* wo
                        let span = Swift.max(0, range.lowerBound &- rowStart)..<Swift.min(wo, range.upperBound &- rowStart)
                        let target = col + (base &+ rowStart)
                        guard y >= 0 && y < h, !inside.isEmpty else {
                            (target + span.lowerBound).update(repeating: 0, count: span.count)
                            continue
                        }
                        let copied = span.clamped(to: inside)
                        let (zerosBefore, zerosAfter) = copied.isEmpty ? (span, span.upperBound..<span.upperBound)
                            : (span.lowerBound..<copied.lowerBound, copied.upperBound..<span.upperBound)
                        (target + zerosBefore.lowerBound).update(repeating: 0, count: zerosBefore.count)
                        (target + zerosAfter.lowerBound).update(repeating: 0, count: zerosAfter.count)
                        let source = xc + (y &* w &- p &+ b)
                        if s == 1 {
                            for j in copied { target[j] = source[j] }
                        } else {
                            for j in copied { target[j] = source[j &* s] }
                        }
                    }
                    row &+= 1
                }
            }
        }
    }

    /// The adjoint of ``im2col``: every column entry added to the input element it read (to what
    /// `gx` holds with `accumulate`, to zeros otherwise).
    @_specialize(where T == Float)
    private func col2im(_ col: UnsafePointer<T>, h: Int, w: Int, into gx: UnsafeMutablePointer<T>, ho: Int, wo: Int,
                        accumulate: Bool) {
        let (k, s, p) = (kernelSize, stride, padding)
        if !accumulate { gx.update(repeating: 0, count: inChannels &* h &* w) }
        var row = 0
        for c in 0..<inChannels {
            let gc = gx + (c &* h &* w)
            for a in 0..<k {
                for b in 0..<k {
                    let source = col + (row &* ho &* wo)
                    for i in 0..<ho {
                        let y = i &* s &- p &+ a
                        guard y >= 0 && y < h else { continue }
                        for j in 0..<wo {
                            let xx = j &* s &- p &+ b
                            if xx >= 0 && xx < w { gc[y &* w &+ xx] += source[i &* wo &+ j] }
                        }
                    }
                    row &+= 1
                }
            }
        }
    }

    /// One row: parameters and `O * H' * W' * C/G * K * K` MACs.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        let (_, _, _, ho, wo) = try checkedGeometry(shape)
        let kind = "conv\(kernelSize)x\(kernelSize)" + (stride > 1 ? "/\(stride)" : "") + (groups > 1 ? " g\(groups)" : "")
        rows.append(LayerCount(path: path, kind: kind, outputShape: [outChannels, ho, wo], parameters: parameterCount,
                               macs: outChannels * ho * wo * (inChannels / groups) * kernelSize * kernelSize, otherOps: 0))
        return [shape[0], outChannels, ho, wo]
    }
}

/// The batch cut into chunks of up to 8 consecutive images, fixed by the batch size alone: the
/// weight-gradient products accumulate image after image within a chunk (one partial sum per
/// chunk instead of per image, and no clearing pass for every image), and the chunks' partial
/// sums are added in order, so the bits do not depend on the thread count.
struct ImageChunks {
    static let size = 8
    let images: Int

    var count: Int { (images + Self.size - 1) / Self.size }

    func images(_ chunk: Int) -> Range<Int> { (chunk * Self.size)..<Swift.min(images, (chunk + 1) * Self.size) }
}

/// Sums `images` consecutive blocks of `size` elements, in image order.
@_specialize(where T == Float)
func sumOverImages<T: NetScalar>(_ partials: [T], images: Int, size: Int) -> [T] {
    partials.withUnsafeBufferPointer { sumOverImages($0, images: images, size: size) }
}

/// Sums `images` consecutive blocks of `size` elements, in image order.
@_specialize(where T == Float)
func sumOverImages<T: NetScalar>(_ p: UnsafeBufferPointer<T>, images: Int, size: Int) -> [T] {
    var total = [T](repeating: 0, count: size)
    guard let base = p.baseAddress else { return total }
    total.withUnsafeMutableBufferPointer { t in
        for image in 0..<images {
            let block = base + (image &* size)
            for i in 0..<size { t[i] += block[i] }
        }
    }
    return total
}

import ShiftOps

/// A shift followed by a 1x1 convolution (with the convolution's stride), computed image by image
/// so that the shifted batch is never written to memory: the part of a conv-shift-conv block
/// between its ReLU and its last BN.
///
/// For each image the shifted channels are produced straight at the positions the convolution
/// reads (the shift sampled with the convolution's stride, which is the same as shifting and
/// then striding), as a `[C, H' * W']` tile that stays in cache, and multiplied by the weight
/// `[O, C]`. The backward recomputes the tile, forms the weight gradient from it, and sends
/// `W^T g` back through the shift's own backward. The shift runs through ShiftOps' ops, so its
/// taps come from the one tap definition.
///
/// Its parameters are its two children's, under the names they have in the unfused block
/// (`shift2.shifts`, `conv2.weight`): the same network saves the same files fused or not. Insert
/// it into a block under the empty name so that those paths sit directly under the block.
public final class ShiftPointwiseConv<T: NetScalar>: Module<T> {
    /// The shift (its mode, table and learned parameter).
    public let shift: ShiftModule<T>
    /// The 1x1 convolution (no bias, no groups), whose stride the fused op carries.
    public let conv: Conv2d<T>
    private var savedInput = SavedForBackward<Tensor<T>>()

    /// Fuses `shift` with `conv`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `conv` when it is not a 1x1, unpadded, ungrouped,
    ///   bias-free convolution over the shift's channels.
    public init(shift: ShiftModule<T>, conv: Conv2d<T>) throws {
        guard conv.kernelSize == 1, conv.padding == 0, conv.groups == 1, conv.bias == nil,
              conv.inChannels == shift.layer.channels else {
            throw ShiftOpsError(.invalidArgument, argument: "conv",
                                "expected a 1x1, unpadded, ungrouped, bias-free convolution of \(shift.layer.channels) input channels")
        }
        (self.shift, self.conv) = (shift, conv)
    }

    /// `shift2` and `conv2`, the unfused block's names.
    public override var children: [(name: String, module: Module<T>)] { [("shift2", shift), ("conv2", conv)] }

    /// The shift's geometry for an input of `shape`, sampled at the convolution's stride.
    private func geometry(_ shape: [Int]) throws -> ShiftGeometry {
        let base = try shift.layer.geometry(forInputShape: shape)
        let stride = conv.stride
        let size = shape.dropFirst(2).map { ($0 - 1) / stride + 1 }
        return ShiftGeometry(stride: base.stride.map { $0 * stride }, origin: base.origin, outputSize: size)
    }

    private func checked(_ shape: [Int]) throws -> (n: Int, c: Int, o: Int, plane: Int, geometry: ShiftGeometry) {
        guard shape.count == 4, shape[1] == conv.inChannels else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(conv.inChannels), H, W], got \(shape)")
        }
        let geometry = try geometry(shape)
        let plane = geometry.outputSize!.reduce(1, *)
        return (shape[0], shape[1], conv.outChannels, plane, geometry)
    }

    /// The shift table in use: the learned parameter's value, or the fixed grouped table.
    private var table: Tensor<T> { shift.shifts?.value ?? shift.layer.shifts }

    /// The shifted tile of image `n`, `[1, C, H', W']`, on the calling thread.
    @_specialize(where T == Float)
    private func shiftedTile(_ input: Tensor<T>, _ n: Int, _ geometry: ShiftGeometry) throws -> Tensor<T> {
        let image = try input.sliced(axis: 0, range: n..<(n + 1))
        return try Parallelism.$threadLimit.withValue(1) {
            try shift2d(image, shifts: table, mode: shift.layer.mode, padding: shift.layer.padding, geometry: geometry)
        }
    }

    /// `[N, C, H, W]` to `[N, O, H', W']`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        let shape = try checked(input.shape)
        savedInput.keep(input, training: isTraining)
        return try product(input, shape, weights: conv.weight.value, bias: nil, relu: false)
    }

    /// An evaluation-mode forward with the batch norm `bn` after it folded in, and with `relu` the
    /// ReLU after that, as ``Conv2d``'s fold (and sharing its cache): the weight's rows scaled by
    /// `gamma / sqrt(runningVar + eps)`, the bias written before each image's product adds to it.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `input` when its shape does not fit, or `bn`
    ///   when its channels are not the convolution's output channels.
    @_specialize(where T == Float)
    func forward(_ input: Tensor<T>, foldingBatchNorm bn: BatchNorm2d<T>, relu: Bool) throws -> Tensor<T> {
        let shape = try checked(input.shape)
        let (weights, bias) = try conv.fold.values(weight: conv.weight.value, bias: nil, batchNorm: bn)
        savedInput.keep(input, training: false)
        return try product(input, shape, weights: weights, bias: bias, relu: relu)
    }

    /// The per-image products with `weights` `[O, C, 1, 1]`, the bias (when given) and the ReLU
    /// (`v <= 0` gives 0, NaN stays NaN) applied while the image's output is in cache.
    @_specialize(where T == Float)
    private func product(_ input: Tensor<T>, _ shape: (n: Int, c: Int, o: Int, plane: Int, geometry: ShiftGeometry),
                         weights: Tensor<T>, bias: [T]?, relu: Bool) throws -> Tensor<T> {
        let (n, c, o, plane, geometry) = shape
        let size = geometry.outputSize!
        var failure: Error?
        let output = try Tensor<T>(shape: [n, o] + size) { y in
            let yp = SharedPointer(y.baseAddress!)
            weights.withDenseBuffer { wt in
                let weights = UncheckedBox(wt.baseAddress!)
                let errors = ErrorSlot()
                parallelFor(n) { image in
                    do {
                        let tile = try shiftedTile(input, image, geometry)
                        let yi = yp.base + image &* o &* plane
                        // As Conv2d: the product adds to the bias, or the ReLU's pass adds it.
                        let prefilled = bias != nil && !relu
                        if prefilled, let bias {
                            for channel in 0..<o { (yi + channel &* plane).update(repeating: bias[channel], count: plane) }
                        }
                        tile.withDenseBuffer { s in
                            gemm(m: o, n: plane, k: c, a: weights.value, lda: c, transposeA: false,
                                 b: s.baseAddress!, ldb: plane, c: yi, ldc: plane, accumulate: prefilled)
                        }
                        if relu {
                            for channel in 0..<o { addBiasReLU(yi + channel &* plane, count: plane, bias: bias?[channel] ?? 0) }
                        }
                    } catch {
                        errors.record(error)
                    }
                }
                failure = errors.first
            }
        }
        if let failure { throw failure }
        return output
    }

    /// `dL/dinput`; adds `dL/dweight` and, for learned shifts, `dL/dshifts`, both summed over the
    /// images in order.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let input = try savedInput.value()
        let (n, c, o, plane, geometry) = try checked(input.shape)
        let size = geometry.outputSize!
        try checkGradOutput(gradOutput, expected: [n, o] + size)
        let (h, w) = (input.shape[2], input.shape[3])
        let learns = shift.shifts != nil
        var shiftPartials = [T](repeating: 0, count: learns ? n * c * 2 : 0)
        var failure: Error?
        // Each chunk of images' weight gradient (the products accumulate image after image; the
        // chunks are summed in order below), in a tensor so that its buffer is recycled step after
        // step.
        let chunks = ImageChunks(images: n)
        var result: Tensor<T>?
        let weightPartials = try Tensor<T>(shape: [chunks.count * o * c]) { wpBuffer in
            result = try Tensor<T>(shape: input.shape) { gx in
                let gxp = SharedPointer(gx.baseAddress!)
                shiftPartials.withUnsafeMutableBufferPointer { spBuffer in
                    let (wp, sp) = (SharedPointer(wpBuffer.baseAddress!), spBuffer.baseAddress.map(SharedPointer.init))
                    conv.weight.value.withDenseBuffer { wt in
                        gradOutput.withDenseBuffer { gy in
                            let (weights, grads) = (UncheckedBox(wt.baseAddress!), UncheckedBox(gy.baseAddress!))
                            let errors = ErrorSlot()
                            parallelFor(chunks.count) { chunk in
                                for image in chunks.images(chunk) {
                                    do {
                                        let gyi = grads.value + image &* o &* plane
                                        let tile = try shiftedTile(input, image, geometry)
                                        // dW_image = g [O, P] x tile^T [P, C].
                                        tile.withDenseBuffer { s in
                                            gemm(m: o, n: c, k: plane, a: gyi, lda: plane, transposeA: false,
                                                 b: s.baseAddress!, ldb: plane, transposeB: true,
                                                 c: wp.base + chunk &* o &* c, ldc: c,
                                                 accumulate: image != chunks.images(chunk).lowerBound)
                                        }
                                        // The shifted tile's gradient W^T g, back through the shift.
                                        let gTile = try Tensor<T>(shape: [1, c] + size) { gs in
                                            gemm(m: c, n: plane, k: o, a: weights.value, lda: c, transposeA: true,
                                                 b: gyi, ldb: plane, c: gs.baseAddress!, ldc: plane, accumulate: false)
                                        }
                                        let image4 = try input.sliced(axis: 0, range: image..<(image + 1))
                                        let gradients = try Parallelism.$threadLimit.withValue(1) {
                                            try shift2dBackward(gradOutput: gTile, input: image4, shifts: table,
                                                                mode: shift.layer.mode, padding: shift.layer.padding, geometry: geometry)
                                        }
                                        gradients.input.withDenseBuffer { g in
                                            (gxp.base + image &* c &* h &* w).update(from: g.baseAddress!, count: c &* h &* w)
                                        }
                                        if let sp, let table = gradients.shifts {
                                            table.withDenseBuffer { t in (sp.base + image &* c &* 2).update(from: t.baseAddress!, count: c &* 2) }
                                        }
                                    } catch {
                                        errors.record(error)
                                    }
                                }
                            }
                            failure = errors.first
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        let gradInput = result!
        conv.weight.accumulate(weightPartials.withDenseBuffer { sumOverImages($0, images: chunks.count, size: o * c) })
        if let shifts = shift.shifts { shifts.accumulate(sumOverImages(shiftPartials, images: n, size: c * 2)) }
        return gradInput
    }

    /// The unfused layers' rows: the fused op does the same arithmetic.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        let shifted = try shift.count(inputShape: shape, path: joinPath(path, "shift2"), rows: &rows)
        return try conv.count(inputShape: shifted, path: joinPath(path, "conv2"), rows: &rows)
    }
}

/// The first error thrown by any of a parallel loop's tasks.
final class ErrorSlot: Sendable {
    private let error = Locked<(any Error)?>(nil)

    func record(_ error: any Error) { self.error.withLock { if $0 == nil { $0 = error } } }
    var first: (any Error)? { error.withLock { $0 } }
}

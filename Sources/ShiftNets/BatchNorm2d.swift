import ShiftOps

/// Batch normalisation over `[N, C, H, W]`, as PyTorch's `nn.BatchNorm2d`.
///
/// Training: `y = gamma * (x - mean) / sqrt(var + eps) + beta` with the batch's per-channel mean and
/// biased variance, and running statistics updated as `r = (1 - momentum) * r + momentum * stat`
/// (the unbiased variance for `runningVar`). Evaluation uses the running statistics.
/// Blocks of channels run in parallel, each channel summed in fixed lanes combined in a fixed
/// order, so the bits do not depend on the thread count. A residual block runs a BN followed by a
/// ReLU as one pass (`forward(_:fusingReLU:)`); in evaluation mode the layer before folds it in
/// (``Conv2d``, ``ShiftPointwiseConv``).
public final class BatchNorm2d<T: NetScalar>: Module<T> {
    /// `gamma`, `[C]`, PyTorch's `weight`; starts at 1.
    public let weight: Parameter<T>
    /// `beta`, `[C]`; starts at 0.
    public let bias: Parameter<T>
    /// The running mean, `[C]` (a buffer: saved, not learned).
    public let runningMean: Parameter<T>
    /// The running variance, `[C]` (a buffer).
    public let runningVar: Parameter<T>
    /// Added to the variance before the square root.
    public let epsilon: T
    /// The weight of the newest batch in the running statistics.
    public let momentum: T
    /// What the backward needs: the input (the layer before's output, kept without a copy), the
    /// batch means and inverse standard deviations, and whether a ReLU was fused. Keeping the input
    /// rather than the normalised values spares the forward a write of the whole activation.
    private var saved = SavedForBackward<(input: Tensor<T>, mean: [T], inverseStd: [T], relu: Bool)>()

    /// A layer for `channels` channels.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `channels` when it is below 1.
    public init(channels: Int, epsilon: T = 1e-5, momentum: T = 0.1) throws {
        guard channels >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 1, got \(channels)")
        }
        weight = Parameter(try Tensor(shape: [channels], repeating: 1))
        bias = Parameter(try Tensor(shape: [channels]))
        runningMean = Parameter(try Tensor(shape: [channels]))
        runningVar = Parameter(try Tensor(shape: [channels], repeating: 1))
        (self.epsilon, self.momentum) = (epsilon, momentum)
    }

    /// The channel count.
    public var channels: Int { weight.value.count }

    /// `weight` and `bias`.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { [("weight", weight), ("bias", bias)] }
    /// `running_mean` and `running_var`, PyTorch's buffer names.
    public override var ownBuffers: [(name: String, parameter: Parameter<T>)] {
        [("running_mean", runningMean), ("running_var", runningVar)]
    }

    private func check(_ shape: [Int], _ argument: String) throws {
        guard shape.count == 4, shape[1] == channels else {
            throw ShiftOpsError(.shapeMismatch, argument: argument, "expected [N, \(channels), H, W], got \(shape)")
        }
        guard !isTraining || shape[0] * shape[2] * shape[3] > 1 else {
            throw ShiftOpsError(.invalidArgument, argument: argument,
                                "training-mode batch norm needs more than one value per channel, got \(shape)")
        }
    }

    /// Normalises `[N, C, H, W]`.
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> { try forward(input, fusingReLU: false) }

    /// Normalises `[N, C, H, W]` and, with `relu`, applies a ReLU in the same pass over the data
    /// (`v <= 0` gives 0; NaN stays NaN, as PyTorch's ReLU). ``backward(_:)`` then differentiates
    /// both; the ReLU's mask is recomputed from the saved input, so nothing more is kept.
    ///
    /// Each channel is normalised as `y = a * x + b` with `a = gamma / sqrt(var + eps)` and
    /// `b = beta - mean * a`. Blocks of whole channels run in parallel; a channel's statistics are
    /// summed in fixed lanes combined in a fixed order, so the bits do not depend on the thread
    /// count.
    @_specialize(where T == Float)
    func forward(_ input: Tensor<T>, fusingReLU relu: Bool) throws -> Tensor<T> {
        try check(input.shape, "input")
        let (n, c, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        let gamma = weight.value.elements, beta = bias.value.elements
        var runningMeans = runningMean.value.elements, runningVars = runningVar.value.elements
        // The batch means and inverse standard deviations in training, for the backward.
        var means = runningMeans, inverseStd = [T](repeating: 0, count: c)
        let training = isTraining, eps = epsilon, momentum = momentum
        let output = try Tensor<T>(shape: input.shape) { y in
            let yp = SharedPointer(y.baseAddress!)
            input.withDenseBuffer { x in
                runningMeans.withUnsafeMutableBufferPointer { rm in
                    runningVars.withUnsafeMutableBufferPointer { rv in
                        means.withUnsafeMutableBufferPointer { meanBuffer in
                            inverseStd.withUnsafeMutableBufferPointer { invBuffer in
                                let (rmp, rvp) = (SharedPointer(rm.baseAddress!), SharedPointer(rv.baseAddress!))
                                let (mp, ip) = (SharedPointer(meanBuffer.baseAddress!), SharedPointer(invBuffer.baseAddress!))
                                parallelForChannelBlocks(channels: c, valuesPerChannel: n &* plane) { channels in
                                    for ch in channels {
                                        let rows = ChannelRows(base: x.baseAddress! + ch &* plane, rows: n, length: plane,
                                                               stride: c &* plane)
                                        var mean = rmp.base[ch], variance = rvp.base[ch]
                                        if training {
                                            let moments = channelMoments(rows)
                                            mean = moments.sum / T(moments.count)
                                            variance = moments.squaredDeviations / T(moments.count)
                                            // The batch's biased variance normalises; the running one is unbiased, as PyTorch.
                                            rmp.base[ch] = (1 - momentum) * rmp.base[ch] + momentum * mean
                                            rvp.base[ch] = (1 - momentum) * rvp.base[ch]
                                                + momentum * moments.squaredDeviations / T(Swift.max(moments.count - 1, 1))
                                        }
                                        let inv = 1 / (variance + eps).squareRoot()
                                        (mp.base[ch], ip.base[ch]) = (mean, inv)
                                        let a = gamma[ch] * inv
                                        channelAffine(rows, out: yp.base + ch &* plane, scale: a, shift: beta[ch] - mean * a,
                                                      relu: relu)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            runningMean.value = try Tensor(shape: [c], elements: runningMeans)
            runningVar.value = try Tensor(shape: [c], elements: runningVars)
        }
        saved.keep((input, means, inverseStd, relu), training: training)
        return output
    }

    /// `dL/dinput`; adds `dL/dweight` and `dL/dbias`. In training mode the batch statistics are
    /// differentiated too: `dx = gamma * invStd / M * (M * g - sum g - xhat * sum(g * xhat))`,
    /// with `xhat = (x - mean) * invStd` recomputed from the saved input.
    /// After a forward that fused a ReLU, `g` is first zeroed where the output was `<= 0`.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let saved = try self.saved.value()
        let shape = saved.input.shape
        try checkGradOutput(gradOutput, expected: shape)
        let (n, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let m = T(n * plane)
        let gamma = weight.value.elements, beta = bias.value.elements, relu = saved.relu
        var dGamma = [T](repeating: 0, count: c), dBeta = [T](repeating: 0, count: c)
        let gradInput = try Tensor<T>(shape: shape) { gx in
            let gxp = SharedPointer(gx.baseAddress!)
            dGamma.withUnsafeMutableBufferPointer { dgBuffer in
                dBeta.withUnsafeMutableBufferPointer { dbBuffer in
                    let (dgp, dbp) = (SharedPointer(dgBuffer.baseAddress!), SharedPointer(dbBuffer.baseAddress!))
                    gradOutput.withDenseBuffer { g in
                        saved.input.withDenseBuffer { x in
                            parallelForChannelBlocks(channels: c, valuesPerChannel: n &* plane) { channels in
                                for ch in channels {
                                    let (mean, inv) = (saved.mean[ch], saved.inverseStd[ch])
                                    // The forward's affine map, for the fused ReLU's mask.
                                    let a = gamma[ch] * inv, b = beta[ch] - mean * a
                                    let gRows = ChannelRows(base: g.baseAddress! + ch &* plane, rows: n, length: plane,
                                                            stride: c &* plane)
                                    let xRows = ChannelRows(base: x.baseAddress! + ch &* plane, rows: n, length: plane,
                                                            stride: c &* plane)
                                    let (sg, sgx) = channelGradientSums(g: gRows, x: xRows, mean: mean, inv: inv,
                                                                        scale: a, shift: b, relu: relu)
                                    (dbp.base[ch], dgp.base[ch]) = (sg, sgx)
                                    channelInputGradient(g: gRows, x: xRows, out: gxp.base + ch &* plane, mean: mean, inv: inv,
                                                         scale: a, shift: b, relu: relu, k: gamma[ch] * inv / m, sg: sg, sgx: sgx)
                                }
                            }
                        }
                    }
                }
            }
        }
        weight.accumulate(dGamma)
        bias.accumulate(dBeta)
        return gradInput
    }

    /// The evaluation-mode map `y = scale * x + shift` per channel, from the running statistics:
    /// `scale = gamma / sqrt(runningVar + eps)`, `shift = beta - runningMean * scale`.
    @_specialize(where T == Float)
    func evaluationScaleAndShift() -> (scale: [T], shift: [T]) {
        let gamma = weight.value.elements, beta = bias.value.elements
        let mean = runningMean.value.elements, variance = runningVar.value.elements
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        return (scale, (0..<channels).map { beta[$0] - mean[$0] * scale[$0] })
    }

    /// Forgets what the last training forward kept, as an evaluation-mode forward does: for a BN
    /// whose work the layer before it did (an evaluation-mode fold).
    func forgetSaved() { saved = SavedForBackward() }

    /// One row: `2C` parameters, no MACs; the normalisation's elements listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        guard shape.count == 4, shape[1] == channels else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(channels), H, W], got \(shape)")
        }
        rows.append(LayerCount(path: path, kind: "bn", outputShape: Array(shape.dropFirst()), parameters: 2 * channels,
                               macs: 0, otherOps: shape.dropFirst().reduce(1, *)))
        return shape
    }
}

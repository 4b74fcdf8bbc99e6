import ShiftOps

/// Batch normalisation over `[N, C, H, W]`, as PyTorch's `nn.BatchNorm2d`.
///
/// Training: `y = gamma * (x - mean) / sqrt(var + eps) + beta` with the batch's per-channel mean and
/// biased variance, and running statistics updated as `r = (1 - momentum) * r + momentum * stat`
/// (the unbiased variance for `runningVar`). Evaluation uses the running statistics.
/// Channels run in parallel, each summed in a fixed order. A residual block runs a BN followed by a
/// ReLU as one pass (`forward(_:fusingReLU:)`).
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
    /// What the backward needs: `xhat` (a tensor, so that its buffer is recycled step after step),
    /// the inverse standard deviations, the input shape, and whether a ReLU was fused.
    private var saved = SavedForBackward<(normalized: Tensor<T>, inverseStd: [T], shape: [Int], relu: Bool)>()

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
    /// both; the ReLU's mask is recomputed from the saved normalised values, so nothing more is kept.
    @_specialize(where T == Float)
    func forward(_ input: Tensor<T>, fusingReLU relu: Bool) throws -> Tensor<T> {
        try check(input.shape, "input")
        let (n, c, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        let m = n * plane
        let gamma = weight.value.elements, beta = bias.value.elements
        var means = runningMean.value.elements, variances = runningVar.value.elements
        var inverseStd = [T](repeating: 0, count: c)
        let training = isTraining, eps = epsilon
        // The normalised values are written in the same pass as the output; in evaluation mode
        // nothing is kept (an empty tensor).
        var result: Tensor<T>?
        let normalized = try Tensor<T>(shape: [training ? n * c * plane : 0]) { xhatBuffer in
            let hp = training ? xhatBuffer.baseAddress.map(SharedPointer.init) : nil
            result = try Tensor<T>(shape: input.shape) { y in
                let yp = SharedPointer(y.baseAddress!)
                input.withDenseBuffer { x in
                    means.withUnsafeMutableBufferPointer { meanBuffer in
                        variances.withUnsafeMutableBufferPointer { varBuffer in
                            inverseStd.withUnsafeMutableBufferPointer { invBuffer in
                                let (mp, vp, ip) = (SharedPointer(meanBuffer.baseAddress!), SharedPointer(varBuffer.baseAddress!),
                                                    SharedPointer(invBuffer.baseAddress!))
                                parallelFor(c) { ch in
                                    var mean: T, variance: T
                                    if training {
                                        var s: T = 0
                                        for image in 0..<n {
                                            let row = x.baseAddress! + (image &* c &+ ch) &* plane
                                            for p in 0..<plane { s += row[p] }
                                        }
                                        mean = s / T(m)
                                        var q: T = 0
                                        for image in 0..<n {
                                            let row = x.baseAddress! + (image &* c &+ ch) &* plane
                                            for p in 0..<plane { let d = row[p] - mean; q += d * d }
                                        }
                                        variance = q / T(m)
                                        // The batch's biased variance normalises; the running one is unbiased, as PyTorch.
                                        mp.base[ch] = (1 - self.momentum) * meanBuffer[ch] + self.momentum * mean
                                        vp.base[ch] = (1 - self.momentum) * varBuffer[ch]
                                            + self.momentum * q / T(Swift.max(m - 1, 1))
                                    } else {
                                        (mean, variance) = (meanBuffer[ch], varBuffer[ch])
                                    }
                                    let inv = 1 / (variance + eps).squareRoot()
                                    ip.base[ch] = inv
                                    for image in 0..<n {
                                        let offset = (image &* c &+ ch) &* plane
                                        let row = x.baseAddress! + offset, out = yp.base + offset
                                        for p in 0..<plane {
                                            let xhat = (row[p] - mean) * inv
                                            if let hp { hp.base[offset &+ p] = xhat }
                                            let v = gamma[ch] * xhat + beta[ch]
                                            out[p] = relu && v <= 0 ? 0 : v
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let output = result!
        if training {
            runningMean.value = try Tensor(shape: [c], elements: means)
            runningVar.value = try Tensor(shape: [c], elements: variances)
        }
        saved.keep((normalized, inverseStd, input.shape, relu), training: training)
        return output
    }

    /// `dL/dinput`; adds `dL/dweight` and `dL/dbias`. In training mode the batch statistics are
    /// differentiated too: `dx = gamma * invStd / M * (M * g - sum g - xhat * sum(g * xhat))`.
    /// After a forward that fused a ReLU, `g` is first zeroed where the output was `<= 0`.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let saved = try self.saved.value()
        try checkGradOutput(gradOutput, expected: saved.shape)
        let (n, c, plane) = (saved.shape[0], saved.shape[1], saved.shape[2] * saved.shape[3])
        let m = T(n * plane)
        let gamma = weight.value.elements, beta = bias.value.elements, relu = saved.relu
        var dGamma = [T](repeating: 0, count: c), dBeta = [T](repeating: 0, count: c)
        let gradInput = try Tensor<T>(shape: saved.shape) { gx in
            let gxp = SharedPointer(gx.baseAddress!)
            dGamma.withUnsafeMutableBufferPointer { dgBuffer in
                dBeta.withUnsafeMutableBufferPointer { dbBuffer in
                    let (dgp, dbp) = (SharedPointer(dgBuffer.baseAddress!), SharedPointer(dbBuffer.baseAddress!))
                    gradOutput.withDenseBuffer { g in
                        saved.normalized.withDenseBuffer { xhat in
                            parallelFor(c) { ch in
                                let inv = saved.inverseStd[ch]
                                let (scaleOut, shiftOut) = (gamma[ch], beta[ch])
                                // The fused ReLU's gradient: the output recomputed as the forward did.
                                @inline(__always) func gradient(_ i: Int) -> T {
                                    relu && scaleOut * xhat[i] + shiftOut <= 0 ? 0 : g[i]
                                }
                                var sg: T = 0, sgx: T = 0
                                for image in 0..<n {
                                    let offset = (image &* c &+ ch) &* plane
                                    for p in 0..<plane {
                                        let gv = gradient(offset &+ p)
                                        sg += gv
                                        sgx += gv * xhat[offset &+ p]
                                    }
                                }
                                dbp.base[ch] = sg
                                dgp.base[ch] = sgx
                                let scale = gamma[ch] * inv / m
                                for image in 0..<n {
                                    let offset = (image &* c &+ ch) &* plane
                                    for p in 0..<plane {
                                        gxp.base[offset &+ p] = scale * (m * gradient(offset &+ p) - sg - xhat[offset &+ p] * sgx)
                                    }
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

import ShiftOps

/// A convolution's weights with the evaluation-mode batch norm after it folded in, kept between
/// calls.
///
/// In evaluation mode a BN is a fixed per-channel map `y = s * v + t` with
/// `s = gamma / sqrt(runningVar + eps)` and `t = beta - runningMean * s`, so a convolution followed
/// by it is one convolution with output channel `o`'s weights scaled by `s[o]` and the bias
/// `b[o] * s[o] + t[o]` (`b` the convolution's own bias, or 0). Computing that costs a pass over
/// the weights, so it is done once and reused until one of the tensors it came from changes.
///
/// A change is seen without counters: the fold keeps the tensors it was computed from, and tensors
/// are copy-on-write values, so while the fold holds one, any write to the parameter's value (in
/// place or by assignment) gives the parameter new storage. The same storage, shape, strides and
/// offset therefore mean the same numbers.
final class BatchNormFold<T: NetScalar> {
    /// The tensors the fold was computed from: the weight, the bias when there is one, then the
    /// BN's gamma, beta, running mean and running variance.
    private var sources: [Tensor<T>] = []
    /// The BN folded in (its epsilon is a constant of the layer).
    private var batchNorm: ObjectIdentifier?
    /// The scaled weights, the weight's shape.
    private(set) var weights: Tensor<T>?
    /// The per-output-channel bias.
    private(set) var bias: [T] = []
    /// How many times the fold was computed: the tests check that a forward reuses it.
    private(set) var computations = 0

    /// The folded weights and bias for `weight` `[O, ...]` (and `ownBias` `[O]`) followed by `bn`,
    /// recomputed only when one of those tensors changed since the last call.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `bn` when its channel count is not `O`.
    @_specialize(where T == Float)
    func values(weight: Tensor<T>, bias ownBias: Tensor<T>?, batchNorm bn: BatchNorm2d<T>) throws -> (weights: Tensor<T>, bias: [T]) {
        let outChannels = weight.shape[0]
        guard bn.channels == outChannels else {
            throw ShiftOpsError(.shapeMismatch, argument: "bn", "expected \(outChannels) channels, got \(bn.channels)")
        }
        let current = [weight] + (ownBias.map { [$0] } ?? [])
            + [bn.weight.value, bn.bias.value, bn.runningMean.value, bn.runningVar.value]
        if let weights, batchNorm == ObjectIdentifier(bn), sources.count == current.count,
           zip(sources, current).allSatisfy({ $0.isSameView(as: $1) }) {
            return (weights, bias)
        }
        let (scale, shift) = bn.evaluationScaleAndShift()
        let perRow = weight.count / outChannels
        let scaled = try Tensor<T>(shape: weight.shape) { out in
            weight.withDenseBuffer { w in
                for o in 0..<outChannels {
                    let s = scale[o], start = o &* perRow
                    for i in start..<(start &+ perRow) { out[i] = w[i] * s }
                }
            }
        }
        let own = ownBias?.elements
        bias = (0..<outChannels).map { o in (own.map { $0[o] } ?? 0) * scale[o] + shift[o] }
        (weights, sources, batchNorm) = (scaled, current, ObjectIdentifier(bn))
        computations += 1
        return (scaled, bias)
    }
}

extension Tensor {
    /// Whether both tensors view the same storage the same way, and so hold the same elements.
    func isSameView(as other: Tensor) -> Bool {
        shape == other.shape && strides == other.strides && offset == other.offset && sharesStorage(with: other)
    }
}

/// In evaluation mode, a ``Conv2d`` or ``ShiftPointwiseConv`` at `index` of `layers` directly
/// followed by a ``BatchNorm2d`` of its output channels (and optionally by a plain ``ReLU``) runs as
/// one convolution with the BN folded in, its bias and ReLU applied while each image's output is
/// in cache. Returns the output and how many layers it covered, or nil when the layers there do
/// not fold: training mode, other layer kinds, or a finite check running (which must see each
/// layer's own output).
@_specialize(where T == Float)
func foldedEvaluationStep<T: NetScalar>(_ layers: [(name: String, module: Module<T>)], at index: Int,
                                        _ input: Tensor<T>) throws -> (output: Tensor<T>, consumed: Int)? {
    guard FiniteOutputCheck.path == nil, index + 1 < layers.count,
          let bn = layers[index + 1].module as? BatchNorm2d<T>, !bn.isTraining else { return nil }
    let reluLayer = index + 2 < layers.count ? layers[index + 2].module as? ReLU<T> : nil
    let layer = layers[index].module
    let output: Tensor<T>
    if let conv = layer as? Conv2d<T>, !conv.isTraining, bn.channels == conv.outChannels {
        output = try conv.forward(input, foldingBatchNorm: bn, relu: reluLayer != nil)
    } else if let fused = layer as? ShiftPointwiseConv<T>, !fused.isTraining, bn.channels == fused.conv.outChannels {
        output = try fused.forward(input, foldingBatchNorm: bn, relu: reluLayer != nil)
    } else {
        return nil
    }
    // The layers folded in did not run: as their own evaluation-mode forward would, they forget
    // what an earlier training forward kept, so that no backward reads it.
    bn.forgetSaved()
    reluLayer?.forgetSaved()
    return (output, reluLayer == nil ? 2 : 3)
}

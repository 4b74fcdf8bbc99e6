import ShiftOps

/// In evaluation mode, a ``Conv2d`` or ``ShiftPointwiseConv`` at `index` of `layers` directly followed by a ``BatchNorm2d``
/// of its output channels (and optionally a plain ``ReLU``) runs as one convolution with the BN
/// folded into its weights and bias: the output and the ReLU come out of one pass instead of three.
/// Returns the output and how many layers it covered, or nil when the layers there do not fold
/// (training mode, another layer kind, or a finite check running, which must see each layer's own
/// output).
@_specialize(where T == Float)
func foldedEvaluationStep<T: NetScalar>(_ layers: [(name: String, module: Module<T>)], at index: Int,
                                        _ input: Tensor<T>) throws -> (output: Tensor<T>, consumed: Int)? {
    guard FiniteOutputCheck.path == nil, index + 1 < layers.count,
          let bn = layers[index + 1].module as? BatchNorm2d<T>, !bn.isTraining else { return nil }
    let relu = index + 2 < layers.count && type(of: layers[index + 2].module) == ReLU<T>.self
    let layer = layers[index].module
    if let conv = layer as? Conv2d<T>, !conv.isTraining, bn.channels == conv.outChannels {
        return (try conv.forward(input, foldingBatchNorm: bn, relu: relu), relu ? 3 : 2)
    }
    if let fused = layer as? ShiftPointwiseConv<T>, !fused.isTraining, bn.channels == fused.conv.outChannels {
        return (try fused.forward(input, foldingBatchNorm: bn, relu: relu), relu ? 3 : 2)
    }
    return nil
}

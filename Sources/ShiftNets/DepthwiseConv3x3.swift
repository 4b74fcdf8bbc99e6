import ShiftOps

/// A 3x3 depthwise convolution, stride 1, padding 1, no bias: the shift's twin. Runs ShiftOps'
/// CPU kernel; the weight is PyTorch's `[C, 1, 3, 3]`.
public final class DepthwiseConv3x3<T: NetScalar>: Module<T> {
    /// `[C, 1, 3, 3]`.
    public let weight: Parameter<T>
    private var savedInput = SavedForBackward<Tensor<T>>()

    /// A layer with He-uniform weights (fan-in 9) drawn from `seed`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `channels` when below 1.
    public init(channels: Int, seed: UInt64) throws {
        guard channels >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 1, got \(channels)")
        }
        let bound = T((6.0 / 9.0).squareRoot())
        weight = Parameter(try Tensor<T>.random(shape: [channels, 1, 3, 3], in: -bound...bound, seed: seed))
    }

    /// `weight`.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { [("weight", weight)] }

    private var kernel: Tensor<T> {
        // Same elements, the kernel's [C, 3, 3] shape.
        try! Tensor(shape: [weight.value.shape[0], 3, 3], elements: weight.value.elements)
    }

    /// `[N, C, H, W]` to the same shape.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        let y = try depthwiseConv2d(input, weight: kernel, padding: 1, stride: 1)
        savedInput.keep(input, training: isTraining)
        return y
    }

    /// `dL/dinput`; adds `dL/dweight`.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let input = try savedInput.value()
        let (gx, gw) = try depthwiseConv2dBackward(gradOutput: gradOutput, input: input, weight: kernel, padding: 1, stride: 1)
        weight.accumulate(gw.elements)
        return gx
    }

    /// One row: `9C` parameters and `9 * C * H * W` MACs.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        let c = weight.value.shape[0]
        guard shape.count == 4, shape[1] == c else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(c), H, W], got \(shape)")
        }
        rows.append(LayerCount(path: path, kind: "dwconv3x3", outputShape: Array(shape.dropFirst()),
                               parameters: 9 * c, macs: 9 * shape.dropFirst().reduce(1, *), otherOps: 0))
        return shape
    }
}

import ShiftOps

/// The per-layer parameters and multiply-accumulates of a network for one image.
///
/// Convention: parameters are the element counts of all learned tensors (BN's scale and bias
/// included; running statistics and grouped shift tables not; an active or sparse shift has 2 per
/// channel). MACs are the multiply-accumulates of the convolutions (`O * H' * W' * C/G * K * K`)
/// and the linear layer (`in * out`). The active shift's interpolation (4 multiplies per output
/// element), BN, ReLU, pooling and residual adds are listed apart as ``otherOps``.
public struct NetworkCount: Equatable, Sendable, Codable {
    /// The network's name.
    public var model: String
    /// The input, `[C, H, W]`.
    public var inputShape: [Int]
    /// One row per layer in forward order.
    public var layers: [LayerCount]
    /// The sum of the rows' parameters.
    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }
    /// The sum of the rows' MACs.
    public var macs: Int { layers.reduce(0) { $0 + $1.macs } }
    /// The sum of the rows' other operations.
    public var otherOps: Int { layers.reduce(0) { $0 + $1.otherOps } }

    /// Counts `architecture` for one `[inputChannels, size, size]` image.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` when the network cannot take that input (naming `input`).
    public init(_ architecture: Architecture, imageSize: Int = 32) throws {
        let network = try architecture.build(seed: 0, as: Float.self)
        try self.init(network, model: architecture.name, inputShape: [architecture.inputChannels, imageSize, imageSize])
    }

    /// Counts a built network for one image of `inputShape` (`[C, H, W]`).
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` when the network cannot take that input (naming `input`).
    public init<T: NetScalar>(_ network: Module<T>, model: String, inputShape: [Int]) throws {
        var rows: [LayerCount] = []
        _ = try network.count(inputShape: [1] + inputShape, path: "", rows: &rows)
        (self.model, self.inputShape, layers) = (model, inputShape, rows)
        // Parameters a layer owns but did not report (a custom module) still count.
        let reported = parameters
        let actual = network.parameterCount
        if actual != reported {
            layers.append(LayerCount(path: "(other)", kind: "other", outputShape: [], parameters: actual - reported,
                                     macs: 0, otherOps: 0))
        }
    }
}

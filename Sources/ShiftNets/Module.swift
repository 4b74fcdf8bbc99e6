import Foundation
import ShiftOps

/// A network layer or a container of layers: forward, backward, parameters by path, train/eval.
///
/// Paths follow PyTorch's `state_dict` names: a child's parameters are prefixed with the child's
/// name and a dot (`stage1.block0.conv1.weight`). ``backward(_:)`` reads what the last
/// ``forward(_:)`` saved, adds to each parameter's gradient and returns `dL/dinput`.
///
/// ```swift
/// let net = try ShiftResNet.make(.shiftResNet(depth: 20, expansion: 3), seed: 1)
/// let logits = try net.forward(images)                  // [N, 10]
/// let (loss, g) = try softmaxCrossEntropy(logits: logits, labels: labels)
/// _ = try net.backward(g)
/// try optimizer.update(net)                              // SGD from ShiftOps, state by path
/// ```
public class Module<T: NetScalar> {
    /// Whether the module is in training mode (batch statistics in BN) or evaluation mode.
    public private(set) var isTraining = true

    init() {}

    /// The direct sub-modules with their names, in a fixed order.
    public var children: [(name: String, module: Module<T>)] { [] }
    /// This module's own learned tensors (not its children's), by name.
    public var ownParameters: [(name: String, parameter: Parameter<T>)] { [] }
    /// This module's own state that is saved but not learned (BN running statistics), by name.
    public var ownBuffers: [(name: String, parameter: Parameter<T>)] { [] }

    /// The forward pass; training-mode layers save what their backward needs.
    ///
    /// - Throws: ``ShiftOpsError`` naming `input` when its shape does not fit the layer.
    public func forward(_ input: Tensor<T>) throws -> Tensor<T> { input }

    /// The backward pass for the last forward: adds to the parameters' gradients and returns
    /// `dL/dinput`.
    ///
    /// - Throws: ``ShiftOpsError`` naming `gradOutput` for a shape other than the last output's,
    ///   or `forward` when no forward has run.
    public func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> { gradOutput }

    /// Appends one row per layer that has parameters or work to `rows` for an input of `shape`
    /// (`[1, C, H, W]`) and returns the output shape.
    ///
    /// - Throws: ``ShiftOpsError`` naming `input` for a shape the layer cannot take.
    public func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        var current = shape
        for (name, child) in children {
            current = try child.count(inputShape: current, path: joinPath(path, name), rows: &rows)
        }
        return current
    }

    /// Sets training mode here and in every descendant.
    public func train() { setTraining(true) }
    /// Sets evaluation mode here and in every descendant.
    public func eval() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        isTraining = on
        for (_, child) in children { child.setTraining(on) }
    }

    /// Every learned tensor of the tree, by path, in a fixed order.
    public func namedParameters(prefix: String = "") -> [(path: String, parameter: Parameter<T>)] {
        var result = ownParameters.map { (joinPath(prefix, $0.name), $0.parameter) }
        for (name, child) in children { result += child.namedParameters(prefix: joinPath(prefix, name)) }
        return result
    }

    /// Every saved but not learned tensor of the tree (BN running statistics), by path.
    public func namedBuffers(prefix: String = "") -> [(path: String, parameter: Parameter<T>)] {
        var result = ownBuffers.map { (joinPath(prefix, $0.name), $0.parameter) }
        for (name, child) in children { result += child.namedBuffers(prefix: joinPath(prefix, name)) }
        return result
    }

    /// The parameters' values by path: what ``SGD/update(_:gradients:)`` takes.
    public func parameters() -> [String: Tensor<T>] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.path, $0.parameter.value) })
    }

    /// The parameters' gradients by path.
    public func gradients() -> [String: Tensor<T>] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.path, $0.parameter.gradient) })
    }

    /// Replaces parameter values by path; paths not given keep their values.
    ///
    /// - Throws: ``ShiftOpsError`` naming `parameters` for an unknown path or a wrong shape; on a
    ///   throw nothing has changed.
    public func update(parameters values: [String: Tensor<T>]) throws {
        let all = Dictionary(uniqueKeysWithValues: (namedParameters() + namedBuffers()).map { ($0.path, $0.parameter) })
        for (path, value) in values {
            guard let p = all[path] else {
                throw ShiftOpsError(.invalidArgument, argument: "parameters", "no parameter or buffer named \"\(path)\"")
            }
            guard p.value.shape == value.shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "parameters",
                                    "\"\(path)\" has shape \(p.value.shape), got \(value.shape)")
            }
        }
        for (path, value) in values { all[path]!.value = value }
    }

    /// Clears every parameter's gradient.
    public func zeroGradients() {
        for (_, p) in namedParameters() { p.zeroGradient() }
    }

    /// The number of learned elements (SPEC §11's parameter count).
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.count } }
}

/// One row of a count: a layer's path, kind, output shape, parameters and multiply-accumulates.
public struct LayerCount: Equatable, Sendable, Codable {
    /// The layer's path (`stage1.block0.conv1`).
    public var path: String
    /// What the layer is (`conv3x3`, `conv1x1`, `bn`, `shift(grouped)`, `linear`, ...).
    public var kind: String
    /// The output shape for one image, `[C, H, W]` or `[features]`.
    public var outputShape: [Int]
    /// Learned elements (SPEC §11).
    public var parameters: Int
    /// Multiply-accumulates of convolutions and the linear layer (SPEC §11); 0 for the rest.
    public var macs: Int
    /// Work listed apart from MACs: the active shift's interpolation multiplies, BN, ReLU, pooling
    /// and residual-add element operations.
    public var otherOps: Int
}

/// Runs children one after another.
public final class Sequential<T: NetScalar>: Module<T> {
    private let layers: [(name: String, module: Module<T>)]

    /// A chain of named layers, run in order.
    public init(_ layers: [(String, Module<T>)]) {
        self.layers = layers.map { (name: $0.0, module: $0.1) }
    }

    /// The layers in order.
    public override var children: [(name: String, module: Module<T>)] { layers }

    /// Each layer's forward in turn.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        try layers.reduce(input) { try $1.module.forward($0) }
    }

    /// Each layer's backward in reverse order.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        try layers.reversed().reduce(gradOutput) { try $1.module.backward($0) }
    }
}

/// `prefix.name`, or either alone when the other is empty.
func joinPath(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : name.isEmpty ? prefix : prefix + "." + name
}

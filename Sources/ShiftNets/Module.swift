import Foundation
import ShiftOps

/// A network layer or a container of layers: forward, backward, parameters by path, train/eval.
///
/// Paths follow PyTorch's `state_dict` names: a child's parameters are prefixed with the child's
/// name and a dot (`stage1.block0.conv1.weight`). Layer and parameter names are non-empty and hold
/// no `.` or `/` (so no `..` either), and no two tensors of a tree share a path; the entry points
/// that walk the tree by path (``parameters()``, ``gradients()``, ``update(parameters:)``,
/// ``save(to:)``, ``load(from:strict:checkingValues:)``) throw a ``ShiftOps/ShiftOpsError`` naming `module`
/// otherwise, before anything is read or written. ``backward(_:)`` reads what the last
/// ``forward(_:)`` saved, adds to each parameter's gradient and returns `dL/dinput`.
///
/// ## Writing your own layer
/// Subclass `Module` and override what your layer has:
/// - ``forward(_:)``: the output; save what the backward needs when ``isTraining`` is true (a
///   ``SavedForBackward`` slot keeps it, and refuses a backward that has nothing to read).
/// - ``backward(_:)``: `dL/dinput`, adding `dL/dparameter` with ``Parameter/accumulate(_:)``.
/// - ``ownParameters``: the learned tensors, which ``ShiftOps/SGD`` steps, ``parameterCount`` counts and
///   ``save(to:)`` / ``load(from:strict:checkingValues:)`` keep.
/// - ``ownBuffers``: state that is saved but not learned (running statistics).
/// - ``children``: the named sub-modules of a container (their forward is yours to call, through
///   ``forwardChild(_:named:_:)`` so the finite check can name them).
/// - ``count(inputShape:path:rows:)``: when the layer changes the shape or does multiply-adds
///   (the default lists a leaf layer's parameters with its output the input's shape).
///
/// ```swift
/// /// y[n, c, h, w] = x[n, c, h, w] * scale[c], a learned scale per channel.
/// final class ChannelScale: Module<Float> {
///     let scale: Parameter<Float>
///     private var savedInput: Tensor<Float>?
///
///     init(channels: Int) throws {
///         scale = Parameter(try Tensor(shape: [channels], repeating: 1))
///         super.init()
///     }
///
///     override var ownParameters: [(name: String, parameter: Parameter<Float>)] { [("scale", scale)] }
///
///     override func forward(_ input: Tensor<Float>) throws -> Tensor<Float> {
///         let c = scale.value.count
///         guard input.rank == 4, input.shape[1] == c else {
///             throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(c), H, W], got \(input.shape)")
///         }
///         savedInput = isTraining ? input : nil
///         let s = scale.value.elements, plane = input.shape[2] * input.shape[3]
///         return try Tensor(shape: input.shape, elements: input.elements.enumerated().map { $1 * s[$0 / plane % c] })
///     }
///
///     override func backward(_ gradOutput: Tensor<Float>) throws -> Tensor<Float> {
///         guard let x = savedInput, gradOutput.shape == x.shape else {
///             throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected the last training forward's shape")
///         }
///         let s = scale.value.elements, c = s.count, plane = x.shape[2] * x.shape[3]
///         let g = gradOutput.elements, xs = x.elements
///         var ds = [Float](repeating: 0, count: c)
///         for i in g.indices { ds[i / plane % c] += g[i] * xs[i] }
///         try scale.accumulate(Tensor(shape: [c], elements: ds))
///         return try Tensor(shape: x.shape, elements: g.enumerated().map { $1 * s[$0 / plane % c] })
///     }
/// }
///
/// let net = Sequential<Float>([
///     ("conv1", try Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, seed: 1)),
///     ("scale", try ChannelScale(channels: 8)),
///     ("relu", ReLU()),
///     ("pool", GlobalAveragePool()),
///     ("linear", try Linear(inFeatures: 8, outFeatures: 10, seed: 2)),
/// ])
/// let logits = try net.forward(images)                  // [N, 10]
/// let result = try softmaxCrossEntropy(logits: logits, labels: labels)
/// _ = try net.backward(result.gradient)
/// var optimizer = SGD<Float>(learningRate: 0.1, momentum: 0.9)
/// try optimizer.update(net)                              // SGD from ShiftOps, state by path
/// net.zeroGradients()
/// try net.save(to: folder)                               // folder/scale.scale.npy among the rest
/// ```
open class Module<T: NetScalar> {
    /// Whether the module is in training mode (batch statistics in BN) or evaluation mode.
    public private(set) var isTraining = true

    /// A module in training mode. Subclasses call it from their own initialisers.
    public init() {}

    /// The direct sub-modules with their names, in a fixed order. Override in a container.
    open var children: [(name: String, module: Module<T>)] { [] }
    /// This module's own learned tensors (not its children's), by name. Override in a layer that
    /// learns.
    open var ownParameters: [(name: String, parameter: Parameter<T>)] { [] }
    /// This module's own state that is saved but not learned (BN running statistics), by name.
    open var ownBuffers: [(name: String, parameter: Parameter<T>)] { [] }

    /// The forward pass; training-mode layers save what their backward needs. The default
    /// returns the input.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `input` when its shape does not fit the layer.
    open func forward(_ input: Tensor<T>) throws -> Tensor<T> { input }

    /// The backward pass for the last forward: adds to the parameters' gradients and returns
    /// `dL/dinput`. The default returns `gradOutput`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `gradOutput` for a shape other than the last output's,
    ///   or `forward` when no forward has run.
    open func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> { gradOutput }

    /// Appends one row per layer that has parameters or work to `rows` for an input of `shape`
    /// (`[1, C, H, W]`) and returns the output shape.
    ///
    /// The default walks ``children`` in order; a module without children is listed as one row
    /// (its type as the kind, its parameters, no multiply-adds) whose output is the input's shape.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `input` for a shape the layer cannot take.
    open func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        let children = children
        guard !children.isEmpty else {
            rows.append(LayerCount(path: path, kind: String(describing: type(of: self)), outputShape: Array(shape.dropFirst()),
                                   parameters: parameterCount, macs: 0, otherOps: 0))
            return shape
        }
        var current = shape
        for (name, child) in children {
            current = try child.count(inputShape: current, path: joinPath(path, name), rows: &rows)
        }
        return current
    }

    /// Sets training mode here and in every descendant.
    public final func train() { setTraining(true) }
    /// Sets evaluation mode here and in every descendant.
    public final func eval() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        isTraining = on
        for (_, child) in children { child.setTraining(on) }
    }

    /// Every learned tensor of the tree, by path, in a fixed order.
    public final func namedParameters(prefix: String = "") -> [(path: String, parameter: Parameter<T>)] {
        var result = ownParameters.map { (joinPath(prefix, $0.name), $0.parameter) }
        for (name, child) in children { result += child.namedParameters(prefix: joinPath(prefix, name)) }
        return result
    }

    /// Every saved but not learned tensor of the tree (BN running statistics), by path.
    public final func namedBuffers(prefix: String = "") -> [(path: String, parameter: Parameter<T>)] {
        var result = ownBuffers.map { (joinPath(prefix, $0.name), $0.parameter) }
        for (name, child) in children { result += child.namedBuffers(prefix: joinPath(prefix, name)) }
        return result
    }

    /// Checks every layer, parameter and buffer name and that no two tensors share a path.
    ///
    /// The other entry points that walk the tree by path call it; call it yourself to check a
    /// network once it is built.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` (`invalidArgument`, naming `module`) for an empty name, a name
    ///   holding `.`, `/` or a NUL character, or two tensors under one path.
    public final func checkPaths() throws {
        _ = try checkedTensors()
    }

    /// The parameters' values by path: what ``ShiftOps/SGD/update(_:gradients:)`` takes.
    ///
    /// - Throws: as ``checkPaths()``.
    public final func parameters() throws -> [String: Tensor<T>] {
        try Dictionary(uniqueKeysWithValues: checkedTensors().filter { !$0.isBuffer }.map { ($0.path, $0.parameter.value) })
    }

    /// The parameters' gradients by path.
    ///
    /// - Throws: as ``checkPaths()``.
    public final func gradients() throws -> [String: Tensor<T>] {
        try Dictionary(uniqueKeysWithValues: checkedTensors().filter { !$0.isBuffer }.map { ($0.path, $0.parameter.gradient) })
    }

    /// Replaces parameter and buffer values by path; paths not given keep their values.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `module` as ``checkPaths()`` does, or `parameters` for an
    ///   unknown path or a wrong shape; on a throw nothing has changed.
    public final func update(parameters values: [String: Tensor<T>]) throws {
        let all = Dictionary(uniqueKeysWithValues: try checkedTensors().map { ($0.path, $0.parameter) })
        // Sorted, so that the same wrong input names the same path on every run.
        for path in values.keys.sorted() {
            let value = values[path]!
            guard let p = all[path] else {
                throw ShiftOpsError(.invalidArgument, argument: "parameters", "no parameter or buffer named \"\(path)\"")
            }
            guard p.value.shape == value.shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "parameters",
                                    "\"\(path)\": model has \(p.value.shape), given \(value.shape)")
            }
        }
        for (path, value) in values { all[path]!.value = value }
    }

    /// Clears every parameter's gradient.
    public final func zeroGradients() {
        for (_, p) in namedParameters() { p.zeroGradient() }
    }

    /// The number of learned elements (the sum of every parameter's element count).
    public final var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.count } }
}

/// One row of a count: a layer's path, kind, output shape, parameters and multiply-accumulates.
public struct LayerCount: Equatable, Sendable, Codable {
    /// The layer's path (`stage1.block0.conv1`).
    public var path: String
    /// What the layer is (`conv3x3`, `conv1x1`, `bn`, `shift(grouped)`, `linear`, ...).
    public var kind: String
    /// The output shape for one image, `[C, H, W]` or `[features]`.
    public var outputShape: [Int]
    /// Learned elements.
    public var parameters: Int
    /// Multiply-accumulates of convolutions and the linear layer; 0 for the rest.
    public var macs: Int
    /// Work listed apart from MACs: the active shift's interpolation multiplies, BN, ReLU, pooling
    /// and residual-add element operations.
    public var otherOps: Int

    /// A row as given.
    public init(path: String, kind: String, outputShape: [Int], parameters: Int, macs: Int, otherOps: Int) {
        (self.path, self.kind, self.outputShape) = (path, kind, outputShape)
        (self.parameters, self.macs, self.otherOps) = (parameters, macs, otherOps)
    }
}

/// Runs children one after another.
public final class Sequential<T: NetScalar>: Module<T> {
    private let layers: [(name: String, module: Module<T>)]

    /// A chain of named layers, run in order.
    ///
    /// Names are checked where the tree is walked by path (see ``Module/checkPaths()``).
    public init(_ layers: [(String, Module<T>)]) {
        self.layers = layers.map { (name: $0.0, module: $0.1) }
    }

    /// The layers in order.
    public override var children: [(name: String, module: Module<T>)] { layers }

    /// Each layer's forward in turn; in evaluation mode a convolution followed by a BN (and a
    /// ReLU) runs as one convolution with the BN folded into its weights.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        var current = input, index = 0
        while index < layers.count {
            if let (output, consumed) = try foldedEvaluationStep(layers, at: index, current) {
                (current, index) = (output, index + consumed)
            } else {
                current = try forwardChild(layers[index].module, named: layers[index].name, current)
                index += 1
            }
        }
        return current
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

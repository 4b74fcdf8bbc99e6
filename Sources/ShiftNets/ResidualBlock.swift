import ShiftOps

/// `relu(main(x) + shortcut(x))`: the residual block of every architecture here. `main` is a
/// chain of named layers (their names are the block's parameter paths: `conv1`, `bn1`, ...), and
/// the shortcut is the identity or a 1x1 convolution + BN named `shortcut.0`, `shortcut.1`.
///
/// A main layer given the empty name has no path of its own: its children and parameters sit
/// directly under the block (the fused shift and 1x1 convolution keeps the unfused `shift2`,
/// `conv2` paths this way). Every other name follows ``Module``'s naming rule.
public final class ResidualBlock<T: NetScalar>: Module<T> {
    private let main: [(name: String, module: Module<T>)]
    /// The projection, when the block changes width or resolution.
    public let shortcut: Sequential<T>?
    private let outputReLU = ReLU<T>()
    private var savedShapes: (sum: [Int], input: [Int])?

    /// A block of `main` layers and an optional projection shortcut.
    public init(main: [(String, Module<T>)], shortcut: Sequential<T>?) {
        self.main = main.map { (name: $0.0, module: $0.1) }
        self.shortcut = shortcut
    }

    /// The main layers (an unnamed one replaced by its children), then `shortcut` when there is one.
    public override var children: [(name: String, module: Module<T>)] {
        main.flatMap { $0.name.isEmpty ? $0.module.children : [$0] }
            + (shortcut.map { [(name: "shortcut", module: $0 as Module<T>)] } ?? [])
    }

    /// The own parameters of unnamed main layers, which sit under the block's path.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] {
        main.filter { $0.name.isEmpty }.flatMap { $0.module.ownParameters }
    }

    /// The own buffers of unnamed main layers.
    public override var ownBuffers: [(name: String, parameter: Parameter<T>)] {
        main.filter { $0.name.isEmpty }.flatMap { $0.module.ownBuffers }
    }

    /// `relu(main(x) + shortcut(x))`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        // Unnamed layers are not in `children`, so train() and eval() do not reach them.
        for (name, module) in main where name.isEmpty && module.isTraining != isTraining {
            if isTraining { module.train() } else { module.eval() }
        }
        let skip = try shortcut.map { try forwardChild($0, named: "shortcut", input) } ?? input
        let body = try main.reduce(input) { try forwardChild($1.module, named: checkName(of: $1), $0) }
        guard body.shape == skip.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "input",
                                "the block's main path gives \(body.shape) but its shortcut \(skip.shape)")
        }
        let sum = try add(body, skip)
        savedShapes = isTraining ? (sum.shape, input.shape) : nil
        outputReLU.train()
        if !isTraining { outputReLU.eval() }
        return try outputReLU.forward(sum)
    }

    /// The name the finite check gives a main layer: an unnamed one's children joined by `+`
    /// (`shift2+conv2`), so the message points at the layers that hold its parameters.
    private func checkName(of layer: (name: String, module: Module<T>)) -> String {
        guard layer.name.isEmpty, FiniteOutputCheck.path != nil else { return layer.name }
        return layer.module.children.map(\.name).joined(separator: "+")
    }

    /// The ReLU's gradient sent down both paths and their input gradients added.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        guard savedShapes != nil else {
            throw ShiftOpsError(.invalidArgument, argument: "forward", "backward needs a training-mode forward first")
        }
        let g = try outputReLU.backward(gradOutput)
        let gMain = try main.reversed().reduce(g) { try $1.module.backward($0) }
        let gSkip = try shortcut?.backward(g) ?? g
        return try add(gMain, gSkip)
    }

    /// The main layers, the shortcut, and one row for the add and its ReLU (listed apart).
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        var current = shape
        for (name, child) in main { current = try child.count(inputShape: current, path: joinPath(path, name), rows: &rows) }
        if let shortcut { _ = try shortcut.count(inputShape: shape, path: joinPath(path, "shortcut"), rows: &rows) }
        rows.append(LayerCount(path: joinPath(path, "add+relu"), kind: "add+relu", outputShape: Array(current.dropFirst()),
                               parameters: 0, macs: 0, otherOps: 2 * current.dropFirst().reduce(1, *)))
        return current
    }
}

/// The elementwise sum of two tensors of one shape.
@_specialize(where T == Float)
func add<T: NetScalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws -> Tensor<T> {
    try Tensor<T>(shape: a.shape) { out in
        a.withDenseBuffer { x in
            b.withDenseBuffer { y in
                for i in 0..<out.count { out[i] = x[i] + y[i] }
            }
        }
    }
}

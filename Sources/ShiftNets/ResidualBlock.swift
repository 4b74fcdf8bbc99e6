import ShiftOps

/// `relu(main(x) + shortcut(x))`: the residual block of every architecture here. `main` is a
/// chain of named layers (their names are the block's parameter paths: `conv1`, `bn1`, ...), and
/// the shortcut is the identity or a 1x1 convolution + BN named `shortcut.0`, `shortcut.1`.
///
/// A main layer given the empty name has no path of its own: its children and parameters sit
/// directly under the block (the fused shift and 1x1 convolution keeps the unfused `shift2`,
/// `conv2` paths this way). Every other name follows ``Module``'s naming rule.
///
/// In evaluation mode a convolution followed by a BN (and a ReLU) runs as one convolution with the
/// BN folded into its weights (``Conv2d``, ``ShiftPointwiseConv``). In training mode two steps run
/// as one pass over the data each: a ``BatchNorm2d`` directly followed by a
/// ``ReLU`` in `main` (the BN applies the ReLU as it writes, and differentiates it), and the
/// residual add with the final ReLU. Both ReLUs keep NaN, as PyTorch's. Under a finite check
/// (`forward(_:checkingFinite:)`) the BN and its ReLU run apart, so that the check sees
/// the BN's own output.
public final class ResidualBlock<T: NetScalar>: Module<T> {
    private let main: [(name: String, module: Module<T>)]
    /// The projection, when the block changes width or resolution.
    public let shortcut: Sequential<T>?
    /// `relu(main + shortcut)`, kept in training mode for the ReLU's gradient.
    private var savedOutput = SavedForBackward<Tensor<T>>()
    /// Whether the last forward fused each BN with the ReLU after it (the backward follows it).
    private var fusedLastForward = false

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

    /// The BN at `index` of `main` when a plain ``ReLU`` follows it: the two run as one step.
    private func fusedBatchNorm(at index: Int) -> BatchNorm2d<T>? {
        guard index + 1 < main.count, type(of: main[index + 1].module) == ReLU<T>.self else { return nil }
        return main[index].module as? BatchNorm2d<T>
    }

    /// `relu(main(x) + shortcut(x))`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        // Unnamed layers are not in `children`, so train() and eval() do not reach them.
        for (name, module) in main where name.isEmpty && module.isTraining != isTraining {
            if isTraining { module.train() } else { module.eval() }
        }
        let skip = try shortcut.map { try forwardChild($0, named: "shortcut", input) } ?? input
        let fuses = FiniteOutputCheck.path == nil
        var body = input, index = 0
        while index < main.count {
            if let (output, consumed) = try foldedEvaluationStep(main, at: index, body) {
                body = output
                index += consumed
            } else if fuses, let bn = fusedBatchNorm(at: index) {
                body = try bn.forward(body, fusingReLU: true)
                index += 2
            } else {
                body = try forwardChild(main[index].module, named: checkName(of: main[index]), body)
                index += 1
            }
        }
        fusedLastForward = fuses
        guard body.shape == skip.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "input",
                                "the block's main path gives \(body.shape) but its shortcut \(skip.shape)")
        }
        let output = try addReLU(body, skip)
        savedOutput.keep(output, training: isTraining)
        return output
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
        let output = try savedOutput.value()
        try checkGradOutput(gradOutput, expected: output.shape)
        let g = try reluGradient(gradOutput, output: output)
        let gSkip = try shortcut?.backward(g) ?? g
        var gMain = g, index = main.count - 1
        while index >= 0 {
            if fusedLastForward, index >= 1, let bn = fusedBatchNorm(at: index - 1) {
                gMain = try bn.backward(gMain)
                index -= 2
            } else if index == 0, let conv = main[0].module as? Conv2d<T> {
                // The first convolution's input gradient starts from the shortcut's, which saves
                // the separate pass of the sum.
                return try conv.backward(gMain, adding: gSkip)
            } else {
                gMain = try main[index].module.backward(gMain)
                index -= 1
            }
        }
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

/// The elementwise sum of two tensors of one shape, image by image in parallel.
@_specialize(where T == Float)
func add<T: NetScalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws -> Tensor<T> {
    guard a.count > 0 else { return try Tensor<T>(shape: a.shape) }
    let images = a.shape.first ?? 1, size = a.count / Swift.max(images, 1)
    return try Tensor<T>(shape: a.shape) { out in
        let op = SharedPointer(out.baseAddress!)
        a.withDenseBuffer { x in
            b.withDenseBuffer { y in
                parallelFor(images) { image in
                    let start = image &* size
                    for i in start..<(start &+ size) { op.base[i] = x[i] + y[i] }
                }
            }
        }
    }
}

/// `relu(a + b)` in one pass, image by image in parallel: `v <= 0` gives 0, NaN stays NaN.
@_specialize(where T == Float)
func addReLU<T: NetScalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws -> Tensor<T> {
    guard a.count > 0 else { return try Tensor<T>(shape: a.shape) }
    let images = a.shape.first ?? 1, size = a.count / Swift.max(images, 1)
    return try Tensor<T>(shape: a.shape) { out in
        let op = SharedPointer(out.baseAddress!)
        a.withDenseBuffer { x in
            b.withDenseBuffer { y in
                parallelFor(images) { image in
                    let start = image &* size
                    // Swift.max(v, 0) is `0 >= v ? 0 : v`: NaN kept, and a vector select
                    // (see addBiasReLU) where the ternary compiled to a branch per element.
                    for i in start..<(start &+ size) { op.base[i] = Swift.max(x[i] + y[i], 0) }
                }
            }
        }
    }
}

/// The gradient through a ReLU whose output was `output`: `g` where the output is positive or
/// NaN (PyTorch's rule: zero where the output is `<= 0`), else 0; image by image in parallel.
@_specialize(where T == Float)
func reluGradient<T: NetScalar>(_ g: Tensor<T>, output: Tensor<T>) throws -> Tensor<T> {
    guard g.count > 0 else { return try Tensor<T>(shape: g.shape) }
    let images = g.shape.first ?? 1, size = g.count / Swift.max(images, 1)
    return try Tensor<T>(shape: g.shape) { gx in
        let gp = SharedPointer(gx.baseAddress!)
        g.withDenseBuffer { gv in
            output.withDenseBuffer { y in
                parallelFor(images) { image in
                    let start = image &* size
                    // Both values loaded before the choice: with `g` read only where it is kept,
                    // the compiler kept the branch (a conditional load) instead of a vector select.
                    for i in start..<(start &+ size) {
                        let (kept, out) = (gv[i], y[i])
                        gp.base[i] = out <= 0 ? 0 : kept
                    }
                }
            }
        }
    }
}

import ShiftOps

/// The path of the module whose forward is running under a finite check, or `nil` when no
/// check is on. A task-local, so concurrent forwards of other networks are not checked.
enum FiniteOutputCheck {
    @TaskLocal static var path: String?
}

extension Module {
    /// The forward pass, optionally checking every layer's output for NaN and infinity.
    ///
    /// With `checkingFinite`, each child a container runs through ``forwardChild(_:named:_:)``
    /// has its output checked as it is produced, so the error names the first layer (deepest
    /// first, in network order) whose output is not finite: the layer where a NaN or infinity
    /// appeared, not every layer it then spread through. Without it this is ``forward(_:)``.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` (`invalidArgument`, naming `input`) whose message names the
    ///   layer's path, the first non-finite element and its index; or the forward's own errors.
    public final func forward(_ input: Tensor<T>, checkingFinite: Bool) throws -> Tensor<T> {
        guard checkingFinite else { return try forward(input) }
        let output = try FiniteOutputCheck.$path.withValue("") { try forward(input) }
        try checkFinite(output, layer: "")
        return output
    }

    /// Runs `child`'s forward on `input`: what a container calls for each child, so that
    /// ``forward(_:checkingFinite:)`` can name the child whose output is not finite.
    ///
    /// - Throws: the child's errors, or ``ShiftOps/ShiftOpsError`` naming `input` when a finite check is on
    ///   and the child's output holds NaN or infinity.
    public final func forwardChild(_ child: Module<T>, named name: String, _ input: Tensor<T>) throws -> Tensor<T> {
        guard let prefix = FiniteOutputCheck.path else { return try child.forward(input) }
        let path = joinPath(prefix, name)
        let output = try FiniteOutputCheck.$path.withValue(path) { try child.forward(input) }
        try checkFinite(output, layer: path)
        return output
    }
}

/// Throws naming `layer` when `output` holds NaN or an infinity.
func checkFinite<T: NetScalar>(_ output: Tensor<T>, layer: String) throws {
    let found: (index: Int, value: T)? = output.withDenseBuffer { x in
        x.firstIndex { !$0.isFinite }.map { ($0, x[$0]) }
    }
    guard let found else { return }
    let name = layer.isEmpty ? "the network" : "layer \"\(layer)\""
    throw ShiftOpsError(.invalidArgument, argument: "input",
                        "the output of \(name) is not finite: \(found.value) at element \(found.index) (row-major) of shape \(output.shape)")
}

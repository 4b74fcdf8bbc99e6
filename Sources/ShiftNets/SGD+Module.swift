import ShiftOps

extension SGD where T: NetScalar {
    /// One step for every parameter of `model` from its accumulated gradient, the optimiser's
    /// state kept under each parameter's path (MLX's `optimizer.update(model, gradients)`).
    ///
    /// - Throws: as `Module.parameters()` and `SGD.update(_:gradients:)`; nothing changes on
    ///   a throw.
    public mutating func update(_ model: Module<T>) throws {
        var parameters = try model.parameters()
        try update(&parameters, gradients: model.gradients())
        try model.update(parameters: parameters)
    }
}

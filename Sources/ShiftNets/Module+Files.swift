import Foundation
import ShiftOps

extension Module {
    /// Writes every parameter and buffer as `<path>.npy` in `directory` (created if needed), e.g.
    /// `stage1.block0.conv1.weight.npy`.
    ///
    /// - Throws: ``ShiftOpsError`` (`invalidFile`, naming `directory`) when the folder cannot be
    ///   created or a file cannot be written.
    public func save(to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot create \(directory): \(error.localizedDescription)")
        }
        for (path, parameter) in namedParameters() + namedBuffers() {
            try parameter.value.save(npyFile: (directory as NSString).appendingPathComponent(path + ".npy"))
        }
    }

    /// Reads every parameter and buffer from `<path>.npy` in `directory`. All files are read and
    /// checked before any value changes.
    ///
    /// - Throws: ``ShiftOpsError`` naming `directory` for a missing or unreadable file, or
    ///   `parameters` for a shape that differs from the network's.
    public func load(from directory: String) throws {
        var values: [String: Tensor<T>] = [:]
        for (path, _) in namedParameters() + namedBuffers() {
            let file = (directory as NSString).appendingPathComponent(path + ".npy")
            guard FileManager.default.fileExists(atPath: file) else {
                throw ShiftOpsError(.invalidFile, argument: "directory", "\(directory) has no \(path).npy")
            }
            values[path] = try Tensor<T>(npyFile: file)
        }
        try update(parameters: values)
    }
}

extension SGD where T: NetScalar {
    /// One step for every parameter of `model` from its accumulated gradient, the optimiser's
    /// state kept under each parameter's path (MLX's `optimizer.update(model, gradients)`).
    ///
    /// - Throws: as ``SGD/update(_:gradients:)``; nothing changes on a throw.
    public mutating func update(_ model: Module<T>) throws {
        var parameters = model.parameters()
        try update(&parameters, gradients: model.gradients())
        try model.update(parameters: parameters)
    }
}

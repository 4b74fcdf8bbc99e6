/// Stochastic gradient descent with momentum and weight decay, as training code would write it:
/// `v = momentum * v + (g + weightDecay * p)`, `p -= learningRate * multiplier * v`.
///
/// Each parameter has its own velocity, kept under the parameter's path (`"stage1.block0.shift"`,
/// PyTorch `state_dict` style), so one optimiser steps any number of layers and their states never
/// mix. Tensors are values: the path, not the tensor, names the parameter.
///
/// ```swift
/// var optimizer = SGD<Float>(learningRate: 0.01, momentum: 0.9)
/// try optimizer.step(&shift1, path: "block0.shift")
/// try optimizer.step(&shift2, path: "block1.shift")
/// ```
public struct SGD<T: ShiftFloatingPoint>: Sendable {
    /// The step size.
    public var learningRate: T
    /// How much of the last velocity each step keeps (0 for plain SGD).
    public var momentum: T
    /// The L2 penalty added to each gradient as `weightDecay * p`.
    public var weightDecay: T
    /// Per-parameter factors on the learning rate, by path (Caffe's `lr_mult`, which Active-Shift
    /// networks use for their shift parameters); a path not listed takes 1.
    public var learningRateMultipliers: [String: T] = [:]
    /// The velocity of each parameter stepped so far, by path; created (zero) on its first step.
    public private(set) var velocities: [String: Tensor<T>] = [:]

    /// An optimiser with no velocities yet.
    public init(learningRate: T, momentum: T = 0, weightDecay: T = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Updates every parameter from the gradient under the same path.
    ///
    /// All checks come first: on a throw no parameter and no velocity has changed.
    ///
    /// - Throws: ``ShiftOpsError`` when the two dictionaries have different paths, when a
    ///   gradient's shape differs from its parameter's, or when a parameter's shape differs from
    ///   the velocity kept for its path.
    public mutating func update(_ parameters: inout [String: Tensor<T>], gradients: [String: Tensor<T>]) throws {
        let paths = parameters.keys.sorted()
        guard paths == gradients.keys.sorted() else {
            let missing = paths.filter { gradients[$0] == nil }, extra = gradients.keys.filter { parameters[$0] == nil }.sorted()
            throw ShiftOpsError(.shapeMismatch, argument: "gradients",
                                "expected one gradient per parameter; missing \(missing), unknown \(extra)")
        }
        for path in paths {
            let (p, g) = (parameters[path]!, gradients[path]!)
            guard p.shape == g.shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "gradients",
                                    "gradient \"\(path)\" has shape \(g.shape), its parameter \(p.shape)")
            }
            if let v = velocities[path], v.shape != p.shape {
                throw ShiftOpsError(.shapeMismatch, argument: "parameters",
                                    "parameter \"\(path)\" has shape \(p.shape), but this optimiser's velocity for it has \(v.shape)")
            }
        }
        // Every new value exists before the first is written.
        let results = try paths.map { try stepped(parameters[$0]!, gradients[$0]!, path: $0) }
        for (path, (velocity, parameter)) in zip(paths, results) {
            velocities[path] = velocity
            parameters[path] = parameter
        }
    }

    /// Updates one parameter from its gradient; `path` names its state.
    ///
    /// - Throws: as ``update(_:gradients:)``.
    public mutating func update(_ parameter: inout Tensor<T>, gradient: Tensor<T>, path: String) throws {
        var parameters = [path: parameter]
        try update(&parameters, gradients: [path: gradient])
        parameter = parameters[path]!
    }

    /// One step for a shift layer's shifts, from its ``ShiftLayer/updateGradient()``, with the
    /// velocity kept under `path`.
    ///
    /// - Throws: as ``update(_:gradients:)``, or the layer's gradient options' errors.
    public mutating func step(_ layer: inout ShiftLayer<T>, path: String) throws {
        try update(&layer.shifts, gradient: layer.updateGradient(), path: path)
    }

    /// The new velocity and parameter of a checked pair.
    private func stepped(_ parameter: Tensor<T>, _ gradient: Tensor<T>, path: String) throws -> (Tensor<T>, Tensor<T>) {
        let (p, g) = (parameter.elements, gradient.elements)
        let v = velocities[path]?.elements ?? [T](repeating: 0, count: p.count)
        let rate = learningRate * (learningRateMultipliers[path] ?? 1)
        var newV = [T](), newP = [T]()
        newV.reserveCapacity(p.count)
        newP.reserveCapacity(p.count)
        for j in p.indices {
            let velocity = momentum * v[j] + (g[j] + weightDecay * p[j])
            newV.append(velocity)
            newP.append(p[j] - rate * velocity)
        }
        return (try Tensor(shape: parameter.shape, elements: newV), try Tensor(shape: parameter.shape, elements: newP))
    }
}

/// Stochastic gradient descent with momentum and weight decay, as training code would write it:
/// `v = momentum * v + (g + weightDecay * p)`, `p -= learningRate * v`.
public struct SGD<T: ShiftFloatingPoint>: Sendable {
    /// The step size.
    public var learningRate: T
    /// How much of the last velocity each step keeps (0 for plain SGD).
    public var momentum: T
    /// The L2 penalty added to each gradient as `weightDecay * p`.
    public var weightDecay: T
    /// One velocity per parameter, in the order `step` receives them.
    public private(set) var velocities: [Tensor<T>] = []

    /// An optimiser with no velocities yet; they are created on the first step.
    public init(learningRate: T, momentum: T = 0, weightDecay: T = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Updates each parameter from its gradient (same shapes, same order every call).
    public mutating func step(_ parameters: inout [Tensor<T>], gradients: [Tensor<T>]) throws {
        guard parameters.count == gradients.count else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradients",
                                "expected \(parameters.count) gradients, got \(gradients.count)")
        }
        if velocities.isEmpty { velocities = try parameters.map { try Tensor(shape: $0.shape) } }
        guard velocities.count == parameters.count else {
            throw ShiftOpsError(.shapeMismatch, argument: "parameters",
                                "this optimiser holds \(velocities.count) parameters, got \(parameters.count)")
        }
        for i in parameters.indices {
            let (p, g, v) = (parameters[i].elements, gradients[i].elements, velocities[i].elements)
            guard parameters[i].shape == gradients[i].shape, velocities[i].shape == parameters[i].shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "gradients",
                                    "gradient \(i) has shape \(gradients[i].shape), parameter \(parameters[i].shape)")
            }
            var newV = [T](), newP = [T]()
            newV.reserveCapacity(p.count)
            newP.reserveCapacity(p.count)
            for j in p.indices {
                let velocity = momentum * v[j] + (g[j] + weightDecay * p[j])
                newV.append(velocity)
                newP.append(p[j] - learningRate * velocity)
            }
            velocities[i] = try Tensor(shape: parameters[i].shape, elements: newV)
            parameters[i] = try Tensor(shape: parameters[i].shape, elements: newP)
        }
    }

    /// One step for a shift layer's shifts, from its ``ShiftLayer/updateGradient()``.
    public mutating func step(_ layer: inout ShiftLayer<T>) throws {
        var parameters = [layer.shifts]
        try step(&parameters, gradients: [layer.updateGradient()])
        layer.shifts = parameters[0]
    }
}

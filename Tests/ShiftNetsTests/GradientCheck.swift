import Testing
import ShiftOps
@testable import ShiftNets

/// `L = <g, f(x)>` with a fixed random `g`, differentiated two ways: the module's backward and
/// central differences in Double. Checks the input gradient and every parameter gradient on up to
/// `samples` elements each, to `tolerance` relative to the largest analytic entry.
func checkGradients(_ module: Module<Double>, inputShape: [Int], seed: UInt64 = 7, samples: Int = 24,
                    tolerance: Double = 1e-6, checkInput: Bool = true, skipping: Set<String> = [],
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let x = try Tensor<Double>.random(shape: inputShape, seed: seed)
    module.train()
    let y = try module.forward(x)
    let g = try Tensor<Double>.random(shape: y.shape, seed: seed &+ 1)
    module.zeroGradients()
    let gx = try module.backward(g)
    let gv = g.elements
    func loss(_ input: Tensor<Double>) throws -> Double {
        zip(try module.forward(input).elements, gv).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let h = 1e-6
    func compare(_ analytic: [Double], name: String, perturb: (Int, Double) throws -> Double) throws {
        let scale = max(analytic.map(abs).max() ?? 0, 1e-3)
        let step = max(1, analytic.count / samples)
        var worst = 0.0
        for i in stride(from: 0, to: analytic.count, by: step) {
            let numeric = (try perturb(i, h) - perturb(i, -h)) / (2 * h)
            worst = max(worst, abs(numeric - analytic[i]) / scale)
        }
        #expect(worst < tolerance, "\(name): worst relative error \(worst)", sourceLocation: sourceLocation)
    }
    if checkInput {
        var values = x.elements
        try compare(gx.elements, name: "input") { i, d in
            let old = values[i]
            values[i] = old + d
            defer { values[i] = old }
            return try loss(Tensor(shape: x.shape, elements: values))
        }
    }
    for (path, parameter) in module.namedParameters() where !skipping.contains(path) {
        let original = parameter.value
        var values = original.elements
        try compare(parameter.gradient.elements, name: path) { i, d in
            let old = values[i]
            values[i] = old + d
            defer { values[i] = old; parameter.value = original }
            parameter.value = try Tensor(shape: original.shape, elements: values)
            return try loss(x)
        }
    }
}

/// Moves every learned shift of `module` off the integer lattice (learned shifts start on it, where
/// the active shift is not differentiable), so central differences have a derivative to find.
@discardableResult
func offLattice<T: NetScalar>(_ module: Module<T>, seed: UInt64 = 99) throws -> Module<T> {
    for (i, (path, parameter)) in module.namedParameters().enumerated() where path.hasSuffix("shifts") {
        parameter.value = try Tensor<T>.random(shape: parameter.value.shape, in: -1.4...1.4, seed: seed &+ UInt64(i))
    }
    return module
}

import Testing
import ShiftOps
@testable import ShiftNets

/// BatchNorm2d's `Float` loops (lanes of 8, blocks of 32, scalar tails) against the plain loops
/// that `Double` runs, and their bits across thread counts. The finite-difference checks run in
/// `Double`, so these are what check the `Float` path's arithmetic.
@Suite struct BatchNormKernelTests {
    /// A layer with gamma, beta and running statistics away from their defaults (drawn in
    /// `Float`, so that both element types start from the same numbers).
    static func layer<T: NetScalar>(_ channels: Int, as _: T.Type) throws -> BatchNorm2d<T> {
        let bn = try BatchNorm2d<T>(channels: channels)
        func values(_ range: ClosedRange<Float>, _ seed: UInt64) throws -> Tensor<T> {
            try Tensor(shape: [channels], elements: Tensor<Float>.random(shape: [channels], in: range, seed: seed).elements.map { T(Double($0)) })
        }
        bn.weight.value = try values(-1.5...1.5, 1)
        bn.bias.value = try values(-1...1, 2)
        bn.runningMean.value = try values(-1...1, 3)
        bn.runningVar.value = try values(0.5...2, 4)
        return bn
    }

    static func double(_ t: Tensor<Float>) throws -> Tensor<Double> {
        try Tensor(shape: t.shape, elements: t.elements.map(Double.init))
    }

    static func expectClose(_ a: [Float], _ b: [Double], _ what: String) {
        #expect(a.count == b.count, "\(what)")
        let worst = zip(a, b).map { abs(Double($0) - $1) / (1 + abs($1)) }.max() ?? 0
        #expect(worst <= 2e-4, "\(what): worst relative difference \(worst)")
    }

    /// Training forward (statistics, output, running statistics), backward (input gradient, gamma
    /// and beta gradients) and evaluation forward, with and without the fused ReLU, on planes with
    /// full blocks of 32 and tails (7x7 has one block and a 17-value tail; 3x3 only a tail).
    @Test(arguments: [([3, 5, 7, 7], true), ([3, 5, 7, 7], false), ([2, 4, 8, 8], true), ([5, 3, 3, 3], true)])
    func floatMatchesDouble(shape: [Int], relu: Bool) throws {
        let c = shape[1]
        let (f, d) = (try Self.layer(c, as: Float.self), try Self.layer(c, as: Double.self))
        let x = try Tensor<Float>.random(shape: shape, in: -2...3, seed: 5)
        let g = try Tensor<Float>.random(shape: shape, seed: 6)
        let yf = try f.forward(x, fusingReLU: relu), yd = try d.forward(Self.double(x), fusingReLU: relu)
        Self.expectClose(yf.elements, yd.elements, "training output")
        if relu { #expect(yf.elements.contains(0) && yf.elements.contains { $0 > 0 }, "the ReLU cuts some values") }
        Self.expectClose(f.runningMean.value.elements, d.runningMean.value.elements, "running mean")
        Self.expectClose(f.runningVar.value.elements, d.runningVar.value.elements, "running variance")
        let gf = try f.backward(g), gd = try d.backward(Self.double(g))
        Self.expectClose(gf.elements, gd.elements, "input gradient")
        Self.expectClose(f.weight.gradient.elements, d.weight.gradient.elements, "gamma gradient")
        Self.expectClose(f.bias.gradient.elements, d.bias.gradient.elements, "beta gradient")
        f.eval(); d.eval()
        Self.expectClose(try f.forward(x, fusingReLU: relu).elements, try d.forward(Self.double(x), fusingReLU: relu).elements,
                         "evaluation output")
    }

    /// One, two and three threads give the same bits: forward, running statistics, backward and
    /// parameter gradients. The shape spreads the channels over several blocks.
    @Test func bitsDoNotDependOnTheThreadCount() throws {
        let shape = [6, 16, 20, 20]
        let x = try Tensor<Float>.random(shape: shape, in: -2...3, seed: 7)
        let g = try Tensor<Float>.random(shape: shape, seed: 8)
        func run(threads: Int) throws -> [[Float]] {
            try Parallelism.$threadLimit.withValue(threads) {
                let bn = try Self.layer(16, as: Float.self)
                let y = try bn.forward(x, fusingReLU: true)
                let gx = try bn.backward(g)
                return [y.elements, gx.elements, bn.runningMean.value.elements, bn.runningVar.value.elements,
                        bn.weight.gradient.elements, bn.bias.gradient.elements]
            }
        }
        let one = try run(threads: 1)
        for threads in [2, 3] {
            #expect(try run(threads: threads) == one, "\(threads) threads")
        }
    }
}

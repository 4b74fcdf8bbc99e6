import Testing
import ShiftOps
@testable import ShiftNets

/// The evaluation-mode fold of a BN (and ReLU) into the convolution before it: the same outputs
/// as the layers run one by one, computed once, recomputed when a parameter or running statistic
/// changes.
@Suite struct BatchNormFoldingTests {
    /// A BN with gamma, beta and running statistics away from their defaults, so that a fold that
    /// drops or misplaces any of them shows.
    static func batchNorm(_ channels: Int, seed: UInt64) throws -> BatchNorm2d<Float> {
        let bn = try BatchNorm2d<Float>(channels: channels)
        bn.weight.value = try Tensor<Float>.random(shape: [channels], in: 0.5...2, seed: seed)
        bn.bias.value = try Tensor<Float>.random(shape: [channels], seed: seed + 1)
        bn.runningMean.value = try Tensor<Float>.random(shape: [channels], seed: seed + 2)
        bn.runningVar.value = try Tensor<Float>.random(shape: [channels], in: 0.2...3, seed: seed + 3)
        return bn
    }

    /// `|a - b| <= 1e-4 (1 + |b|)` elementwise, and not trivially (some outputs cut by the ReLU,
    /// some kept).
    static func expectClose(_ a: Tensor<Float>, _ b: Tensor<Float>, _ what: String) {
        #expect(a.shape == b.shape, "\(what)")
        let (x, y) = (a.elements, b.elements)
        let worst = zip(x, y).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
        #expect(worst <= 1e-4, "\(what): worst relative difference \(worst)")
    }

    /// A convolution (3x3 with stride, padding, groups and its own bias; and a 1x1) followed by a
    /// BN and a ReLU, in evaluation mode: the folded forward against the three layers run apart.
    @Test(arguments: [(3, 2, 1, 2, true, true), (1, 1, 0, 1, false, false), (1, 2, 0, 1, false, true)])
    func aFoldedConvolutionEqualsItsLayers(kernel: Int, stride: Int, padding: Int, groups: Int, bias: Bool, relu: Bool) throws {
        let conv = try Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: kernel, stride: stride, padding: padding,
                                     groups: groups, bias: bias, seed: 1)
        if bias { conv.bias!.value = try Tensor<Float>.random(shape: [6], seed: 2) }
        let bn = try Self.batchNorm(6, seed: 3)
        let layers: [(String, Module<Float>)] = [("conv", conv), ("bn", bn)] + (relu ? [("relu", ReLU<Float>())] : [])
        let net = Sequential<Float>(layers)
        net.eval()
        for batch in [1, 3] {
            let x = try Tensor<Float>.random(shape: [batch, 4, 9, 9], seed: 5)
            let folded = try net.forward(x)
            var reference = try bn.forward(conv.forward(x))
            if relu { reference = try ReLU<Float>().forward(reference) }
            Self.expectClose(folded, reference, "batch \(batch)")
            if relu { #expect(folded.elements.contains(0) && folded.elements.contains { $0 > 0 }) }
        }
        #expect(conv.fold.computations == 1, "the second forward reuses the folded weights")
    }

    /// Whole ShiftResNets (the shift and 1x1 convolution fused or not, stem and projection
    /// shortcuts included) after some training steps: evaluation forward against the unfolded
    /// path, which a finite check runs.
    @Test(arguments: [false, true])
    func aFoldedNetworkEqualsTheUnfoldedOne(fused: Bool) throws {
        var architecture = try Architecture(name: "small", stemChannels: 8, widths: [8, 16], blocksPerStage: [1, 1],
                                            block: .convShiftConv(expansion: 2, middle: .shift(.grouped)))
        if fused { architecture = architecture.fusingShiftAndPointwise() }
        let net: Module<Float> = try architecture.build(seed: 4)
        // Training forwards move the running statistics away from 0 and 1.
        for seed in 0..<3 { _ = try net.forward(Tensor<Float>.random(shape: [4, 3, 8, 8], seed: UInt64(10 + seed))) }
        for (path, parameter) in net.namedParameters() where path.hasSuffix("bn1.weight") || path.hasSuffix("bn2.bias") {
            parameter.value = try Tensor<Float>.random(shape: parameter.value.shape, in: 0.5...1.5, seed: 20)
        }
        net.eval()
        let x = try Tensor<Float>.random(shape: [2, 3, 8, 8], seed: 21)
        let folded = try net.forward(x)
        let reference = try net.forward(x, checkingFinite: true)
        Self.expectClose(folded, reference, "fused \(fused)")
        let conv1 = try #require(net.children.first?.module as? Conv2d<Float>)
        #expect(conv1.fold.computations == 1, "the stem folds its BN")
    }

    /// A change to any tensor the fold came from, by assignment, in place, by a training step or by
    /// a load, after an evaluation forward: the next evaluation forward uses the new values, and
    /// without a change the fold is not recomputed.
    @Test func aChangeAfterAnEvaluationForwardIsPickedUp() throws {
        let conv = try Conv2d<Float>(inChannels: 3, outChannels: 5, kernelSize: 1, seed: 30)
        let bn = try Self.batchNorm(5, seed: 31)
        let net = Sequential<Float>([("conv", conv), ("bn", bn), ("relu", ReLU<Float>())])
        let x = try Tensor<Float>.random(shape: [2, 3, 4, 4], seed: 32)
        func expectCurrent(_ what: String) throws {
            net.eval()
            let folded = try net.forward(x)
            let reference = try ReLU<Float>().forward(bn.forward(conv.forward(x)))
            Self.expectClose(folded, reference, what)
        }
        try expectCurrent("first")
        try expectCurrent("unchanged")
        #expect(conv.fold.computations == 1)
        var computations = 1
        let changes: [(String, () throws -> Void)] = [
            ("gamma assigned", { bn.weight.value = try Tensor<Float>.random(shape: [5], in: 0.5...2, seed: 33) }),
            ("beta changed in place", { try bn.bias.value.withUnsafeMutableBufferPointer { $0[2] += 1 } }),
            ("weight changed in place", { try conv.weight.value.withUnsafeMutableBufferPointer { $0[0] *= -3 } }),
            ("running statistics from a training forward", { net.train(); _ = try net.forward(x) }),
            ("running variance loaded", {
                try net.update(parameters: ["bn.running_var": Tensor<Float>.random(shape: [5], in: 0.1...0.3, seed: 34)])
            }),
            ("an SGD step", {
                net.train()
                let y = try net.forward(x)
                _ = try net.backward(try Tensor<Float>(shape: y.shape, repeating: 1))
                var sgd = SGD<Float>(learningRate: 0.5)
                try sgd.update(net)
            }),
        ]
        for (what, change) in changes {
            try change()
            try expectCurrent(what)
            computations += 1
            #expect(conv.fold.computations == computations, "\(what): folded again once")
        }
    }

    /// A fold leaves the BN and ReLU as their own evaluation forward would: a backward through them
    /// after it is refused instead of reading an earlier training batch.
    @Test func aFoldForgetsWhatTheTrainingForwardKept() throws {
        let bn = try Self.batchNorm(4, seed: 40), relu = ReLU<Float>()
        let net = Sequential<Float>([("conv", try Conv2d<Float>(inChannels: 2, outChannels: 4, kernelSize: 1, seed: 41)),
                                     ("bn", bn), ("relu", relu)])
        let x = try Tensor<Float>.random(shape: [2, 2, 3, 3], seed: 42), g = try Tensor<Float>.random(shape: [2, 4, 3, 3], seed: 43)
        _ = try net.forward(x)
        net.eval()
        _ = try net.forward(x)
        #expect(throws: ShiftOpsError.self) { try bn.backward(g) }
        #expect(throws: ShiftOpsError.self) { try relu.backward(g) }
    }

    /// The saved parameters do not change: the folded weights live beside them.
    @Test func theParametersAreUntouched() throws {
        let conv = try Conv2d<Float>(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, seed: 50)
        let bn = try Self.batchNorm(4, seed: 51)
        let net = Sequential<Float>([("conv", conv), ("bn", bn)])
        let before = try net.parameters().mapValues(\.elements)
        net.eval()
        _ = try net.forward(Tensor<Float>.random(shape: [1, 3, 5, 5], seed: 52))
        #expect(try net.parameters().mapValues(\.elements) == before)
        #expect(conv.fold.computations == 1)
    }
}

import Testing
import ShiftOps
@testable import ShiftNets

/// Finite-difference gradient checks in Double, one per layer (issue 11, item 1).
@Suite struct LayerGradientTests {
    @Test func pointwiseConvolution() throws {
        try checkGradients(try Conv2d<Double>(inChannels: 6, outChannels: 5, kernelSize: 1, seed: 1), inputShape: [2, 6, 4, 5])
    }

    @Test func groupedPointwiseConvolutionWithBias() throws {
        try checkGradients(try Conv2d<Double>(inChannels: 6, outChannels: 4, kernelSize: 1, groups: 2, bias: true, seed: 2),
                           inputShape: [2, 6, 3, 3])
    }

    @Test func stridedPointwiseConvolution() throws {
        try checkGradients(try Conv2d<Double>(inChannels: 3, outChannels: 4, kernelSize: 1, stride: 2, seed: 3), inputShape: [2, 3, 5, 6])
    }

    @Test func stemConvolution() throws {
        try checkGradients(try Conv2d<Double>(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, seed: 4), inputShape: [2, 3, 5, 5])
    }

    @Test func stridedGroupedConvolution3x3() throws {
        try checkGradients(try Conv2d<Double>(inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, groups: 2,
                                               bias: true, seed: 5), inputShape: [2, 4, 7, 6])
    }

    @Test func batchNormTraining() throws {
        let bn = try BatchNorm2d<Double>(channels: 3)
        bn.weight.value = try Tensor(shape: [3], elements: [0.5, 1.5, -2])
        bn.bias.value = try Tensor(shape: [3], elements: [0.1, -0.3, 0.7])
        try checkGradients(bn, inputShape: [3, 3, 2, 3])
    }

    @Test func reluAndPooling() throws {
        try checkGradients(ReLU<Double>(), inputShape: [2, 3, 4, 4])
        try checkGradients(GlobalAveragePool<Double>(), inputShape: [2, 3, 4, 5])
    }

    @Test func linear() throws {
        try checkGradients(try Linear<Double>(inFeatures: 7, outFeatures: 4, seed: 6), inputShape: [3, 7])
    }

    @Test func activeShift() throws {
        try checkGradients(try offLattice(ShiftModule<Double>(channels: 5, mode: .active, seed: 8)), inputShape: [2, 5, 6, 6])
    }

    @Test func sparseAndGroupedShiftInputGradients() throws {
        // Sparse shifts' forward is piecewise constant in s (SPEC §4): only the input gradient has a
        // finite-difference counterpart.
        try checkGradients(try offLattice(ShiftModule<Double>(channels: 5, mode: .sparse, seed: 9)), inputShape: [2, 5, 5, 5],
                           skipping: ["shifts"])
        try checkGradients(try ShiftModule<Double>(channels: 9, mode: .grouped, seed: 9), inputShape: [2, 9, 4, 4])
    }

    @Test func depthwiseTwin() throws {
        try checkGradients(try DepthwiseConv3x3<Double>(channels: 4, seed: 10), inputShape: [2, 4, 5, 6])
    }

    @Test(.tags(.slow), .skippedInFastLane) func residualBlocks() throws {
        for middle in [BlockMiddle.shift(.active), .depthwise] {
            let arch = try Architecture(name: "tiny", inputChannels: 3, classes: 4, stemChannels: 4, widths: [4, 6],
                                        blocksPerStage: [1, 1], block: .convShiftConv(expansion: 2, middle: middle))
            try checkGradients(try offLattice(arch.build(seed: 3, as: Double.self)), inputShape: [3, 3, 6, 6], tolerance: 1e-5)
        }
    }

    @Test func crossEntropy() throws {
        let logits = try Tensor<Double>.random(shape: [3, 4], in: -2...2, seed: 11)
        let labels = [2, 0, 3]
        let analytic = try softmaxCrossEntropy(logits: logits, labels: labels)
        var values = logits.elements
        for i in values.indices {
            let old = values[i]
            values[i] = old + 1e-6
            let up = try softmaxCrossEntropy(logits: Tensor(shape: [3, 4], elements: values), labels: labels).loss
            values[i] = old - 1e-6
            let down = try softmaxCrossEntropy(logits: Tensor(shape: [3, 4], elements: values), labels: labels).loss
            values[i] = old
            #expect(abs((up - down) / 2e-6 - analytic.gradient.elements[i]) < 1e-8)
        }
    }

    @Test func wholeNetworkWithLoss() throws {
        // A small ShiftResNet-shaped network, active shifts, through the cross-entropy loss.
        let arch = try Architecture(name: "tiny", inputChannels: 2, classes: 3, stemChannels: 4, widths: [4, 8],
                                    blocksPerStage: [2, 1], block: .convShiftConv(expansion: 1.5, middle: .shift(.active)))
        let net = try offLattice(arch.build(seed: 5, as: Double.self))
        let x = try Tensor<Double>.random(shape: [4, 2, 6, 6], seed: 12)
        let labels = [0, 2, 1, 2]
        net.zeroGradients()
        let result = try softmaxCrossEntropy(logits: net.forward(x), labels: labels)
        _ = try net.backward(result.gradient)
        for (path, parameter) in net.namedParameters() {
            let original = parameter.value
            var values = original.elements
            let analytic = parameter.gradient.elements
            let scale = max(analytic.map(abs).max() ?? 0, 1e-4)
            for i in stride(from: 0, to: values.count, by: max(1, values.count / 4)) {
                let old = values[i]
                values[i] = old + 1e-6
                parameter.value = try Tensor(shape: original.shape, elements: values)
                let up = try softmaxCrossEntropy(logits: net.forward(x), labels: labels).loss
                values[i] = old - 1e-6
                parameter.value = try Tensor(shape: original.shape, elements: values)
                let down = try softmaxCrossEntropy(logits: net.forward(x), labels: labels).loss
                values[i] = old
                parameter.value = original
                #expect(abs((up - down) / 2e-6 - analytic[i]) / scale < 1e-5, "\(path)[\(i)]")
            }
        }
    }
}

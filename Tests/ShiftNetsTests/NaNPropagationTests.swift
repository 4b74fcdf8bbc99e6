import Foundation
import Testing
import ShiftOps
@testable import ShiftNets

/// Item 4: a NaN stays visible through ReLU, pooling and the loss's row maximum, as in PyTorch,
/// and the opt-in check names the layer where a non-finite value first appears.
@Suite struct NaNPropagationTests {
    @Test func reluKeepsNaNAndPassesItsGradient() throws {
        let relu = ReLU<Float>()
        let x = try Tensor<Float>(shape: [5], elements: [.nan, -1, 2, -.infinity, .infinity])
        let y = try relu.forward(x).elements
        #expect(y[0].isNaN)
        #expect(Array(y[1...]) == [0, 2, 0, .infinity])
        // PyTorch's threshold backward: the gradient is zeroed only where the output is <= 0.
        let g = try relu.backward(Tensor(shape: [5], elements: [1, 2, 3, 4, 5])).elements
        #expect(g == [1, 0, 3, 0, 5])
    }

    @Test func averagePoolingKeepsNaN() throws {
        let pool = GlobalAveragePool<Float>()
        var values = [Float](repeating: 1, count: 8)
        values[5] = .nan
        let y = try pool.forward(Tensor(shape: [1, 2, 2, 2], elements: values)).elements
        #expect(y[0] == 1)
        #expect(y[1].isNaN)
    }

    @Test func crossEntropyTreatsNaNAsTheLargestLogit() throws {
        for position in 0..<3 {
            var row: [Float] = [1, 5, 2]
            row[position] = .nan
            let result = try softmaxCrossEntropy(logits: Tensor(shape: [1, 3], elements: row), labels: [position])
            #expect(result.loss.isNaN, "NaN at \(position)")
            #expect(result.correct == 1, "NaN at \(position): argmax is the NaN, as torch.argmax")
        }
    }

    /// One NaN pixel makes that image's logits NaN (evaluation mode: images independent), and
    /// leaves the other image's finite, instead of turning into a finite, input-blind answer.
    @Test func oneNaNPixelReachesTheLogits() throws {
        let net = try Architecture(name: "t", inputChannels: 1, classes: 3, stemChannels: 4, widths: [4, 8], blocksPerStage: [1, 1],
                                   block: .convShiftConv(expansion: 2, middle: .shift(.active))).build(seed: 1, as: Float.self)
        net.eval()
        var pixels = try Tensor<Float>.random(shape: [2, 1, 6, 6], seed: 2).elements
        pixels[7] = .nan
        let logits = try net.forward(Tensor(shape: [2, 1, 6, 6], elements: pixels)).elements
        #expect(logits[0..<3].allSatisfy { $0.isNaN })
        #expect(logits[3..<6].allSatisfy { $0.isFinite })
    }

    @Test func finiteCheckNamesTheFirstLayerWithANonFiniteOutput() throws {
        let arch = try Architecture(name: "t", inputChannels: 1, classes: 3, stemChannels: 4, widths: [4, 8], blocksPerStage: [1, 1],
                                    block: .convShiftConv(expansion: 2, middle: .shift(.active)))
        let x = try Tensor<Float>.random(shape: [2, 1, 6, 6], seed: 2)
        for fused in [false, true] {
            let net = try (fused ? arch.fusingShiftAndPointwise() : arch).build(seed: 1, as: Float.self)
            #expect(try net.forward(x, checkingFinite: true).elements == net.forward(x).elements)

            var pixels = x.elements
            pixels[7] = .nan
            #expect(throws: ShiftOpsError.self) { try net.forward(Tensor(shape: x.shape, elements: pixels), checkingFinite: true) }
            #expect(throwsError({ _ = try net.forward(Tensor(shape: x.shape, elements: pixels), checkingFinite: true) }) {
                "\($0)".contains("layer \"conv1\"") && "\($0)".contains("nan")
            })
            // Unchecked, the same forward returns the NaN without a word.
            #expect(try net.forward(Tensor(shape: x.shape, elements: pixels)).elements.contains { $0.isNaN })

            // A parameter gone to infinity deep in the network: named there, not at the stem.
            let weight = try #require(net.namedParameters().first { $0.path == "stage2.block0.bn2.weight" }).parameter
            let good = weight.value
            weight.value = try Tensor(shape: good.shape, elements: [Float](repeating: .infinity, count: good.count))
            #expect(throwsError({ _ = try net.forward(x, checkingFinite: true) }) {
                ($0 as? ShiftOpsError)?.argument == "input" && "\($0)".contains("layer \"stage2.block0.bn2\"")
            }, "fused: \(fused)")
            weight.value = good
            // In the fused block the fused layer is named by the layers it holds.
            let conv = try #require(net.namedParameters().first { $0.path == "stage1.block0.conv2.weight" }).parameter
            let kept = conv.value
            conv.value = try Tensor(shape: kept.shape, elements: [Float](repeating: .nan, count: kept.count))
            let layer = fused ? "stage1.block0.shift2+conv2" : "stage1.block0.conv2"
            #expect(throwsError({ _ = try net.forward(x, checkingFinite: true) }) { "\($0)".contains("layer \"\(layer)\"") },
                    "fused: \(fused)")
            conv.value = kept
            #expect(try net.forward(x, checkingFinite: true).elements.allSatisfy { $0.isFinite })
        }
    }
}

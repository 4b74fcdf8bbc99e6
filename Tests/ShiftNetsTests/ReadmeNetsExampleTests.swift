import Foundation
import Testing
import ShiftOps
import ShiftNets

/// README's ShiftNets example as written there (with a two-image batch), so it keeps compiling.
@Suite struct ReadmeNetsExampleTests {
    @Test(.tags(.slow), .skippedInFastLane) func trainingStepExample() throws {
        let images = try Tensor<Float>.random(shape: [2, 3, 32, 32], seed: 1), labels = [3, 7]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let net = try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .active).build(seed: 1, as: Float.self)
        var optimizer = SGD<Float>(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)  // ShiftOps' one SGD
        net.zeroGradients()
        let result = try softmaxCrossEntropy(logits: net.forward(images), labels: labels)  // images [N, 3, 32, 32]
        _ = try net.backward(result.gradient)
        try optimizer.update(net)               // velocities kept under "stage1.block0.conv1.weight", ...
        try net.save(to: folder)                // checkpoint/stage1.block0.conv1.weight.npy, bn running stats too

        #expect(optimizer.velocities["stage1.block0.conv1.weight"]?.shape == [48, 16, 1, 1])
        #expect(FileManager.default.fileExists(atPath: folder + "/stage1.block0.conv1.weight.npy"))
        #expect(FileManager.default.fileExists(atPath: folder + "/stage1.block0.bn1.running_mean.npy"))
        #expect(result.loss > 0)
    }
}

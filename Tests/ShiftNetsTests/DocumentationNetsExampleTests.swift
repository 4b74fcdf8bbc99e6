import Foundation
import Testing
import ShiftOps
import ShiftNets

/// The Swift samples of the ShiftNets catalog, word for word, each followed by checks of what the
/// page says. `DocumentationSampleTests` (in ShiftOpsTests) fails when a page's sample is not found
/// here as it is written.
@Suite struct DocumentationNetsExampleTests {
    /// The landing page and "Training a shift network": a step, evaluation, checkpoints.
    @Test(.tags(.slow), .skippedInFastLane) func trainingAShiftNetwork() throws {
        let images = try Tensor<Float>.random(shape: [2, 3, 32, 32], seed: 1), labels = [3, 7]
        let checkpoint = FileManager.default.temporaryDirectory
            .appendingPathComponent("shiftnets-docs-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: checkpoint) }

        let net = try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .active).build(seed: 1, as: Float.self)
        var optimizer = SGD<Float>(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)  // ShiftOps' one SGD
        net.zeroGradients()
        let result = try softmaxCrossEntropy(logits: net.forward(images), labels: labels)  // images [N, 3, 32, 32]
        _ = try net.backward(result.gradient)
        try optimizer.update(net)               // velocities kept under "stage1.block0.conv1.weight", ...
        try net.save(to: checkpoint)            // <checkpoint>/stage1.block0.conv1.weight.npy, BN running stats too

        #expect(result.loss > 0 && result.gradient.shape == [2, 10])
        #expect(optimizer.velocities["stage1.block0.conv1.weight"]?.shape == [48, 16, 1, 1])
        #expect(optimizer.velocities["stage1.block0.shift2.shifts"]?.shape == [48, 2])
        for file in ["stage1.block0.conv1.weight", "stage1.block0.bn1.running_mean", "stage1.block0.shift2.shifts",
                     "stage2.block0.shortcut.0.weight", "conv1.weight", "bn1.running_mean", "linear.bias"] {
            #expect(FileManager.default.fileExists(atPath: checkpoint + "/" + file + ".npy"), "\(file).npy")
        }

        net.eval()
        let logits = try net.forward(images)                 // [N, 10]
        let predictions = (0..<logits.shape[0]).map { n in
            (0..<logits.shape[1]).max { logits[n, $0] < logits[n, $1] }!
        }
        net.train()

        #expect(logits.shape == [2, 10] && predictions.count == 2 && predictions.allSatisfy { (0..<10).contains($0) })
        #expect(net.isTraining)

        let copy = try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .active).build(seed: 2, as: Float.self)
        try copy.load(from: checkpoint)                     // now the same numbers as net

        let (mine, theirs) = (try net.parameters(), try copy.parameters())
        #expect(mine.keys.sorted() == theirs.keys.sorted())
        for (path, value) in mine { #expect(theirs[path]?.elements == value.elements, "\(path)") }
        copy.eval()
        net.eval()
        #expect(try copy.forward(images).elements == net.forward(images).elements)
    }

    /// "Training a shift network": the trainer.
    @Test(.tags(.slow), .skippedInFastLane) func trainer() throws {
        let digitsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Data/digits").standardized.path

        let digits = try Dataset.digits(directory: digitsFolder)              // the repository's Data/digits
        let (train, test) = try digits.split(testFraction: 0.2, seed: 1)      // 1,438 and 359 images
        let tiny = try Architecture(name: "tiny", inputChannels: 1, classes: 10, stemChannels: 8, widths: [8, 16],
                                    blocksPerStage: [1, 1], block: .convShiftConv(expansion: 2, middle: .shift(.grouped)))
        let model = try tiny.build(seed: 1, as: Float.self)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 16
        let reports = try Trainer(options: options).train(model, on: train.subset(Array(0..<320)), test: test) { report in
            print("epoch \(report.epoch): loss \(report.loss), test accuracy \(report.testAccuracy)")
        }

        #expect(train.count == 1438 && test.count == 359)
        #expect(reports.map(\.epoch) == [1, 2])
        #expect(reports[1].loss < reports[0].loss, "loss \(reports.map(\.loss))")
        #expect(reports[1].testAccuracy > 0.2, "test accuracy \(reports.map(\.testAccuracy))")
    }

    /// "Writing your own layer": composing layers.
    @Test func composingLayers() throws {
        let block = ResidualBlock<Float>(main: [
            ("conv1", try Conv2d<Float>(inChannels: 16, outChannels: 48, kernelSize: 1, seed: 1)),
            ("bn1", try BatchNorm2d<Float>(channels: 48)),
            ("relu1", ReLU<Float>()),
            ("shift2", try ShiftModule<Float>(channels: 48, mode: .active, seed: 2)),
            ("conv2", try Conv2d<Float>(inChannels: 48, outChannels: 16, kernelSize: 1, seed: 3)),
            ("bn2", try BatchNorm2d<Float>(channels: 16)),
        ], shortcut: nil)
        let model = Sequential<Float>([
            ("stem", try Conv2d<Float>(inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1, seed: 4)),
            ("block", block),
            ("pool", GlobalAveragePool<Float>()),
            ("linear", try Linear<Float>(inFeatures: 16, outFeatures: 10, seed: 5)),
        ])
        let paths = model.namedParameters().map(\.path)
        // ["stem.weight", "block.conv1.weight", "block.bn1.weight", "block.bn1.bias",
        //  "block.shift2.shifts", "block.conv2.weight", "block.bn2.weight", "block.bn2.bias",
        //  "linear.weight", "linear.bias"]

        #expect(paths == ["stem.weight", "block.conv1.weight", "block.bn1.weight", "block.bn1.bias",
                          "block.shift2.shifts", "block.conv2.weight", "block.bn2.weight", "block.bn2.bias",
                          "linear.weight", "linear.bias"])
        // It trains with the same step as the built-in architectures...
        let images = try Tensor<Float>.random(shape: [2, 3, 8, 8], seed: 6)
        var optimizer = SGD<Float>(learningRate: 0.1, momentum: 0.9)
        model.zeroGradients()
        let result = try softmaxCrossEntropy(logits: model.forward(images), labels: [1, 4])
        _ = try model.backward(result.gradient)
        let before = try model.parameters()["block.shift2.shifts"]!
        try optimizer.update(model)
        #expect(try model.parameters()["block.shift2.shifts"]!.elements != before.elements)
        // ...and counts: every layer reports its own parameters (no "(other)" remainder row).
        let count = try NetworkCount(model, model: "composed", inputShape: [3, 8, 8])
        #expect(!count.layers.contains { $0.path == "(other)" }, "\(count.layers.map(\.path))")
        #expect(count.layers.map(\.path).contains("block.shift2") && count.parameters == model.parameterCount)
        // The 3x3 stem on 8x8: 16 * 8 * 8 * 3 * 9 multiply-accumulates.
        #expect(count.layers.first { $0.path == "stem" }?.macs == 16 * 8 * 8 * 3 * 9)
    }

    /// "Counting parameters and MACs".
    @Test func counting() throws {
        let shiftNet = try NetworkCount(try Architecture.shiftResNet(depth: 20, expansion: 3))
        let twin = try NetworkCount(try Architecture.depthwiseResNet(depth: 20, expansion: 3))
        // shiftNet.parameters == 95_642, shiftNet.macs == 16_433_792; twin.parameters == 106_730
        for row in shiftNet.layers.prefix(3) {
            print(row.path, row.kind, row.outputShape, row.parameters, row.macs)
        }

        #expect(shiftNet.parameters == 95_642 && shiftNet.macs == 16_433_792 && twin.parameters == 106_730)
        #expect(shiftNet.layers.first?.path == "conv1" && shiftNet.layers.first?.macs == 442_368)
    }
}

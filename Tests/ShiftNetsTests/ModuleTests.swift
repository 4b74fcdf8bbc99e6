import Foundation
import Testing
import ShiftOps
@testable import ShiftNets

@Suite struct ModuleTests {
    @Test func parameterPathsFollowStateDictNames() throws {
        let net = try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .active).build(seed: 1, as: Float.self)
        let paths = net.namedParameters().map(\.path)
        for expected in ["conv1.weight", "bn1.weight", "bn1.bias", "stage1.block0.conv1.weight", "stage1.block0.shift2.shifts",
                         "stage1.block0.conv2.weight", "stage2.block0.shortcut.0.weight", "stage2.block0.shortcut.1.bias",
                         "stage3.block2.bn2.weight", "linear.weight", "linear.bias"] {
            #expect(paths.contains(expected), "\(expected)")
        }
        #expect(Set(paths).count == paths.count)
        #expect(net.namedBuffers().map(\.path).contains("stage1.block0.bn1.running_mean"))
        let twin = try Architecture.depthwiseResNet(depth: 20, expansion: 3).build(seed: 1, as: Float.self)
        #expect(try twin.parameters()["stage1.block0.depth.weight"]?.shape == [48, 1, 3, 3])
        #expect(try twin.parameters()["stage1.block0.conv3.weight"]?.shape == [16, 48, 1, 1])
    }

    @Test func saveAndLoadRoundTripEveryTensor() throws {
        let arch = try Architecture(name: "t", inputChannels: 1, classes: 3, stemChannels: 4, widths: [4, 8], blocksPerStage: [1, 1],
                                    block: .convShiftConv(expansion: 2, middle: .shift(.active)))
        let a = try arch.build(seed: 1, as: Float.self), b = try arch.build(seed: 2, as: Float.self)
        let x = try Tensor<Float>.random(shape: [4, 1, 6, 6], seed: 3)
        _ = try a.forward(x)  // running statistics move away from their start
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shiftnets-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try a.save(to: folder)
        #expect(FileManager.default.fileExists(atPath: folder + "/stage1.block0.conv1.weight.npy"))
        #expect(FileManager.default.fileExists(atPath: folder + "/bn1.running_var.npy"))
        #expect(try a.parameters()["linear.weight"]!.elements != b.parameters()["linear.weight"]!.elements)
        try b.load(from: folder)
        for (path, value) in try a.parameters() { #expect(try b.parameters()[path]?.elements == value.elements, "\(path)") }
        for (path, value) in a.namedBuffers() { #expect(b.namedBuffers().first { $0.path == path }?.parameter.value.elements == value.value.elements, "\(path)") }
        a.eval(); b.eval()
        #expect(try a.forward(x).elements == b.forward(x).elements)
        // A missing file is an error naming the folder, and nothing changes.
        try FileManager.default.removeItem(atPath: folder + "/linear.bias.npy")
        let c = try arch.build(seed: 3, as: Float.self)
        let before = try c.parameters().mapValues(\.elements)
        #expect { try c.load(from: folder) } throws: { ($0 as? ShiftOpsError)?.argument == "directory" }
        #expect(try c.parameters().mapValues(\.elements) == before)
    }

    @Test func optimiserStepsEveryParameterByPath() throws {
        let net = try Architecture(name: "t", inputChannels: 1, classes: 3, stemChannels: 4, widths: [4], blocksPerStage: [1],
                                   block: .convShiftConv(expansion: 2, middle: .shift(.active))).build(seed: 1, as: Float.self)
        let x = try Tensor<Float>.random(shape: [4, 1, 5, 5], seed: 3)
        let result = try softmaxCrossEntropy(logits: net.forward(x), labels: [0, 1, 2, 0])
        _ = try net.backward(result.gradient)
        var sgd = SGD<Float>(learningRate: 0.1, momentum: 0.9)
        sgd.learningRateMultipliers["stage1.block0.shift2.shifts"] = 0
        let before = try net.parameters(), gradients = try net.gradients()
        try sgd.update(net)
        #expect(Set(sgd.velocities.keys) == Set(before.keys))
        for (path, value) in try net.parameters() {
            let expected = zip(before[path]!.elements, gradients[path]!.elements).map {
                $0 - (path.hasSuffix("shifts") ? 0 : 0.1) * $1
            }
            #expect(value.elements == expected, "\(path)")
        }
    }

    @Test func batchNormUsesRunningStatisticsInEvaluation() throws {
        let bn = try BatchNorm2d<Double>(channels: 2)
        let x = try Tensor<Double>(shape: [2, 2, 1, 2], elements: [1, 2, 10, 20, 3, 4, 30, 40])
        let y = try bn.forward(x).elements
        // Channel 0 holds 1, 2, 3, 4: mean 2.5, biased variance 1.25.
        #expect(abs(y[0] - (1 - 2.5) / (1.25 + 1e-5).squareRoot()) < 1e-12)
        #expect(abs(bn.runningMean.value.elements[0] - 0.25) < 1e-12)
        #expect(abs(bn.runningVar.value.elements[0] - (0.9 + 0.1 * 5.0 / 3)) < 1e-12)
        bn.eval()
        let z = try bn.forward(x).elements
        #expect(abs(z[0] - (1 - 0.25) / (bn.runningVar.value.elements[0] + 1e-5).squareRoot()) < 1e-12)
        #expect(throws: ShiftOpsError.self) { try bn.backward(x) }
    }

    @Test func badInputThrowsNamingTheArgument() throws {
        #expect(throws: ShiftOpsError(.invalidArgument, argument: "groups",
                                      "expected a divisor of inChannels 6 and outChannels 4, got 4")) {
            try Conv2d<Float>(inChannels: 6, outChannels: 4, kernelSize: 1, groups: 4, seed: 0)
        }
        let conv = try Conv2d<Float>(inChannels: 3, outChannels: 4, kernelSize: 3, seed: 0)
        #expect { try conv.forward(Tensor(shape: [1, 2, 5, 5])) } throws: { ($0 as? ShiftOpsError)?.argument == "input" }
        #expect { try conv.forward(Tensor(shape: [1, 3, 2, 2])) } throws: { ($0 as? ShiftOpsError)?.code == .invalidGeometry }
        _ = try conv.forward(Tensor(shape: [1, 3, 5, 5]))
        #expect { try conv.backward(Tensor(shape: [1, 4, 2, 2])) } throws: { ($0 as? ShiftOpsError)?.argument == "gradOutput" }
        #expect { try softmaxCrossEntropy(logits: Tensor<Float>(shape: [2, 3]), labels: [0, 3]) } throws: {
            ($0 as? ShiftOpsError)?.argument == "labels"
        }
        #expect { try Architecture.shiftResNet(depth: 21, expansion: 3) } throws: { ($0 as? ShiftOpsError)?.argument == "depth" }
        #expect { try Architecture.shiftResNet(depth: 20, expansion: 0) } throws: { ($0 as? ShiftOpsError)?.argument == "expansion" }
        let net = try Architecture.resNet(depth: 20).build(seed: 0, as: Float.self)
        #expect { try net.update(parameters: ["nope": Tensor(shape: [1])]) } throws: { ($0 as? ShiftOpsError)?.argument == "parameters" }
        #expect { try net.update(parameters: ["linear.bias": Tensor(shape: [3])]) } throws: { ($0 as? ShiftOpsError)?.code == .shapeMismatch }
    }
}

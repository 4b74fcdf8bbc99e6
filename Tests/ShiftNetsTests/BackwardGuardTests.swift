import Testing
import ShiftOps
import ShiftNets

/// Every layer that keeps values for its backward refuses a backward with nothing to read (no
/// forward yet, or an evaluation-mode forward last) with one error, and a gradient of another
/// shape than its output with one naming `gradOutput`.
@Suite struct BackwardGuardTests {
    static let noForward = ShiftOpsError(.invalidArgument, argument: "forward", "backward needs a training-mode forward first")

    /// Each layer with an input it takes; the output's shape comes from running it.
    static func layers() throws -> [(name: String, layer: Module<Float>, input: Tensor<Float>)] {
        let image = try Tensor<Float>.random(shape: [2, 3, 4, 4], seed: 1)
        let bn = try BatchNorm2d<Float>(channels: 3)
        return [
            ("Linear", try Linear(inFeatures: 5, outFeatures: 2, seed: 1), try Tensor.random(shape: [2, 5], seed: 2)),
            ("Conv2d", try Conv2d(inChannels: 3, outChannels: 2, kernelSize: 3, padding: 1, seed: 1), image),
            ("ShiftPointwiseConv", try ShiftPointwiseConv(shift: ShiftModule(channels: 3, mode: .active, seed: 1),
                                                          conv: Conv2d(inChannels: 3, outChannels: 2, kernelSize: 1, seed: 2)), image),
            ("DepthwiseConv3x3", try DepthwiseConv3x3(channels: 3, seed: 1), image),
            ("ShiftModule", try ShiftModule(channels: 3, mode: .active, seed: 1), image),
            ("ReLU", ReLU(), image),
            ("ResidualBlock", ResidualBlock(main: [("bn", bn), ("relu", ReLU())], shortcut: nil), image),
            ("GlobalAveragePool", GlobalAveragePool(), image),
            ("BatchNorm2d", try BatchNorm2d(channels: 3), image),
        ]
    }

    @Test func backwardWithoutATrainingForwardThrowsNamingForward() throws {
        for (name, layer, input) in try Self.layers() {
            let g = try layer.forward(input)
            let fresh = try Self.layers().first { $0.name == name }!.layer
            #expect(throws: Self.noForward, "\(name) before any forward") { try fresh.backward(g) }
            layer.eval()
            _ = try layer.forward(input)
            #expect(throws: Self.noForward, "\(name) after an evaluation-mode forward") { try layer.backward(g) }
            layer.train()
            _ = try layer.forward(input)
            #expect(try layer.backward(g).shape == input.shape, "\(name) after a training-mode forward")
        }
    }

    @Test func backwardOfAnotherShapeThrowsNamingGradOutput() throws {
        for (name, layer, input) in try Self.layers() {
            let shape = try layer.forward(input).shape
            let wrong = Array(shape.dropLast()) + [shape.last! + 1]
            // The shift and the depthwise convolution pass the op's own wording on; every message
            // names both shapes.
            #expect("\(name)") { try layer.backward(Tensor(shape: wrong)) } throws: {
                guard let error = $0 as? ShiftOpsError else { return false }
                return error.code == .shapeMismatch && error.argument == "gradOutput"
                    && error.message.contains("\(shape)") && error.message.hasSuffix("got \(wrong)")
            }
        }
    }
}

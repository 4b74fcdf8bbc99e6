import Foundation
import Testing
// Without @testable: a user's layer sees only the public and open API.
import ShiftOps
import ShiftNets

// The example in `Module`'s doc comment, copied exactly (the test below checks that it still is).
/// y[n, c, h, w] = x[n, c, h, w] * scale[c], a learned scale per channel.
final class ChannelScale: Module<Float> {
    let scale: Parameter<Float>
    private var savedInput: Tensor<Float>?

    init(channels: Int) throws {
        scale = Parameter(try Tensor(shape: [channels], repeating: 1))
        super.init()
    }

    override var ownParameters: [(name: String, parameter: Parameter<Float>)] { [("scale", scale)] }

    override func forward(_ input: Tensor<Float>) throws -> Tensor<Float> {
        let c = scale.value.count
        guard input.rank == 4, input.shape[1] == c else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(c), H, W], got \(input.shape)")
        }
        savedInput = isTraining ? input : nil
        let s = scale.value.elements, plane = input.shape[2] * input.shape[3]
        return try Tensor(shape: input.shape, elements: input.elements.enumerated().map { $1 * s[$0 / plane % c] })
    }

    override func backward(_ gradOutput: Tensor<Float>) throws -> Tensor<Float> {
        guard let x = savedInput, gradOutput.shape == x.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected the last training forward's shape")
        }
        let s = scale.value.elements, c = s.count, plane = x.shape[2] * x.shape[3]
        let g = gradOutput.elements, xs = x.elements
        var ds = [Float](repeating: 0, count: c)
        for i in g.indices { ds[i / plane % c] += g[i] * xs[i] }
        try scale.accumulate(Tensor(shape: [c], elements: ds))
        return try Tensor(shape: x.shape, elements: g.enumerated().map { $1 * s[$0 / plane % c] })
    }
}

/// The network of `Module`'s doc example, built as it builds it.
func docExampleNetwork() throws -> Sequential<Float> {
    let net = Sequential<Float>([
        ("conv1", try Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, seed: 1)),
        ("scale", try ChannelScale(channels: 8)),
        ("relu", ReLU()),
        ("pool", GlobalAveragePool()),
        ("linear", try Linear(inFeatures: 8, outFeatures: 10, seed: 2)),
    ])
    return net
}

/// Item 6: a layer written outside the package trains, counts, saves and loads beside the
/// package's own inside `Sequential`; errors read well through Foundation.
@Suite struct UserLayerTests {
    @Test func moduleDocExampleRunsAndItsLayerTrainsCountsSavesAndLoads() throws {
        let images = try Tensor<Float>.random(shape: [4, 3, 5, 5], seed: 7)
        let labels = [0, 3, 9, 3]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shiftnets-user-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // The doc comment's example, copied exactly (its network built by `docExampleNetwork`).
        let net = try docExampleNetwork()
        let logits = try net.forward(images)                  // [N, 10]
        let result = try softmaxCrossEntropy(logits: logits, labels: labels)
        _ = try net.backward(result.gradient)
        var optimizer = SGD<Float>(learningRate: 0.1, momentum: 0.9)
        try optimizer.update(net)                              // SGD from ShiftOps, state by path
        net.zeroGradients()
        try net.save(to: folder)                               // folder/scale.scale.npy among the rest

        // It trained: the scale moved by the optimiser's step, from its own gradient.
        let scale = try #require(net.children.first { $0.name == "scale" }?.module as? ChannelScale)
        #expect(scale.scale.value.elements != [Float](repeating: 1, count: 8))
        #expect(try net.parameters()["scale.scale"]?.shape == [8])
        // It counts: its parameters in the total and its own row.
        var rows: [LayerCount] = []
        _ = try net.count(inputShape: [1, 3, 5, 5], path: "", rows: &rows)
        #expect(rows.map(\.path) == ["conv1", "scale", "relu", "pool", "linear"])
        #expect(rows[1].parameters == 8 && rows[1].outputShape == [8, 5, 5])
        #expect(net.parameterCount == 3 * 8 * 9 + 8 + 8 * 10 + 10)
        // It saved and loads.
        #expect(FileManager.default.fileExists(atPath: folder + "/scale.scale.npy"))
        // A twin as `net` was before its step: every tensor differs from the saved one until it loads.
        let twin = try docExampleNetwork()
        for (path, value) in try twin.parameters() {
            #expect(try value.elements != net.parameters()[path]?.elements, "\(path)")
        }
        try twin.load(from: folder)
        #expect(try twin.parameters().mapValues(\.elements) == net.parameters().mapValues(\.elements))
        #expect(try twin.forward(images).elements == net.forward(images).elements)
    }

    /// The user layer's gradients against values worked out by hand, and `accumulate` refusing a
    /// wrong shape.
    @Test func userLayerGradientMatchesHandComputedValues() throws {
        let layer = try ChannelScale(channels: 2)
        try layer.scale.accumulate(Tensor(shape: [2], elements: [0, 0]))
        let x = try Tensor<Float>(shape: [1, 2, 1, 2], elements: [1, 2, 3, 4])
        _ = try layer.forward(x)
        let g = try Tensor<Float>(shape: [1, 2, 1, 2], elements: [1, -1, 0.5, 2])
        let gx = try layer.backward(g)
        // dL/dscale[c] = sum of g * x over the channel; dL/dx = g * scale (scale 1).
        let expected: [Float] = [1 * 1 - 1 * 2, 0.5 * 3 + 2 * 4]
        #expect(layer.scale.gradient.elements == expected)
        #expect(gx.elements == g.elements)
        #expect(throws: ShiftOpsError.self) { try layer.scale.accumulate(Tensor(shape: [3])) }
    }

    /// The doc comment's example is the code this file compiles.
    @Test func moduleDocExampleIsTheCompiledOne() throws {
        let here = URL(fileURLWithPath: #filePath)
        let module = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ShiftNets/Module.swift")
        let source = try String(contentsOf: module, encoding: .utf8), test = try String(contentsOf: here, encoding: .utf8)
        let start = try #require(source.range(of: "/// ```swift\n"))
        let end = try #require(source.range(of: "/// ```\n", range: start.upperBound..<source.endIndex))
        let example = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("/// ") ? $0.dropFirst(4) : $0.dropFirst(3) }
        let compiled = Set(test.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for line in example where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            #expect(compiled.contains(line.trimmingCharacters(in: .whitespaces)), "\(line)")
        }
    }

    @Test func errorsDescribeThemselvesThroughFoundation() {
        let error: any Error = ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 1, got 0")
        #expect(error.localizedDescription == "channels: expected >= 1, got 0")
        #expect((error as? LocalizedError)?.errorDescription == "channels: expected >= 1, got 0")
    }
}

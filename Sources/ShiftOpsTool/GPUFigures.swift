import Foundation

/// The GPU figures G1-G4 of one shape from its times (the minimum of each op's repetitions, in
/// milliseconds): kept apart from the CUDA bench that times them, so that their arithmetic and
/// goals are tested on any machine.
enum GPUFigures {
    /// Below this many bytes a shape is bound by launch latency, not bandwidth (8x512x7x7 is 0.8
    /// MB): G1 and G2 are reported there without a goal.
    static let launchBoundBytes = 4 << 20

    /// G1 (forward bandwidth over the copy's: the forward moves 2 x `bytes`, as the copy does),
    /// G2 (the backward's, 3 x `bytes`), G3 (our depthwise forward+backward over the shift's) and,
    /// with PyTorch's figures, G4 (PyTorch's faster depthwise forward+backward over the shift's).
    static func make(shape: [Int], bytes: Int, copy: Double, forward: Double, backward: Double,
                     convForward: Double, convBackward: Double, pytorch: PyTorchGPUFigures?) -> [BenchCommand.Figure] {
        let size = Double(bytes)
        let copyBandwidth = 2 * size / copy
        let bandwidthGoal: Double? = bytes >= launchBoundBytes ? 0.85 : nil
        var figures = [
            BenchCommand.Figure(shape: shape, id: "G1", label: "forward bandwidth / copy bandwidth",
                                value: (2 * size / forward) / copyBandwidth, goal: bandwidthGoal, atMost: false),
            BenchCommand.Figure(shape: shape, id: "G2", label: "backward bandwidth (3x) / copy bandwidth",
                                value: (3 * size / backward) / copyBandwidth, goal: bandwidthGoal, atMost: false),
            BenchCommand.Figure(shape: shape, id: "G3", label: "our depthwise fwd+bwd / shift fwd+bwd",
                                value: (convForward + convBackward) / (forward + backward), goal: 3, atMost: false),
        ]
        if let fastest = pytorch?.fastestDepthwiseForwardBackward(shape: shape) {
            figures.append(BenchCommand.Figure(shape: shape, id: "G4", label: "PyTorch fastest depthwise fwd+bwd / shift fwd+bwd",
                                               value: fastest / (forward + backward), goal: 1.25, atMost: false))
        }
        return figures
    }
}

/// The side-by-side figures of `Benchmarks/pytorch_gpu.py --json`: its `cases` list, in the same
/// format as `shiftops bench --json`.
struct PyTorchGPUFigures {
    /// Each case's time, its minimum ("min_ms", else "median_ms"): "NxCxHxW case" -> milliseconds.
    var times: [String: Double]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else {
            throw UsageError("--pytorch: cannot read a pytorch_gpu.py JSON file at \(path)")
        }
        times = [:]
        for entry in cases {
            guard let shape = entry["shape"] as? [Int], let name = entry["case"] as? String,
                  let time = PyTorchFigures.times(entry)?.time else { continue }
            times[shape.map(String.init).joined(separator: "x") + " " + name] = time
        }
    }

    /// PyTorch's faster of its NCHW and channels-last 3x3 depthwise forward+backward, in ms.
    func fastestDepthwiseForwardBackward(shape: [Int]) -> Double? {
        let label = shape.map(String.init).joined(separator: "x")
        return ["depthwise 3x3 NCHW forward+backward", "depthwise 3x3 channels-last forward+backward"]
            .compactMap { times[label + " " + $0] }.min()
    }
}

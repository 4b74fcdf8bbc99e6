import Foundation
import ShiftOps
import ShiftNets

/// `shiftops bench-pointwise`: GFLOP/s of ShiftNets' 1x1 convolution (forward, and forward +
/// backward) on the shapes of ShiftResNet-20 (e = 3) at batch 32 and a 32x64x56x56 layer. FLOPs are
/// 2 x MACs; backward counts the input and weight gradients (2 x 2 x MACs). Best of `--repeats`.
enum PointwiseBench {
    static let help = """
        usage: shiftops bench-pointwise [--repeats R] [--threads T] [--pytorch FILE]
          Times the 1x1 convolution of ShiftNets (Float) and prints GFLOP/s per shape, and the matrix
          product's backend (SHIFTOPS_BLAS chooses it). --pytorch FILE: the JSON of
          Benchmarks/pointwise_torch.py --json, printed beside ours with N3 (our GFLOP/s over
          PyTorch's on the CIFAR-sized layers).
        """

    /// `(batch, in, out, side)` of each timed layer.
    static let shapes: [(Int, Int, Int, Int)] = [
        (32, 16, 48, 32), (32, 48, 16, 32), (32, 32, 96, 16), (32, 96, 32, 16),
        (32, 64, 192, 8), (32, 192, 64, 8), (32, 64, 64, 56),
    ]

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let options = try Options(arguments, valued: ["repeats", "threads", "pytorch"])
        let repeats = try options.integer("repeats") ?? 5
        let threads = try options.integer("threads") ?? Parallelism.threadLimit
        guard repeats >= 1, threads >= 1 else { throw UsageError("--repeats and --threads expect >= 1") }
        let pytorch = try options.string("pytorch").map { try PyTorchFigures(contentsOf: $0) }
        output("1x1 convolution, Float, \(threads) threads, best of \(repeats)")
        output("matrix products: \(GemmBackend.current) (SHIFTOPS_BLAS chooses)")
        output("| N x Cin x H x W -> Cout | forward ms | forward GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s |")
        output("| --- | ---: | ---: | ---: | ---: |")
        var timings: [Timing] = []
        try Parallelism.$threadLimit.withValue(threads) {
            for (n, cin, cout, side) in shapes {
                let conv = try Conv2d<Float>(inChannels: cin, outChannels: cout, kernelSize: 1, seed: 1)
                let x = try Tensor<Float>.random(shape: [n, cin, side, side], seed: 2)
                let g = try Tensor<Float>.random(shape: [n, cout, side, side], seed: 3)
                let flops = 2.0 * Double(n * cin * cout * side * side)
                var forward = Double.infinity, both = Double.infinity
                for _ in 0..<repeats {
                    var start = Date()
                    _ = try conv.forward(x)
                    forward = min(forward, Date().timeIntervalSince(start))
                    start = Date()
                    _ = try conv.forward(x)
                    _ = try conv.backward(g)
                    both = min(both, Date().timeIntervalSince(start))
                }
                output(String(format: "| %dx%dx%dx%d -> %d | %.2f | %.1f | %.2f | %.1f |", n, cin, side, side, cout,
                              forward * 1e3, flops / forward / 1e9, both * 1e3, 3 * flops / both / 1e9))
                timings.append(Timing(shape: [n, cin, side, side, cout], forward: forward, both: both))
            }
            if let pytorch {
                output("")
                for line in sideBySide(timings, pytorch) { output(line) }
            }
            try fusedAgainstUnfused(repeats: repeats, output: output)
        }
    }

    /// One shape's best times, seconds; `shape` is `[N, Cin, H, W, Cout]`, as the PyTorch JSON.
    struct Timing {
        var shape: [Int]
        var forward: Double
        var both: Double
        /// The CIFAR-sized layers (32x32 and smaller) that N3 covers.
        var cifarSized: Bool { shape[2] <= 32 }
    }

    /// PyTorch's case names in `Benchmarks/pointwise_torch.py --json`.
    static let pytorchForward = "pytorch conv1x1 forward", pytorchBoth = "pytorch conv1x1 forward+backward"

    /// PyTorch's best times beside ours, our GFLOP/s over PyTorch's (= PyTorch's time over ours)
    /// per shape, and N3: the geometric mean of those ratios over the CIFAR-sized layers, forward
    /// and forward+backward.
    static func sideBySide(_ timings: [Timing], _ pytorch: PyTorchFigures) -> [String] {
        var lines = ["side by side with PyTorch \(pytorch.version), \(pytorch.path) (best ms; ours GFLOP/s / PyTorch's):",
                     "| N x Cin x H x W -> Cout | PyTorch fwd ms | ours / PyTorch fwd | PyTorch fwd+bwd ms | ours / PyTorch fwd+bwd |",
                     "| --- | ---: | ---: | ---: | ---: |"]
        var ratios: [(forward: Double, both: Double)] = []
        for t in timings {
            func theirs(_ name: String) -> Double? { pytorch.rows.first { $0.shape == t.shape && $0.name == name }?.minimum }
            let (f, b) = (theirs(pytorchForward), theirs(pytorchBoth))
            func cell(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
            let label = "\(t.shape[0])x\(t.shape[1])x\(t.shape[2])x\(t.shape[3]) -> \(t.shape[4])"
            lines.append("| \(label) | \(cell(f.map { $0 * 1e3 }, "%.2f")) | \(cell(f.map { $0 / t.forward }, "%.2f")) | "
                         + "\(cell(b.map { $0 * 1e3 }, "%.2f")) | \(cell(b.map { $0 / t.both }, "%.2f")) |")
            if t.cifarSized, let f, let b { ratios.append((f / t.forward, b / t.both)) }
        }
        let complete = ratios.count == timings.filter(\.cifarSized).count && !ratios.isEmpty
        func mean(_ values: [Double]) -> Double? {
            complete ? Foundation.exp(values.map { Foundation.log($0) }.reduce(0, +) / Double(values.count)) : nil
        }
        let note = "not measured (\(pytorch.path) lacks some CIFAR-sized shape)"
        let figures: [BenchCommand.Figure] = [
            .init(shape: [], id: "N3", label: "our 1x1 GFLOP/s / PyTorch's, forward (CIFAR layers)",
                  value: mean(ratios.map(\.forward)), goal: 0.9, atMost: false, note: note),
            .init(shape: [], id: "N3", label: "our 1x1 GFLOP/s / PyTorch's, fwd+bwd (CIFAR layers)",
                  value: mean(ratios.map(\.both)), goal: 0.9, atMost: false, note: note),
        ]
        lines.append("figures (geometric mean over the CIFAR-sized layers, on the backend above):")
        lines += figures.map(Report.figureLine)
        return lines
    }

    /// The shift and the last 1x1 convolution of a CSC block of ShiftResNet-20's widest stage
    /// (64 planes, e = 3: 192 to 64 channels at 8x8), batch 32, fused (``ShiftPointwiseConv``)
    /// and as two layers, both directions, with stride 1 and with the stage's stride 2 (at 16x16,
    /// the stage's first block). Rounds alternate, best of `repeats` each.
    static func fusedAgainstUnfused(repeats: Int, output: (String) -> Void) throws {
        output("")
        output("shift + 1x1 convolution of a ShiftResNet-20 e=3 stage-3 block, batch 32, Float, active shift, best of \(repeats)")
        output("| input -> output | unfused fwd ms | fused fwd ms | unfused fwd+bwd ms | fused fwd+bwd ms |")
        output("| --- | ---: | ---: | ---: | ---: |")
        for (side, stride) in [(8, 1), (16, 2)] {
            let shift = try ShiftModule<Float>(channels: 192, mode: .active, seed: 1)
            let conv = try Conv2d<Float>(inChannels: 192, outChannels: 64, kernelSize: 1, stride: stride, seed: 2)
            let fused = try ShiftPointwiseConv(shift: try ShiftModule<Float>(channels: 192, mode: .active, seed: 1),
                                               conv: try Conv2d<Float>(inChannels: 192, outChannels: 64, kernelSize: 1, stride: stride, seed: 2))
            let x = try Tensor<Float>.random(shape: [32, 192, side, side], seed: 3)
            let g = try Tensor<Float>.random(shape: [32, 64, (side - 1) / stride + 1, (side - 1) / stride + 1], seed: 4)
            var best = [Double](repeating: .infinity, count: 4)
            func time(_ slot: Int, _ body: () throws -> Void) rethrows {
                let start = Date()
                try body()
                best[slot] = min(best[slot], Date().timeIntervalSince(start))
            }
            for _ in 0..<repeats {
                try time(0) { _ = try conv.forward(try shift.forward(x)) }
                try time(1) { _ = try fused.forward(x) }
                try time(2) { _ = try conv.forward(try shift.forward(x)); _ = try shift.backward(try conv.backward(g)) }
                try time(3) { _ = try fused.forward(x); _ = try fused.backward(g) }
            }
            output(String(format: "| 32x192x%dx%d -> 64, stride %d | %.2f | %.2f | %.2f | %.2f |", side, side, stride,
                          best[0] * 1e3, best[1] * 1e3, best[2] * 1e3, best[3] * 1e3))
        }
    }
}

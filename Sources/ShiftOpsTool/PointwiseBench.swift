import Foundation
import ShiftOps
import ShiftNets

/// `shiftops bench-pointwise`: GFLOP/s of ShiftNets' 1x1 convolution (forward, and forward +
/// backward) on the shapes of ShiftResNet-20 (e = 3) at batch 32 and a 32x64x56x56 layer. FLOPs are
/// 2 x MACs; backward counts the input and weight gradients (2 x 2 x MACs). Best of `--repeats`.
enum PointwiseBench {
    static let help = """
        usage: shiftops bench-pointwise [--repeats R] [--threads T]
          Times the 1x1 convolution of ShiftNets (Float) and prints GFLOP/s per shape. PyTorch's
          figures for the same shapes come from Benchmarks/pointwise_torch.py.
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
        let options = try Options(arguments, valued: ["repeats", "threads"])
        let repeats = try options.integer("repeats") ?? 5
        let threads = try options.integer("threads") ?? Parallelism.threadLimit
        guard repeats >= 1, threads >= 1 else { throw UsageError("--repeats and --threads expect >= 1") }
        output("1x1 convolution, Float, \(threads) threads, best of \(repeats)")
        output("| N x Cin x H x W -> Cout | forward ms | forward GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s |")
        output("| --- | ---: | ---: | ---: | ---: |")
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
            }
            try fusedAgainstUnfused(repeats: repeats, output: output)
        }
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

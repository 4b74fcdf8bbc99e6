import Foundation
import ShiftOps
import ShiftOpsTestSupport

/// The figures I1 and T1 for the first 2-D shape `[N, C, H, W]` of a bench run, each checked before
/// it is timed.
///
/// - I1: the active forward (zeros padding) run on the caller's memory: the input wrapped with
///   `Tensor.withBorrowed`, the op `into:` a tensor over the caller's output buffer, the result read
///   through `withUnsafeBufferPointer`; over the same op `into:` a preallocated tensor. Both sides
///   are interleaved in one run.
/// - T1: `temporalShift` over `[N * 8, C, H, W]` as 8-frame clips, fold C / 8; PyTorch's TSM shift
///   (zero fill plus slice copies, `Benchmarks/tsm_torch.py`, `--tsm FILE`) over ours.
struct BenchInterop {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    /// The case name `Benchmarks/tsm_torch.py` writes.
    static let pytorchCase = "pytorch tsm shift forward"
    static let segments = 8

    let shape: [Int]
    let settings: BenchCommand.Settings
    let progress: (String) -> Void

    /// The clip batch T1 times: `[N * 8, C, H, W]` for the run's `[N, C, H, W]`.
    var clipShape: [Int] { [shape[0] * Self.segments] + shape.dropFirst() }

    func run(tsm: PyTorchFigures?) throws -> BenchResult {
        var rows = [Row](), figures = [Figure]()
        let (interop, preallocated) = try interopRows()
        rows += [interop, preallocated]
        figures.append(Figure(shape: shape, id: "I1", label: "caller's memory (borrowed in, into, read) / into",
                              value: interop.minimum / preallocated.minimum, goal: 1.1, atMost: true))
        let ours = try temporalShiftRow()
        rows.append(ours)
        let theirs = tsm?.rows.first { $0.shape == clipShape && $0.name == Self.pytorchCase }
        let label = clipShape.map(String.init).joined(separator: "x")
        figures.append(Figure(shape: clipShape, id: "T1", label: "PyTorch TSM shift fwd / temporalShift (\(label))",
                              value: theirs.map { $0.minimum / ours.minimum }, goal: 1.3, atMost: false,
                              note: tsm == nil ? "not measured, needs --tsm FILE from Benchmarks/tsm_torch.py"
                                               : "not measured, \(tsm!.path) has no \(label) case"))
        return BenchResult(shape: shape, rows: rows, figures: figures, memoryProbes: [])
    }

    /// I1's two sides, interleaved.
    func interopRows() throws -> (Row, Row) {
        let x = try Tensor<Float>.random(shape: shape, seed: 1)
        let shifts = try Tensor<Float>.random(shape: [shape[1], 2], in: -1.5...1.5, seed: 3)
        let expected = try shift2d(x, shifts: shifts)
        // The caller's own buffers, as another library would hold them.
        let input = x.elements
        var output = [Float](repeating: 0, count: x.count)
        var preallocated = try Tensor<Float>(shape: shape)
        var sink: Float = 0
        let callersMemory = {
            try input.withUnsafeBufferPointer { inputBuffer in
                try output.withUnsafeMutableBufferPointer { outputBuffer in
                    try Tensor.withBorrowed(inputBuffer, shape: shape) { xt in
                        try Tensor.withBorrowed(mutating: outputBuffer, shape: shape) { yt in
                            try shift2d(xt, shifts: shifts, into: &yt)
                            sink += try yt.withUnsafeBufferPointer { $0[$0.count / 2] }
                        }
                    }
                }
            }
        }
        try callersMemory()
        try BenchCheck.check("I1 (the op on the caller's memory)", Tolerance.relativeError(output, expected.elements), tolerance: 0)
        let timer = BenchTimer(shape: shape, repetitions: settings.repetitions, progress: progress)
        let rows = try timer.interleaved(["I1 active forward, caller's memory", "I1 active forward into preallocated"],
                                         bytes: 2 * x.count * MemoryLayout<Float>.stride,
                                         [callersMemory, { try shift2d(x, shifts: shifts, into: &preallocated) }])
        precondition(!sink.isNaN)
        return (rows[0], rows[1])
    }

    /// T1's side of ours, checked against TSM's rule written out.
    func temporalShiftRow() throws -> Row {
        let x = try Tensor<Float>.random(shape: clipShape, seed: 5)
        let y = try temporalShift(x, segments: Self.segments)
        try BenchCheck.check("temporal shift", Tolerance.relativeError(y.elements, Self.naiveTSM(x.elements, shape: clipShape)),
                             tolerance: 0)
        var sink = 0
        let timer = BenchTimer(shape: clipShape, repetitions: settings.repetitions, progress: progress)
        let row = try timer.time("temporalShift forward, 8 frames", bytes: 2 * x.count * MemoryLayout<Float>.stride) {
            sink &+= try temporalShift(x, segments: Self.segments).count
        }
        precondition(sink != 0)
        return row
    }

    /// TSM's shift of `[N * 8, C, H, W]`: channels below C / 8 read frame t + 1, the next C / 8
    /// frame t - 1, zeros past the clip's ends.
    static func naiveTSM(_ x: [Float], shape: [Int]) -> [Float] {
        let (frames, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let fold = channels / 8
        var y = [Float](repeating: 0, count: x.count)
        for f in 0..<frames {
            let t = f % segments
            for c in 0..<channels {
                let source = c < fold ? t + 1 : c < 2 * fold ? t - 1 : t
                guard (0..<segments).contains(source) else { continue }
                let (to, from) = ((f * channels + c) * plane, ((f - t + source) * channels + c) * plane)
                for p in 0..<plane { y[to + p] = x[from + p] }
            }
        }
        return y
    }
}

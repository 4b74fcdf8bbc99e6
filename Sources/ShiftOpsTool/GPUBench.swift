#if CUDA
import Foundation
import ShiftCUDA
import ShiftOps

/// `shiftops bench --device cuda`: the GPU figures of SPEC §9 (G1-G3), all from one run, timed
/// with CUDA events against a device-to-device copy and our CUDA depthwise convolution.
enum GPUBench {
    static func run(shapes: [[Int]], padding: ShiftPadding, repetitions: Int,
                    output: (String) -> Void, progress: (String) -> Void) throws {
        let backend = try CUDABackend.shared()
        output("device: \(backend)")
        for shape in shapes {
            let x = try Tensor<Float>.random(shape: shape, seed: 1)
            let g = try Tensor<Float>.random(shape: shape, seed: 2)
            let shifts = try Tensor<Float>.random(shape: [shape[1], 2], in: -1.5...1.5, seed: 3)
            let weight = try Tensor<Float>.random(shape: [shape[1], 3, 3], seed: 4)
            let (dx, dg) = (try CUDATensor(x), try CUDATensor(g))
            // Check once against the CPU so that a fast wrong kernel cannot post a time.
            let cpu = try ShiftOps.shift2d(x, shifts: shifts, padding: padding)
            let difference = try shift2d(dx, shifts: shifts, padding: padding).host().maximumRelativeDifference(to: cpu)
            guard difference <= 1e-5 else {
                throw UsageError("bench: the CUDA forward differs from the CPU by \(difference); not timing a wrong kernel")
            }
            let size = Double(x.count * MemoryLayout<Float>.stride)
            let label = shape.map(String.init).joined(separator: "x")
            func timed(_ name: String, _ body: () throws -> Void) throws -> Double {
                let t = try backend.time(repetitions: repetitions, body)
                progress(String(format: "bench cuda %@ %-26@ median %8.3f ms  min %8.3f ms", label, name, t.median, t.minimum))
                return t.median
            }
            let copy = try timed("cudaMemcpy D2D") { _ = try dx.copy() }
            let forward = try timed("shift active forward") { _ = try shift2d(dx, shifts: shifts, padding: padding) }
            let backward = try timed("shift active backward") {
                _ = try shift2dBackward(gradOutput: dg, input: dx, shifts: shifts, padding: padding)
            }
            let convForward = try timed("depthwise 3x3 forward") { _ = try depthwiseConv2d(dx, weight: weight) }
            let convBackward = try timed("depthwise 3x3 backward") {
                _ = try depthwiseConv2dBackward(gradOutput: dg, input: dx, weight: weight)
            }
            let copyBandwidth = 2 * size / copy
            let figures = [
                ("G1", "forward bandwidth / copy bandwidth", (2 * size / forward) / copyBandwidth, 0.8),
                ("G2", "backward bandwidth / copy bandwidth", (3 * size / backward) / copyBandwidth, 0.65),
                ("G3", "depthwise fwd+bwd / shift fwd+bwd", (convForward + convBackward) / (forward + backward), 2),
            ]
            var lines = ["", "shape \(label) float32 NCHW on the GPU, \(padding) padding, median of \(repetitions)"]
            for (name, t) in [("cudaMemcpy D2D", copy), ("shift active forward", forward), ("shift active backward", backward),
                              ("depthwise 3x3 forward", convForward), ("depthwise 3x3 backward", convBackward)] {
                lines.append(Report.pad(name, 30) + Report.pad(String(format: "%.3f ms", t), 12, right: true))
            }
            lines.append("memory beyond the output: forward 0 B; backward \(shape[1] * 3 * 64 * 4) B at most (per-channel block partials) plus the [C, 2] shift table")
            lines.append("figures (SPEC §9):")
            for (id, name, value, goal) in figures {
                lines.append("  " + Report.pad(id, 4) + Report.pad(name, 40) + Report.pad(String(format: "%.2f", value), 8, right: true)
                             + "   goal >= " + String(format: "%g", goal) + (value >= goal ? "  met" : "  MISSED"))
            }
            output(lines.joined(separator: "\n"))
        }
    }
}
#endif

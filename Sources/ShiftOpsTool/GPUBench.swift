#if CUDA
import Foundation
import ShiftCUDA
import ShiftOps
import ShiftOpsTestSupport

/// `shiftops bench --device cuda`: the GPU figures G1-G4, all from one run.
///
/// Kernel times are CUDA-event minima (an op's time, as on the CPU) of ops writing preallocated outputs (`into:` forms), against
/// `cudaMemcpyAsync` of the same bytes into an existing buffer; end-to-end times are host wall
/// clock per op (validation, launch, and the wait at the end, amortised over the repetitions).
/// Every op is checked against the CPU before it is timed, so a fast wrong kernel posts no time.
/// G4 needs PyTorch's figures: pass the JSON of `Benchmarks/pytorch_gpu.py` with `--pytorch`.
enum GPUBench {
    static func run(settings: BenchCommand.Settings, output: (String) -> Void, progress: (String) -> Void) throws {
        let backend = try CUDABackend.shared()
        output("device: \(backend)")
        let pytorch = try settings.pytorch.map(PyTorchGPUFigures.init(path:))
        var rows = [BenchCommand.Row](), figures = [BenchCommand.Figure]()
        for shape in settings.shapes {
            let (shapeRows, shapeFigures, memory) = try bench(shape: shape, settings: settings, pytorch: pytorch,
                                                              backend: backend, progress: progress)
            rows += shapeRows
            figures += shapeFigures
            output(table(shape: shape, settings: settings, rows: shapeRows, figures: shapeFigures, memory: memory))
        }
        if let path = settings.json { try Report.write(Report.json(rows: rows, figures: figures, settings: settings), to: path) }
        if let path = settings.csv { try Report.write(Report.csv(rows: rows), to: path) }
    }

    /// Checks, on the first two images of `shape`, the forward, both gradients and the depthwise
    /// baseline against the reference.
    static func verify(shape: [Int], padding: ShiftPadding, channelsLast: Bool) throws {
        let small = [min(shape[0], 2)] + shape.dropFirst()
        var x = try Tensor<Float>.random(shape: small, seed: 1)
        if channelsLast { x = try x.channelsLast() }
        let g = try Tensor<Float>.random(shape: small, seed: 2)
        let s = try Tensor<Float>.random(shape: [shape[1], 2], in: -1.5...1.5, seed: 3)
        let (y, gradients) = try GPURun.apply(x, s, g, .active, padding, .identity)
        let expected = ReferenceShift.forward(x, shifts: s, padding: padding)
        let expectedGradients = ReferenceShift.backward(gradOutput: g, input: x, shifts: s, padding: padding)
        var failures = [String]()
        if Tolerance.relativeError(y, expected) > 1e-5 { failures.append("forward") }
        if Tolerance.relativeError(gradients!.input, expectedGradients.input) > 1e-5 { failures.append("gradInput") }
        if Tolerance.relativeError(gradients!.shifts!, expectedGradients.shifts!) > 1e-4 { failures.append("gradShifts") }
        if !channelsLast {
            let w = try Tensor<Float>.random(shape: [shape[1], 3, 3], seed: 4)
            let conv = try depthwiseConv2d(CUDATensor(x), weight: CUDATensor(w)).host()
            if Tolerance.relativeError(conv, ReferenceDepthwise.forward(x, weight: w)) > 1e-5 { failures.append("depthwise") }
        }
        guard failures.isEmpty else {
            throw UsageError("bench: the CUDA \(failures.joined(separator: ", ")) differ from the reference at \(small) "
                             + "\(channelsLast ? "channels-last" : "NCHW"); not timing a wrong kernel")
        }
    }

    static func bench(shape: [Int], settings: BenchCommand.Settings, pytorch: PyTorchGPUFigures?, backend: CUDABackend,
                      progress: (String) -> Void) throws -> ([BenchCommand.Row], [BenchCommand.Figure], [String]) {
        let padding = settings.padding, repetitions = settings.repetitions
        try verify(shape: shape, padding: padding, channelsLast: false)
        try verify(shape: shape, padding: padding, channelsLast: true)
        let label = shape.map(String.init).joined(separator: "x")
        let size = shape.reduce(1, *) * MemoryLayout<Float>.stride
        var rows = [BenchCommand.Row]()
        func timed(_ name: String, bytes: Int, _ body: () throws -> Void) throws -> Double {
            let kernel = try backend.time(repetitions: repetitions, body)
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { try body() }
            try backend.synchronize()
            let endToEnd = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(repetitions)
            progress(String(format: "bench cuda %@ %-36@ kernel median %8.3f ms  min %8.3f ms  end-to-end %8.3f ms",
                            label, name, kernel.median, kernel.minimum, endToEnd))
            rows.append(BenchCommand.Row(shape: shape, name: name, median: kernel.median / 1e3, minimum: kernel.minimum / 1e3,
                                         bytes: bytes))
            rows.append(BenchCommand.Row(shape: shape, name: name + " (end-to-end)", median: endToEnd / 1e3,
                                         minimum: endToEnd / 1e3, bytes: bytes))
            return kernel.minimum
        }
        let s = try Tensor<Float>.random(shape: [shape[1], 2], in: -1.5...1.5, seed: 3)
        let deviceShifts = try CUDATensor(s)
        // The weight on the device, as a training loop keeps it: the baseline times the kernels.
        let weight = try CUDATensor(try Tensor<Float>.random(shape: [shape[1], 3, 3], seed: 4))
        var times = [String: Double]()
        var memory = [String]()
        for channelsLast in [false, true] {
            var xh = try Tensor<Float>.random(shape: shape, seed: 1)
            if channelsLast { xh = try xh.channelsLast() }
            let x = try CUDATensor(xh), g = try CUDATensor(try Tensor<Float>.random(shape: shape, seed: 2).dense(order: xh.dimensionOrder))
            let y = try CUDATensor<Float>(shape: shape, order: xh.dimensionOrder)
            let copyTarget = try CUDATensor<Float>(shape: shape, order: xh.dimensionOrder)
            let gradients = CUDAShiftGradients(input: try CUDATensor<Float>(shape: shape, order: xh.dimensionOrder),
                                               shifts: try CUDATensor<Float>(shape: [shape[1], 2]))
            let layout = channelsLast ? "channels-last" : "NCHW"
            times["copy \(layout)"] = try timed("cudaMemcpyAsync D2D \(layout)", bytes: 2 * size) { try x.copy(into: copyTarget) }
            let forward = try timed("shift active forward \(layout)", bytes: 2 * size) {
                try shift2d(x, shifts: deviceShifts, padding: padding, into: y)
            }
            let backward = try timed("shift active backward \(layout)", bytes: 3 * size) {
                try shift2dBackward(gradOutput: g, input: x, shifts: deviceShifts, padding: padding, into: gradients)
            }
            times["forward \(layout)"] = forward
            times["backward \(layout)"] = backward
            // The integer-shift modes on request (--modes): data movement forward, the same fused
            // backward (grouped without the shift gradient).
            for mode in settings.modes where mode != .active {
                var s = try Tensor<Float>.random(shape: [shape[1], 2], in: -1.5...1.5, seed: 3)
                if mode == .grouped { s = try Tensor(shape: s.shape, elements: s.elements.map { $0.rounded() }) }
                let table = try CUDATensor(s)
                let modeGradients = CUDAShiftGradients(input: gradients.input, shifts: mode.learnsShifts ? gradients.shifts : nil)
                _ = try timed("shift \(mode) forward \(layout)", bytes: 2 * size) {
                    try shift2d(x, shifts: table, mode: mode, padding: padding, into: y)
                }
                _ = try timed("shift \(mode) backward \(layout)", bytes: 3 * size) {
                    try shift2dBackward(gradOutput: g, input: x, shifts: table, mode: mode, padding: padding, into: modeGradients)
                }
            }
            let forwardBytes = try backend.poolBytes { try shift2d(x, shifts: deviceShifts, padding: padding, into: y) }
            let backwardBytes = try backend.poolBytes {
                try shift2dBackward(gradOutput: g, input: x, shifts: deviceShifts, padding: padding, into: gradients)
            }
            memory.append("\(layout): forward \(forwardBytes) B, backward \(backwardBytes) B")
        }
        // Our depthwise baseline takes dense NCHW and allocates from the stream-ordered pool.
        let x = try CUDATensor(try Tensor<Float>.random(shape: shape, seed: 1))
        let g = try CUDATensor(try Tensor<Float>.random(shape: shape, seed: 2))
        let convForward = try timed("depthwise 3x3 forward NCHW", bytes: 2 * size) { _ = try depthwiseConv2d(x, weight: weight) }
        let convBackward = try timed("depthwise 3x3 backward NCHW", bytes: 3 * size) {
            _ = try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight)
        }
        let figures = GPUFigures.make(shape: shape, bytes: size, copy: times["copy NCHW"]!, forward: times["forward NCHW"]!,
                                      backward: times["backward NCHW"]!, convForward: convForward, convBackward: convBackward,
                                      pytorch: pytorch)
        return (rows, figures, memory)
    }

    static func table(shape: [Int], settings: BenchCommand.Settings, rows: [BenchCommand.Row],
                      figures: [BenchCommand.Figure], memory: [String]) -> String {
        let label = shape.map(String.init).joined(separator: "x")
        var lines = ["", "shape \(label) float32 on the GPU, \(settings.padding) padding, time = minimum of \(settings.repetitions) runs"]
        lines.append(Report.pad("case", 52) + Report.pad("min ms", 11, right: true) + Report.pad("GB/s", 9, right: true))
        for row in rows {
            lines.append(Report.pad(row.name, 52) + Report.pad(String(format: "%.3f", row.time * 1e3), 11, right: true)
                         + Report.pad(String(format: "%.1f", row.gigabytesPerSecond), 9, right: true))
        }
        lines.append("memory beyond the outputs, measured (pool high-water mark, device shifts): "
                     + memory.joined(separator: "; "))
        lines.append("figures (NCHW):")
        for f in figures {
            let value = f.value.map { String(format: "%.2f", $0) } ?? f.note
            let goal = f.goal.map { "   goal >= " + String(format: "%g", $0) } ?? ""
            let verdict = f.met.map { $0 ? "  met" : "  MISSED" } ?? ""
            lines.append("  " + Report.pad(f.id, 4) + Report.pad(f.label, 52) + Report.pad(value, 8, right: true) + goal + verdict)
        }
        if !figures.contains(where: { $0.id == "G4" }) {
            lines.append("  G4  PyTorch fastest depthwise fwd+bwd / shift fwd+bwd: not measured "
                         + "(run Benchmarks/pytorch_gpu.py --json FILE and pass --pytorch FILE)")
        }
        return lines.joined(separator: "\n")
    }
}

#endif

import Dispatch
import Foundation
import ShiftOps

/// Times one shape's cases: the minimum (the op's time) and median of `repetitions` runs after one
/// warm-up, each reported on the progress stream as it finishes.
struct BenchTimer {
    let shape: [Int]
    let repetitions: Int
    let progress: (String) -> Void

    var label: String { shape.map(String.init).joined(separator: "x") }

    func time(_ name: String, bytes: Int, repetitions: Int? = nil, _ body: () throws -> Void) rethrows -> BenchCommand.Row {
        BenchTimer.emptyBufferPool()
        try body()
        var samples = [Double]()
        for _ in 0..<(repetitions ?? self.repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        let row = BenchCommand.Row(shape: shape, name: name, median: samples[samples.count / 2], minimum: samples[0], bytes: bytes)
        progress(String(format: "bench %@ %-36@ median %8.3f ms  min %8.3f ms", label, name, row.median * 1e3, row.minimum * 1e3))
        return row
    }
}

extension BenchTimer {
    /// Empties the tensor buffer pool before a case's warm-up, so that the warm-up fills it with
    /// the case's own buffer sizes. Without it the pool can be left full of other sizes (earlier
    /// shapes, the Double reference tensors of the checks), and each timed call then page-faults
    /// fresh output pages: 3-D cases ran 3x slower after the 32x64 shape for that reason alone.
    static func emptyBufferPool() {
        TensorMemory.releaseCachedBuffers()
    }

    /// Times several bodies in turn within each repetition, so that the machine's load changes
    /// reach them alike and their ratios are taken in one run.
    func interleaved(_ names: [String], bytes: Int, _ bodies: [() throws -> Void]) throws -> [BenchCommand.Row] {
        BenchTimer.emptyBufferPool()
        for body in bodies { try body() }
        var samples = [[Double]](repeating: [], count: bodies.count)
        for _ in 0..<repetitions {
            for (i, body) in bodies.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                samples[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return zip(names, samples).map { name, times in
            let sorted = times.sorted()
            let row = BenchCommand.Row(shape: shape, name: name, median: sorted[sorted.count / 2], minimum: sorted[0], bytes: bytes)
            progress(String(format: "bench %@ %-36@ median %8.3f ms  min %8.3f ms", label, name, row.median * 1e3, row.minimum * 1e3))
            return row
        }
    }
}

/// One shape's timed rows and figures, and the memory probes run after every shape is timed.
struct BenchResult {
    var shape: [Int]
    var rows: [BenchCommand.Row]
    var figures: [BenchCommand.Figure]
    /// Case name to a probe that measures its bytes beyond the output (see `BenchMemory`).
    var memoryProbes: [(name: String, probe: () throws -> Int?)]
    /// Case name to the CPU path its op takes (``CPUPlan``), printed under the table.
    var paths: [(name: String, plan: String)] = []

    mutating func measureMemory(progress: (String) -> Void) throws {
        for (name, probe) in memoryProbes {
            guard let index = rows.firstIndex(where: { $0.name == name }) else { continue }
            rows[index].extraBytes = try probe()
        }
        let label = shape.map(String.init).joined(separator: "x")
        progress("bench \(label) memory measured for \(memoryProbes.count) ops")
    }

}

/// Checks a kernel's result before it is timed: a wrong kernel gets no time.
enum BenchCheck {
    static func check(_ what: String, _ difference: Double, tolerance: Double) throws {
        guard difference <= tolerance else {
            throw UsageError("bench: \(what) differs from the reference by \(difference) (> \(tolerance)); not timing a wrong kernel")
        }
    }

    /// How many elements differ in their bits: 0 where a layout's kernel must give another's bits.
    static func bitwiseDifferences(_ a: [Float], _ b: [Float]) -> Double {
        a.count != b.count ? .infinity : Double(zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count)
    }

    /// `|<g, f(v)> - <f^T g, v>| / max(|<g, f(v)>|, 1)` in Double: the input gradient must be the
    /// forward's transpose applied to `g`.
    static func adjointError(g: [Float], y: [Float], gradInput: [Float], x: [Float]) -> Double {
        let lhs = zip(g, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(gradInput, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return abs(lhs - rhs) / max(abs(lhs), 1)
    }
}

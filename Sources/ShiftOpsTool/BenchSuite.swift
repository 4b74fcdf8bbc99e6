import Dispatch
import Foundation
import ShiftOps

/// The benchmark cases for one shape, on fixed-seed data, each checked before it is timed.
struct BenchSuite {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    let shape: [Int]
    let settings: BenchCommand.Settings
    let progress: (String) -> Void
    let x: Tensor<Float>
    let g: Tensor<Float>
    let realShifts: Tensor<Float>
    let integerShifts: Tensor<Float>
    let weight: Tensor<Float>

    init(shape: [Int], settings: BenchCommand.Settings, progress: @escaping (String) -> Void) throws {
        self.shape = shape
        self.settings = settings
        self.progress = progress
        let channels = shape[1]
        x = try .random(shape: shape, seed: 1)
        g = try .random(shape: shape, seed: 2)
        realShifts = try .random(shape: [channels, 2], in: -1.5...1.5, seed: 3)
        // The classic grouped 3x3 assignment: channel c takes offset c mod 9 of {-1, 0, 1}^2.
        integerShifts = try groupedShifts(channels: channels, kernelSize: 3, spatialRank: 2)
        weight = try .random(shape: [channels, 3, 3], seed: 4)
    }

    var label: String { shape.map(String.init).joined(separator: "x") }

    /// Median and minimum seconds of `repetitions` runs after one warm-up.
    func time(_ name: String, bytes: Int, repetitions: Int? = nil, _ body: () throws -> Void) rethrows -> Row {
        try body()
        var samples = [Double]()
        for _ in 0..<(repetitions ?? settings.repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        let row = Row(shape: shape, name: name, median: samples[samples.count / 2], minimum: samples[0], bytes: bytes)
        progress(String(format: "bench %@ %-28@ median %8.3f ms  min %8.3f ms", label, name, row.median * 1e3, row.minimum * 1e3))
        return row
    }

    func check(_ what: String, _ difference: Float, tolerance: Float) throws {
        guard difference <= tolerance else {
            throw UsageError("bench: \(what) differs from the naive reference by \(difference) (> \(tolerance)); not timing a wrong kernel")
        }
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(abs($1.0), abs($1.1), 1)) }
    }

    func run() throws -> ([Row], [Figure]) {
        let padding = settings.padding
        let size = x.count * MemoryLayout<Float>.stride
        var rows = [Row]()
        var sink = 0

        // Baselines: a memcpy of the input's bytes, on one thread and split over the threads.
        let source = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        memset(source, 1, size)
        memset(target, 0, size)
        rows.append(time("memcpy (1 thread)", bytes: 2 * size) { memcpy(target, source, size) })
        let threads = settings.threads
        let pointers = UncheckedPointers(source: source, target: target)
        rows.append(time("memcpy (\(threads) threads)", bytes: 2 * size) {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = size * t / threads, hi = size * (t + 1) / threads
                memcpy(pointers.target + lo, pointers.source + lo, hi - lo)
            }
        })
        let memcpyTime = min(rows[0].median, rows[1].median)

        let naiveActive = settings.naive || settings.modes.contains(.active)
            ? NaiveShift2d.forward(x.elements, shape: shape, shifts: realShifts.elements, padding: padding) : []
        var times = [String: Double]()
        for mode in settings.modes {
            let shifts = mode == .grouped ? integerShifts : realShifts
            let y = try shift2d(x, shifts: shifts, mode: mode, padding: padding)
            let expected = mode == .active ? naiveActive
                : NaiveShift2d.forward(x.elements, shape: shape, shifts: shifts.elements.map { $0.rounded(.toNearestOrEven) }, padding: padding)
            try check("\(mode) forward", maxDifference(y.elements, expected), tolerance: 1e-5)
            let forward = try time("shift \(mode) forward", bytes: 2 * size) {
                sink &+= try shift2d(x, shifts: shifts, mode: mode, padding: padding).count
            }
            rows.append(forward)
            times["\(mode) forward"] = forward.median
            // Backward: check the adjoint identity <g, f(v)> = <f^T g, v> with v = x.
            let gradients = try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding)
            let lhs = zip(g.elements, y.elements).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(gradients.input.elements, x.elements).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            try check("\(mode) backward (adjoint identity)", Float(abs(lhs - rhs) / max(abs(lhs), 1)), tolerance: 1e-4)
            let backward = try time("shift \(mode) backward", bytes: 3 * size) {
                sink &+= try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding).input.count
            }
            rows.append(backward)
            times["\(mode) backward"] = backward.median
        }

        let conv = try depthwiseConv2d(x, weight: weight)
        try check("depthwise forward", maxDifference(conv.elements, NaiveDepthwise.forward(x.elements, shape: shape, weight: weight.elements)),
                  tolerance: 1e-5)
        let convForward = try time("depthwise 3x3 forward", bytes: 2 * size) {
            sink &+= try depthwiseConv2d(x, weight: weight).count
        }
        let convBackward = try time("depthwise 3x3 backward", bytes: 3 * size) {
            sink &+= try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight).input.count
        }
        rows += [convForward, convBackward]

        var naiveTime: Double?
        if settings.naive {
            let naive = time("naive active forward", bytes: 2 * size, repetitions: 1) {
                sink &+= NaiveShift2d.forward(x.elements, shape: shape, shifts: realShifts.elements, padding: padding).count
            }
            rows.append(naive)
            naiveTime = naive.median
        }
        precondition(sink != 0)

        var figures = [Figure]()
        func figure(_ id: String, _ label: String, _ value: Double?, _ goal: Double, atMost: Bool) {
            if let value { figures.append(Figure(shape: shape, id: id, label: label, value: value, goal: goal, atMost: atMost)) }
        }
        let active = (times["active forward"], times["active backward"])
        figure("C1", "integer-shift forward / memcpy", times["grouped forward"].map { $0 / memcpyTime }, 1.5, atMost: true)
        figure("C2", "active forward / memcpy", active.0.map { $0 / memcpyTime }, 2.5, atMost: true)
        figure("C3", "active backward / memcpy", active.1.map { $0 / memcpyTime }, 5, atMost: true)
        figure("C4", "depthwise forward / active forward", active.0.map { convForward.median / $0 }, 2, atMost: false)
        if let f = active.0, let b = active.1 {
            figure("C5", "depthwise fwd+bwd / active fwd+bwd", (convForward.median + convBackward.median) / (f + b), 3, atMost: false)
        }
        if let naiveTime { figure("C6", "naive forward / fast active forward", active.0.map { naiveTime / $0 }, 20, atMost: false) }
        return (rows, figures)
    }
}

/// The memcpy buffers, shared read-only by the copy tasks, each writing its own byte range.
struct UncheckedPointers: @unchecked Sendable {
    let source: UnsafeMutableRawPointer
    let target: UnsafeMutableRawPointer
}

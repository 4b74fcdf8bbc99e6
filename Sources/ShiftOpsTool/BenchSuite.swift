import Foundation
import ShiftOps

/// The benchmark cases for one 2-D shape, on fixed-seed data, each checked before it is timed:
/// the shift modes forward and backward (NCHW, Float), the Int8 quantized forward, the active shift
/// on channels-last tensors, our 3x3 depthwise convolution and the naive reference.
struct BenchSuite {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    let shape: [Int]
    let settings: BenchCommand.Settings
    let timer: BenchTimer
    let x: Tensor<Float>
    let g: Tensor<Float>
    let realShifts: Tensor<Float>
    let integerShifts: Tensor<Float>
    let weight: Tensor<Float>

    init(shape: [Int], settings: BenchCommand.Settings, timer: BenchTimer) throws {
        self.shape = shape
        self.settings = settings
        self.timer = timer
        let channels = shape[1]
        x = try .random(shape: shape, seed: 1)
        g = try .random(shape: shape, seed: 2)
        realShifts = try .random(shape: [channels, 2], in: -1.5...1.5, seed: 3)
        // The classic grouped 3x3 assignment: channel c takes offset c mod 9 of {-1, 0, 1}^2.
        integerShifts = try groupedShifts(channels: channels, kernelSize: 3, spatialRank: 2)
        weight = try .random(shape: [channels, 3, 3], seed: 4)
    }

    /// The shape at or above which SPEC §9's large-shape (memory-bound) goals apply.
    static let largeShapeBytes = 32 * 64 * 56 * 56 * MemoryLayout<Float>.stride

    func run() throws -> BenchResult {
        let padding = settings.padding
        let size = x.count * MemoryLayout<Float>.stride
        var rows = [Row]()
        var paths = [(name: String, plan: String)]()
        var probes = [(name: String, probe: () throws -> Int?)]()
        var sink = 0

        let copy = BenchCopy.measure(bytes: size, threads: settings.threads, timer: timer)
        rows += copy.rows

        let naiveActive = NaiveShift2d.forward(x.elements, shape: shape, shifts: realShifts.elements, padding: padding)
        var times = [String: Double]()
        for mode in settings.modes {
            let shifts = mode == .grouped ? integerShifts : realShifts
            let y = try shift2d(x, shifts: shifts, mode: mode, padding: padding)
            let expected = mode == .active ? naiveActive
                : NaiveShift2d.forward(x.elements, shape: shape, shifts: shifts.elements.map { $0.rounded(.toNearestOrEven) }, padding: padding)
            try BenchCheck.check("\(mode) forward", BenchCheck.maxDifference(y.elements, expected), tolerance: 1e-5)
            let forward = try timer.time("shift \(mode) forward", bytes: 2 * size) {
                sink &+= try shift2d(x, shifts: shifts, mode: mode, padding: padding).count
            }
            rows.append(forward)
            paths.append((forward.name, try CPUPlan.forward(x, shifts: shifts, mode: mode, padding: padding).description))
            times["\(mode) forward"] = forward.median
            probes.append((forward.name, { [x, shape] in
                try BenchMemory.measure(op: { try shift2d(x, shifts: shifts, mode: mode, padding: padding) },
                                        reference: { try Tensor<Float>(shape: shape) })
            }))
            let gradients = try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding)
            try BenchCheck.check("\(mode) backward (adjoint identity)",
                                 BenchCheck.adjointError(g: g.elements, y: y.elements, gradInput: gradients.input.elements, x: x.elements),
                                 tolerance: 1e-4)
            let backward = try timer.time("shift \(mode) backward", bytes: 3 * size) {
                sink &+= try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding).input.count
            }
            rows.append(backward)
            paths.append((backward.name, try CPUPlan.backward(gradOutput: g, input: x, shifts: shifts, mode: mode,
                                                              padding: padding).description))
            times["\(mode) backward"] = backward.median
            probes.append((backward.name, { [x, g, shape] in
                try BenchMemory.measure(op: { try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding) },
                                        reference: { (try Tensor<Float>(shape: shape),
                                                      mode.learnsShifts ? try Tensor<Float>(shape: [shape[1], 2]) : nil) })
            }))
        }

        // Quantized inference: the Int8 sparse forward, pure data movement, against a copy of its bytes.
        let quantized = try Tensor<Int8>(shape: shape, elements: x.elements.map { Int8(($0 * 100).rounded()) })
        let expectedQuantized = NaiveShift2d.forward(quantized.elements.map(Float.init), shape: shape,
                                                     shifts: realShifts.elements.map { $0.rounded(.toNearestOrEven) }, padding: padding)
        let yQuantized = try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0)
        try BenchCheck.check("int8 sparse forward", BenchCheck.maxDifference(yQuantized.elements.map(Float.init), expectedQuantized),
                             tolerance: 0)
        let quantizedCopy = BenchCopy.measure(bytes: quantized.count, threads: settings.threads, timer: timer, prefix: "int8 copy")
        rows += quantizedCopy.rows
        let quantizedForward = try timer.time("shift int8 sparse forward", bytes: 2 * quantized.count) {
            sink &+= try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0).count
        }
        rows.append(quantizedForward)
        paths.append((quantizedForward.name, try CPUPlan.forward(integer: quantized, shifts: realShifts, mode: .sparse,
                                                                 padding: padding).description))
        probes.append((quantizedForward.name, { [shape, realShifts] in
            try BenchMemory.measure(op: { try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0) },
                                    reference: { try Tensor<Int8>(shape: shape) })
        }))

        // Channels-last (NHWC in memory): the same active shift, checked against the NCHW result.
        let xLast = try x.channelsLast(), gLast = try g.channelsLast()
        let yLast = try shift2d(xLast, shifts: realShifts, padding: padding)
        try BenchCheck.check("channels-last active forward", BenchCheck.maxDifference(yLast.elements, naiveActive), tolerance: 1e-5)
        let lastGradients = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: realShifts, padding: padding)
        try BenchCheck.check("channels-last active backward (adjoint identity)",
                             BenchCheck.adjointError(g: gLast.elements, y: yLast.elements, gradInput: lastGradients.input.elements,
                                                     x: xLast.elements), tolerance: 1e-4)
        let lastForward = try timer.time("channels-last active forward", bytes: 2 * size) {
            sink &+= try shift2d(xLast, shifts: realShifts, padding: padding).count
        }
        let lastBackward = try timer.time("channels-last active backward", bytes: 3 * size) {
            sink &+= try shift2dBackward(gradOutput: gLast, input: xLast, shifts: realShifts, padding: padding).input.count
        }
        rows += [lastForward, lastBackward]
        paths.append((lastForward.name, try CPUPlan.forward(xLast, shifts: realShifts, padding: padding).description))
        paths.append((lastBackward.name, try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: realShifts,
                                                              padding: padding).description))
        let lastOrder = [0, 2, 3, 1]
        probes.append((lastForward.name, { [shape, realShifts] in
            try BenchMemory.measure(op: { try shift2d(xLast, shifts: realShifts, padding: padding) },
                                    reference: { try Tensor<Float>(shape: shape, order: lastOrder) })
        }))
        probes.append((lastBackward.name, { [shape, realShifts] in
            try BenchMemory.measure(op: { try shift2dBackward(gradOutput: gLast, input: xLast, shifts: realShifts, padding: padding) },
                                    reference: { (try Tensor<Float>(shape: shape, order: lastOrder), try Tensor<Float>(shape: [shape[1], 2])) })
        }))

        let conv = try depthwiseConv2d(x, weight: weight)
        try BenchCheck.check("depthwise forward",
                             BenchCheck.maxDifference(conv.elements, NaiveDepthwise.forward(x.elements, shape: shape, weight: weight.elements)),
                             tolerance: 1e-5)
        let convGradients = try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight)
        try BenchCheck.check("depthwise backward (adjoint identity)",
                             BenchCheck.adjointError(g: g.elements, y: conv.elements, gradInput: convGradients.input.elements, x: x.elements),
                             tolerance: 1e-4)
        let convForward = try timer.time("depthwise 3x3 forward", bytes: 2 * size) {
            sink &+= try depthwiseConv2d(x, weight: weight).count
        }
        let convBackward = try timer.time("depthwise 3x3 backward", bytes: 3 * size) {
            sink &+= try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight).input.count
        }
        rows += [convForward, convBackward]
        probes.append((convForward.name, { [x, weight, shape] in
            try BenchMemory.measure(op: { try depthwiseConv2d(x, weight: weight) }, reference: { try Tensor<Float>(shape: shape) })
        }))
        probes.append((convBackward.name, { [x, g, weight, shape] in
            try BenchMemory.measure(op: { try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight) },
                                    reference: { (try Tensor<Float>(shape: shape), try Tensor<Float>(shape: [shape[1], 3, 3])) })
        }))

        // The vector levels this processor has (SPEC §9: wider SIMD only as chosen at run time),
        // interleaved, each against the portable loops. Every level gives the same bits.
        var levelFigures = [(String, Double)]()
        if VectorLevel.selected > 0 {
            let levels = Array(0...VectorLevel.selected)
            func compare(_ name: String, bytes: Int, _ body: @escaping () throws -> Int) throws {
                let timed = try timer.interleaved(levels.map { "\(name) [\(VectorLevel.names[Int($0)])]" }, bytes: bytes,
                                                  levels.map { level in { try VectorLevel.$limit.withValue(level) { sink &+= try body() } } })
                rows += timed
                for (level, row) in zip(levels, timed).dropFirst() {
                    levelFigures.append(("\(name): portable / \(VectorLevel.names[Int(level)])", timed[0].median / row.median))
                }
            }
            try compare("active forward", bytes: 2 * size) { try shift2d(x, shifts: realShifts, padding: padding).count }
            try compare("active backward", bytes: 3 * size) {
                try shift2dBackward(gradOutput: g, input: x, shifts: realShifts, padding: padding).input.count
            }
            try compare("channels-last active forward", bytes: 2 * size) { try shift2d(xLast, shifts: realShifts, padding: padding).count }
        }

        var naiveTime: Double?
        if settings.naive {
            let naive = timer.time("naive active forward", bytes: 2 * size, repetitions: 1) {
                sink &+= NaiveShift2d.forward(x.elements, shape: shape, shifts: realShifts.elements, padding: padding).count
            }
            rows.append(naive)
            naiveTime = naive.median
        }
        precondition(sink != 0)

        let large = size >= Self.largeShapeBytes
        let copyTime = copy.best.median
        let active = (times["active forward"], times["active backward"])
        var figures = [Figure]()
        func figure(_ id: String, _ label: String, _ value: Double?, _ goal: Double?, atMost: Bool) {
            figures.append(Figure(shape: shape, id: id, label: label, value: value, goal: goal, atMost: atMost,
                                  note: "not measured (mode not run)"))
        }
        figure("C1", "integer-shift (grouped) forward / copy", times["grouped forward"].map { $0 / copyTime }, 1.2, atMost: true)
        figure("C2", "active forward / copy", active.0.map { $0 / copyTime }, large ? 1.3 : 2, atMost: true)
        figure("C3", "active backward / copy", active.1.map { $0 / copyTime }, large ? 3 : 6, atMost: true)
        figure("C4", "depthwise forward / active forward", active.0.map { convForward.median / $0 }, 2, atMost: false)
        figure("C5", "depthwise fwd+bwd / active fwd+bwd",
               active.0.flatMap { f in active.1.map { b in (convForward.median + convBackward.median) / (f + b) } }, 3, atMost: false)
        if let naiveTime { figure("C6", "naive forward / fast active forward", active.0.map { naiveTime / $0 }, 20, atMost: false) }
        figure("C8", "channels-last / NCHW active forward", active.0.map { lastForward.median / $0 }, 1.3, atMost: true)
        figure("C8", "channels-last / NCHW active backward", active.1.map { lastBackward.median / $0 }, 1.3, atMost: true)
        figure("--", "int8 sparse forward / int8 copy", quantizedForward.median / quantizedCopy.best.median, nil, atMost: true)
        for (label, value) in levelFigures { figure("--", label, value, nil, atMost: false) }
        return BenchResult(shape: shape, rows: rows, figures: figures, memoryProbes: probes, paths: paths)
    }
}

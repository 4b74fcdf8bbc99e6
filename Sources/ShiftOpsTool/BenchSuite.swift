import Foundation
import ShiftOps
import ShiftOpsTestSupport

/// The benchmark cases for one 2-D shape, on fixed-seed data, each checked before it is timed:
/// the shift modes forward and backward (NCHW, Float), the Int8 quantized forward, the active shift
/// on channels-last tensors, the grouped shift and the Int8 forward on channels-last tensors, our
/// 3x3 depthwise convolution and the naive reference; and the active shift, NCHW and
/// channels-last, again with shifts from U(-1, 1), as well as the sparse backward in both layouts.
struct BenchSuite {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    let shape: [Int]
    let settings: BenchCommand.Settings
    let timer: BenchTimer
    let x: Tensor<Float>
    let g: Tensor<Float>
    let realShifts: Tensor<Float>
    /// Shifts from U(-1, 1), the range of a layer that replaces a 3x3 depthwise convolution.
    let narrowShifts: Tensor<Float>
    let integerShifts: Tensor<Float>
    let weight: Tensor<Float>

    init(shape: [Int], settings: BenchCommand.Settings, timer: BenchTimer) throws {
        self.shape = shape
        self.settings = settings
        self.timer = timer
        let channels = shape[1]
        x = try .random(shape: shape, seed: 1)
        g = try .random(shape: shape, seed: 2)
        realShifts = try .random(shape: [channels, 2], in: BenchFigures.defaultShifts, seed: 3)
        narrowShifts = try .random(shape: [channels, 2], in: BenchFigures.narrowShifts, seed: 6)
        // The classic grouped 3x3 assignment: channel c takes offset c mod 9 of {-1, 0, 1}^2.
        integerShifts = try groupedShifts(channels: channels, kernelSize: 3, spatialRank: 2)
        weight = try .random(shape: [channels, 3, 3], seed: 4)
    }

    func run() throws -> BenchResult {
        let padding = settings.padding
        let size = x.count * MemoryLayout<Float>.stride
        var rows = [Row]()
        var paths = [(name: String, plan: String)]()
        var probes = [(name: String, probe: () throws -> Int?)]()
        var sink = 0

        let copy = BenchCopy.measure(bytes: size, threads: settings.threads, timer: timer)
        rows += copy.rows

        let naiveActive = ReferenceShift.forward(x, shifts: realShifts, padding: padding)
        for mode in settings.modes {
            let shifts = mode == .grouped ? integerShifts : realShifts
            let y = try shift2d(x, shifts: shifts, mode: mode, padding: padding)
            let expected = mode == .active ? naiveActive : ReferenceShift.forward(x, shifts: shifts, mode: mode, padding: padding)
            try BenchCheck.check("\(mode) forward", Tolerance.relativeError(y, expected), tolerance: 1e-5)
            let forward = try timer.time("shift \(mode) forward", bytes: 2 * size) {
                sink &+= try shift2d(x, shifts: shifts, mode: mode, padding: padding).count
            }
            rows.append(forward)
            paths.append((forward.name, try CPUPlan.forward(x, shifts: shifts, mode: mode, padding: padding).description))
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
            probes.append((backward.name, { [x, g, shape] in
                try BenchMemory.measure(op: { try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding) },
                                        reference: { (try Tensor<Float>(shape: shape),
                                                      mode.learnsShifts ? try Tensor<Float>(shape: [shape[1], 2]) : nil) })
            }))
        }

        // Quantized inference: the Int8 sparse forward, pure data movement, against a copy of its bytes.
        let quantized = try Tensor<Int8>(shape: shape, elements: x.elements.map { Int8(($0 * 100).rounded()) })
        let expectedQuantized = ReferenceShift.forward(try Tensor<Float>(shape: shape, elements: quantized.elements.map(Float.init)),
                                                       shifts: realShifts, mode: .sparse, padding: padding)
        let yQuantized = try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0)
        try BenchCheck.check("int8 sparse forward", Tolerance.relativeError(yQuantized.elements.map(Float.init), expectedQuantized.elements),
                             tolerance: 0)
        let quantizedCopy = BenchCopy.measure(bytes: quantized.count, threads: settings.threads, timer: timer, prefix: "int8 copy")
        rows += quantizedCopy.rows
        let quantizedForward = try timer.time(BenchFigures.Case.int8Forward, bytes: 2 * quantized.count) {
            sink &+= try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0).count
        }
        rows.append(quantizedForward)
        paths.append((quantizedForward.name, try CPUPlan.forward(integer: quantized, shifts: realShifts, mode: .sparse,
                                                                 padding: padding).description))
        probes.append((quantizedForward.name, { [shape, realShifts] in
            try BenchMemory.measure(op: { try shift2d(quantized, shifts: realShifts, mode: .sparse, padding: padding, fill: 0) },
                                    reference: { try Tensor<Int8>(shape: shape) })
        }))

        let xLast = try x.channelsLast(), gLast = try g.channelsLast()
        // The active rows below run with the active mode only, like its NCHW rows above.
        let active = settings.modes.contains(.active)
        if active {
            // Channels-last (NHWC in memory): the same active shift, checked against the NCHW result.
            let yLast = try shift2d(xLast, shifts: realShifts, padding: padding)
            try BenchCheck.check("channels-last active forward", Tolerance.relativeError(yLast, naiveActive), tolerance: 1e-5)
            let lastGradients = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: realShifts, padding: padding)
            try BenchCheck.check("channels-last active backward (adjoint identity)",
                                 BenchCheck.adjointError(g: gLast.elements, y: yLast.elements, gradInput: lastGradients.input.elements,
                                                         x: xLast.elements), tolerance: 1e-4)
            let lastForward = try timer.time(BenchFigures.Case.lastForward, bytes: 2 * size) {
                sink &+= try shift2d(xLast, shifts: realShifts, padding: padding).count
            }
            let lastBackward = try timer.time(BenchFigures.Case.lastBackward, bytes: 3 * size) {
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
        }

        // The integer shifts on channels-last data, checked bit for bit against NCHW.
        if settings.modes.contains(.grouped) {
            let y = try shift2d(x, shifts: integerShifts, mode: .grouped, padding: padding)
            let gx = try shift2dBackward(gradOutput: g, input: x, shifts: integerShifts, mode: .grouped, padding: padding).input
            let yLast = try shift2d(xLast, shifts: integerShifts, mode: .grouped, padding: padding)
            let gxLast = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: integerShifts, mode: .grouped, padding: padding).input
            try BenchCheck.check("channels-last grouped forward", BenchCheck.bitwiseDifferences(yLast.elements, y.elements), tolerance: 0)
            try BenchCheck.check("channels-last grouped backward", BenchCheck.bitwiseDifferences(gxLast.elements, gx.elements), tolerance: 0)
            let forward = try timer.time(BenchFigures.Case.lastGroupedForward, bytes: 2 * size) {
                sink &+= try shift2d(xLast, shifts: integerShifts, mode: .grouped, padding: padding).count
            }
            let backward = try timer.time(BenchFigures.Case.lastGroupedBackward, bytes: 2 * size) {
                sink &+= try shift2dBackward(gradOutput: gLast, input: xLast, shifts: integerShifts, mode: .grouped,
                                             padding: padding).input.count
            }
            rows += [forward, backward]
            paths.append((forward.name, try CPUPlan.forward(xLast, shifts: integerShifts, mode: .grouped, padding: padding).description))
            paths.append((backward.name, try CPUPlan.backward(gradOutput: gLast, input: xLast, shifts: integerShifts, mode: .grouped,
                                                              padding: padding).description))
        }
        let quantizedLast = try quantized.channelsLast()
        let yQuantizedLast = try shift2d(quantizedLast, shifts: realShifts, mode: .sparse, padding: padding, fill: 0)
        try BenchCheck.check("channels-last int8 sparse forward",
                             yQuantizedLast.elements == yQuantized.elements ? 0 : .infinity, tolerance: 0)
        let lastQuantizedForward = try timer.time(BenchFigures.Case.lastInt8Forward, bytes: 2 * quantized.count) {
            sink &+= try shift2d(quantizedLast, shifts: realShifts, mode: .sparse, padding: padding, fill: 0).count
        }
        rows.append(lastQuantizedForward)
        paths.append((lastQuantizedForward.name, try CPUPlan.forward(integer: quantizedLast, shifts: realShifts, mode: .sparse,
                                                                     padding: padding).description))

        if active {
            // The active shift at U(-1, 1), NCHW and channels-last, each checked like the default range.
            let naiveNarrow = ReferenceShift.forward(x, shifts: narrowShifts, padding: padding)
            for (input, gradOutput, forwardName, backwardName) in [(x, g, BenchFigures.Case.activeForward, BenchFigures.Case.activeBackward),
                                                                   (xLast, gLast, BenchFigures.Case.lastForward, BenchFigures.Case.lastBackward)] {
                let (forwardName, backwardName) = (BenchFigures.Case.narrow(forwardName), BenchFigures.Case.narrow(backwardName))
                let y = try shift2d(input, shifts: narrowShifts, padding: padding)
                try BenchCheck.check(forwardName, Tolerance.relativeError(y, naiveNarrow), tolerance: 1e-5)
                let gradients = try shift2dBackward(gradOutput: gradOutput, input: input, shifts: narrowShifts, padding: padding)
                try BenchCheck.check("\(backwardName) (adjoint identity)",
                                     BenchCheck.adjointError(g: gradOutput.elements, y: y.elements, gradInput: gradients.input.elements,
                                                             x: input.elements), tolerance: 1e-4)
                rows.append(try timer.time(forwardName, bytes: 2 * size) {
                    sink &+= try shift2d(input, shifts: narrowShifts, padding: padding).count
                })
                rows.append(try timer.time(backwardName, bytes: 3 * size) {
                    sink &+= try shift2dBackward(gradOutput: gradOutput, input: input, shifts: narrowShifts, padding: padding).input.count
                })
                paths.append((forwardName, try CPUPlan.forward(input, shifts: narrowShifts, padding: padding).description))
                paths.append((backwardName, try CPUPlan.backward(gradOutput: gradOutput, input: input, shifts: narrowShifts,
                                                                 padding: padding).description))
            }

            // The active forward at stride 2, at both shift ranges, in both layouts: NCHW checked
            // against the naive reference, channels-last against NCHW bit for bit.
            let strided = BenchFigures.strideGeometry
            for (shifts, suffix) in [(realShifts, ""), (narrowShifts, " " + BenchFigures.narrowName)] {
                let (nchwName, lastName) = (BenchFigures.Case.strided(BenchFigures.Case.activeForward) + suffix,
                                            BenchFigures.Case.strided(BenchFigures.Case.lastForward) + suffix)
                let y = try shift2d(x, shifts: shifts, padding: padding, geometry: strided)
                try BenchCheck.check(nchwName, Tolerance.relativeError(y, ReferenceShift.forward(x, shifts: shifts, padding: padding,
                                                                                                  geometry: strided)),
                                     tolerance: 1e-5)
                try BenchCheck.check(lastName, BenchCheck.bitwiseDifferences(try shift2d(xLast, shifts: shifts, padding: padding,
                                                                                         geometry: strided).elements, y.elements),
                                     tolerance: 0)
                for (input, name) in [(x, nchwName), (xLast, lastName)] {
                    rows.append(try timer.time(name, bytes: size + y.count * MemoryLayout<Float>.stride) {
                        sink &+= try shift2d(input, shifts: shifts, padding: padding, geometry: strided).count
                    })
                    paths.append((name, try CPUPlan.forward(input, shifts: shifts, padding: padding, geometry: strided).description))
                }
            }
        }

        // The sparse backward at U(-1, 1), where its channels-last kernel serves, in both layouts: the
        // input gradients bit for bit, the shift gradients within the layouts' tolerance.
        if settings.modes.contains(.sparse) {
            let nchw = try shift2dBackward(gradOutput: g, input: x, shifts: narrowShifts, mode: .sparse, padding: padding)
            let y = try shift2d(x, shifts: narrowShifts, mode: .sparse, padding: padding)
            try BenchCheck.check("sparse backward U(-1,1) (adjoint identity)",
                                 BenchCheck.adjointError(g: g.elements, y: y.elements, gradInput: nchw.input.elements, x: x.elements),
                                 tolerance: 1e-4)
            let last = try shift2dBackward(gradOutput: gLast, input: xLast, shifts: narrowShifts, mode: .sparse, padding: padding)
            try BenchCheck.check("channels-last sparse backward U(-1,1) input gradient",
                                 BenchCheck.bitwiseDifferences(last.input.elements, nchw.input.elements), tolerance: 0)
            guard let lastShifts = last.shifts, let nchwShifts = nchw.shifts else {
                throw UsageError("bench: the sparse backward gave no shift gradient")
            }
            try BenchCheck.check("channels-last sparse backward U(-1,1) shift gradient",
                                 Tolerance.relativeError(lastShifts, nchwShifts), tolerance: 1e-4)
            for (input, gradOutput, name) in [(x, g, BenchFigures.Case.sparseBackward), (xLast, gLast, BenchFigures.Case.lastSparseBackward)] {
                let name = BenchFigures.Case.narrow(name)
                rows.append(try timer.time(name, bytes: 3 * size) {
                    sink &+= try shift2dBackward(gradOutput: gradOutput, input: input, shifts: narrowShifts, mode: .sparse,
                                                 padding: padding).input.count
                })
                paths.append((name, try CPUPlan.backward(gradOutput: gradOutput, input: input, shifts: narrowShifts, mode: .sparse,
                                                         padding: padding).description))
            }
        }

        let conv = try depthwiseConv2d(x, weight: weight)
        try BenchCheck.check("depthwise forward",
                             Tolerance.relativeError(conv, ReferenceDepthwise.forward(x, weight: weight)),
                             tolerance: 1e-5)
        let convGradients = try depthwiseConv2dBackward(gradOutput: g, input: x, weight: weight)
        try BenchCheck.check("depthwise backward (adjoint identity)",
                             BenchCheck.adjointError(g: g.elements, y: conv.elements, gradInput: convGradients.input.elements, x: x.elements),
                             tolerance: 1e-4)
        let convForward = try timer.time(BenchFigures.Case.convForward, bytes: 2 * size) {
            sink &+= try depthwiseConv2d(x, weight: weight).count
        }
        let convBackward = try timer.time(BenchFigures.Case.convBackward, bytes: 3 * size) {
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

        // The vector levels this processor has (wider SIMD is only ever chosen at run time, never by
        // build flags), interleaved, each against the portable loops. Every level gives the same bits.
        var levelFigures = [(String, Double)]()
        if VectorLevel.selected > 0 && active {
            let levels = Array(0...VectorLevel.selected)
            func compare(_ name: String, bytes: Int, _ body: @escaping () throws -> Int) throws {
                let timed = try timer.interleaved(levels.map { "\(name) [\(VectorLevel.names[Int($0)])]" }, bytes: bytes,
                                                  levels.map { level in { try VectorLevel.$limit.withValue(level) { sink &+= try body() } } })
                rows += timed
                for (level, row) in zip(levels, timed).dropFirst() {
                    levelFigures.append(("\(name): portable / \(VectorLevel.names[Int(level)])", timed[0].time / row.time))
                }
            }
            try compare("active forward", bytes: 2 * size) { try shift2d(x, shifts: realShifts, padding: padding).count }
            try compare("active backward", bytes: 3 * size) {
                try shift2dBackward(gradOutput: g, input: x, shifts: realShifts, padding: padding).input.count
            }
            try compare("channels-last active forward", bytes: 2 * size) { try shift2d(xLast, shifts: realShifts, padding: padding).count }
        }

        if settings.naive {
            rows.append(timer.time(BenchFigures.Case.naiveForward, bytes: 2 * size, repetitions: 1) {
                sink &+= ReferenceShift.forward(x, shifts: realShifts, padding: padding).count
            })
        }
        precondition(sink != 0)

        // The ratios without a goal; the figures with one are built from the rows (`BenchFigures`).
        var figures = [Figure(shape: shape, id: "--", label: "int8 sparse forward / int8 copy",
                              value: quantizedForward.time / quantizedCopy.best.time, goal: nil, atMost: true)]
        for (label, value) in levelFigures { figures.append(Figure(shape: shape, id: "--", label: label, value: value, goal: nil, atMost: false)) }
        return BenchResult(shape: shape, rows: rows, figures: figures, memoryProbes: probes, paths: paths)
    }
}

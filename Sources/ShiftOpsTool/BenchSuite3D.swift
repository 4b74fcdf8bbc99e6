import Foundation
import ShiftOps
import ShiftOpsTestSupport

/// The benchmark cases for one 3-D shape `[N, C, D, H, W]`: `shift3d` forward and backward per mode,
/// the active mode again with shifts from U(-1, 1), the active mode on channels-last (NDHWC)
/// data at both ranges, each checked before timing against a naive trilinear reference and the
/// adjoint identity, and the active forward at stride 2 and U(-1, 1) in both layouts (NDHWC bit
/// for bit against NCDHW). The active mode's figures and their goals come
/// from `BenchFigures`; the other modes' ratios to copy are reported without a goal.
struct BenchSuite3D {
    let shape: [Int]
    let settings: BenchCommand.Settings
    let timer: BenchTimer

    func run() throws -> BenchResult {
        let padding = settings.padding
        let x = try Tensor<Float>.random(shape: shape, seed: 1)
        let g = try Tensor<Float>.random(shape: shape, seed: 2)
        let realShifts = try Tensor<Float>.random(shape: [shape[1], 3], in: BenchFigures.defaultShifts, seed: 3)
        let narrowShifts = try Tensor<Float>.random(shape: [shape[1], 3], in: BenchFigures.narrowShifts, seed: 6)
        let integerShifts: Tensor<Float> = try groupedShifts(channels: shape[1], kernelSize: 3, spatialRank: 3)
        let size = x.count * MemoryLayout<Float>.stride
        var sink = 0
        let copy = BenchCopy.measure(bytes: size, threads: settings.threads, timer: timer)
        var rows = copy.rows
        var probes = [(name: String, probe: () throws -> Int?)]()
        var paths = [(name: String, plan: String)]()
        var figures = [BenchCommand.Figure]()
        // The naive active references, each worked out once (with the active mode only): both
        // layouts are checked against them.
        let active = settings.modes.contains(.active)
        let naiveReal = active ? ReferenceShift.forward(x, shifts: realShifts, padding: padding) : nil
        let naiveNarrow = active ? ReferenceShift.forward(x, shifts: narrowShifts, padding: padding) : nil
        for mode in settings.modes {
            let shifts = mode == .grouped ? integerShifts : realShifts
            let y = try shift3d(x, shifts: shifts, mode: mode, padding: padding)
            let reference = (mode == .active ? naiveReal : nil)
                ?? ReferenceShift.forward(x, shifts: shifts, mode: mode, padding: padding)
            try BenchCheck.check("3-D \(mode) forward", Tolerance.relativeError(y, reference), tolerance: 1e-5)
            let gradients = try shift3dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding)
            try BenchCheck.check("3-D \(mode) backward (adjoint identity)",
                                 BenchCheck.adjointError(g: g.elements, y: y.elements, gradInput: gradients.input.elements, x: x.elements),
                                 tolerance: 1e-4)
            let forward = try timer.time("shift3d \(mode) forward", bytes: 2 * size) {
                sink &+= try shift3d(x, shifts: shifts, mode: mode, padding: padding).count
            }
            let backward = try timer.time("shift3d \(mode) backward", bytes: 3 * size) {
                sink &+= try shift3dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding).input.count
            }
            rows += [forward, backward]
            paths.append((forward.name, try CPUPlan.forward(x, shifts: shifts, mode: mode, padding: padding).description))
            paths.append((backward.name, try CPUPlan.backward(gradOutput: g, input: x, shifts: shifts, mode: mode,
                                                              padding: padding).description))
            probes.append((forward.name, { [shape] in
                try BenchMemory.measure(op: { try shift3d(x, shifts: shifts, mode: mode, padding: padding) },
                                        reference: { try Tensor<Float>(shape: shape) })
            }))
            probes.append((backward.name, { [shape] in
                try BenchMemory.measure(op: { try shift3dBackward(gradOutput: g, input: x, shifts: shifts, mode: mode, padding: padding) },
                                        reference: { (try Tensor<Float>(shape: shape), mode.learnsShifts ? try Tensor<Float>(shape: [shape[1], 3]) : nil) })
            }))
            if mode != .active {
                figures.append(.init(shape: shape, id: "--", label: "3-D \(mode) forward / copy", value: forward.time / copy.best.time,
                                     goal: nil, atMost: true))
            }
        }
        // The active shift at U(-1, 1), the range of a layer that replaces a 3x3x3 depthwise convolution,
        // and on channels-last (NDHWC) data at both ranges, each layout checked against the naive
        // reference and the adjoint identity, and each channels-last forward bit for bit against
        // NCDHW.
        guard let naiveReal, let naiveNarrow else {
            precondition(sink != 0)
            return BenchResult(shape: shape, rows: rows, figures: figures, memoryProbes: probes, paths: paths)
        }
        let (xLast, gLast) = (try x.channelsLast(), try g.channelsLast())
        typealias Case = BenchFigures.Case
        for (input, gradOutput, shifts, naive, forwardName, backwardName) in [
            (x, g, narrowShifts, naiveNarrow, Case.narrow(Case.forward3D), Case.narrow(Case.backward3D)),
            (xLast, gLast, realShifts, naiveReal, Case.lastForward3D, Case.lastBackward3D),
            (xLast, gLast, narrowShifts, naiveNarrow, Case.narrow(Case.lastForward3D), Case.narrow(Case.lastBackward3D)),
        ] {
            let y = try shift3d(input, shifts: shifts, padding: padding)
            try BenchCheck.check(forwardName, Tolerance.relativeError(y, naive), tolerance: 1e-5)
            if input.dimensionOrder != x.dimensionOrder {
                // Every channels-last forward gives the NCDHW forward's bits.
                try BenchCheck.check("\(forwardName) against NCDHW",
                                     BenchCheck.bitwiseDifferences(y.elements, try shift3d(x, shifts: shifts, padding: padding).elements),
                                     tolerance: 0)
            }
            let gradients = try shift3dBackward(gradOutput: gradOutput, input: input, shifts: shifts, padding: padding)
            try BenchCheck.check("\(backwardName) (adjoint identity)",
                                 BenchCheck.adjointError(g: gradOutput.elements, y: y.elements, gradInput: gradients.input.elements,
                                                         x: input.elements), tolerance: 1e-4)
            rows.append(try timer.time(forwardName, bytes: 2 * size) {
                sink &+= try shift3d(input, shifts: shifts, padding: padding).count
            })
            rows.append(try timer.time(backwardName, bytes: 3 * size) {
                sink &+= try shift3dBackward(gradOutput: gradOutput, input: input, shifts: shifts, padding: padding).input.count
            })
            paths.append((forwardName, try CPUPlan.forward(input, shifts: shifts, padding: padding).description))
            paths.append((backwardName, try CPUPlan.backward(gradOutput: gradOutput, input: input, shifts: shifts,
                                                             padding: padding).description))
        }
        // The forward at stride 2 at U(-1, 1), a downsampling layer's, in both layouts: NCDHW
        // against the naive reference, NDHWC bit for bit against NCDHW.
        let strided = BenchFigures.strideGeometry
        let (nchwName, lastName) = (Case.narrow(Case.strided(Case.forward3D)), Case.narrow(Case.strided(Case.lastForward3D)))
        let y = try shift3d(x, shifts: narrowShifts, padding: padding, geometry: strided)
        try BenchCheck.check(nchwName, Tolerance.relativeError(y, ReferenceShift.forward(x, shifts: narrowShifts, padding: padding,
                                                                                          geometry: strided)),
                             tolerance: 1e-5)
        try BenchCheck.check(lastName, BenchCheck.bitwiseDifferences(try shift3d(xLast, shifts: narrowShifts, padding: padding,
                                                                                 geometry: strided).elements, y.elements),
                             tolerance: 0)
        for (input, name) in [(x, nchwName), (xLast, lastName)] {
            rows.append(try timer.time(name, bytes: size + y.count * MemoryLayout<Float>.stride) {
                sink &+= try shift3d(input, shifts: narrowShifts, padding: padding, geometry: strided).count
            })
            paths.append((name, try CPUPlan.forward(input, shifts: narrowShifts, padding: padding, geometry: strided).description))
        }
        precondition(sink != 0)
        return BenchResult(shape: shape, rows: rows, figures: figures, memoryProbes: probes, paths: paths)
    }
}

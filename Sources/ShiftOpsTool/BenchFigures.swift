import Foundation
import ShiftOps

/// The CPU benchmark's figures with their goals, each a ratio of two cases timed in one run (or of
/// one of ours and one of PyTorch's). They are built from the rows by case name, so the arithmetic
/// and the goals a real run prints are the ones a test checks on made-up times.
enum BenchFigures {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    /// The names of the cases the suites time and the figures read.
    enum Case {
        static let activeForward = "shift active forward"
        static let activeBackward = "shift active backward"
        static let groupedForward = "shift grouped forward"
        static let groupedBackward = "shift grouped backward"
        static let int8Forward = "shift int8 sparse forward"
        static let lastForward = "channels-last active forward"
        static let lastBackward = "channels-last active backward"
        static let lastGroupedForward = "channels-last grouped forward"
        static let lastGroupedBackward = "channels-last grouped backward"
        static let lastInt8Forward = "channels-last int8 sparse forward"
        static let sparseBackward = "shift sparse backward"
        static let lastSparseBackward = "channels-last sparse backward"
        static let convForward = "depthwise 3x3 forward"
        static let convBackward = "depthwise 3x3 backward"
        static let naiveForward = "naive active forward"
        static let forward3D = "shift3d active forward"
        static let backward3D = "shift3d active backward"
        static let lastForward3D = "channels-last shift3d active forward"
        static let lastBackward3D = "channels-last shift3d active backward"

        /// The same case timed with shifts drawn from `narrowShifts`.
        static func narrow(_ name: String) -> String { name + " " + narrowName }
        /// The same case at stride 2 (`strideGeometry`).
        static func strided(_ name: String) -> String { name + " " + strideName }
    }

    /// Shifts of a layer that replaces a 3x3 depthwise convolution: channels-last and 3-D figures are
    /// also reported with these, beside the default range.
    static let narrowShifts: ClosedRange<Float> = -1...1
    static let narrowName = "U(-1,1)"
    /// The strided forward's geometry and name: a downsampling layer's shift.
    static let strideGeometry = ShiftGeometry(stride: 2)
    static let strideName = "stride 2"
    /// The range every other case draws its shifts from, per channel and axis.
    static let defaultShifts: ClosedRange<Float> = -1.5...1.5

    /// The size (fp32 32x64x56x56) at or above which the memory-bound goals apply; smaller shapes
    /// are mostly cache-resident and get the 8x64x56x56 goals.
    static let largeShapeBytes = 32 * 64 * 56 * 56 * MemoryLayout<Float>.stride

    static func isLarge(_ shape: [Int]) -> Bool { shape.reduce(MemoryLayout<Float>.stride, *) >= largeShapeBytes }

    /// The goal of a 2-D figure for a shape below or at least `largeShapeBytes`; nil for an id
    /// without one.
    static func goal(_ id: String, large: Bool) -> Double? {
        switch id {
        case "C1": 1.2
        case "C2": large ? 1.3 : 2
        case "C3": 2.5
        case "C4": 2
        case "C5": 3
        case "C6": 20
        case "C7a": large ? 1.2 : 1
        case "C7b", "C7d": large ? 5 : 1.5
        case "C7c": 1
        case "C8": 1.3
        default: nil
        }
    }

    /// The 3-D goals (any 3-D shape): forward and backward over copy at most these, PyTorch's
    /// depthwise `conv3d` forward and forward+backward over ours at least these.
    static let goals3D = (forward: 2.0, backward: 5.0, pytorchForward: 5.0, pytorchTraining: 20.0)

    /// The shape's figures: C1-C8 for `[N, C, H, W]`; C9, and C8 for channels-last (NDHWC) data, for
    /// `[N, C, D, H, W]`. A figure whose case
    /// was not timed (a mode left out, PyTorch's file not given or without the case) is kept, with
    /// no value and a note saying why.
    static func make(shape: [Int], rows: [Row], pytorch: PyTorchFigures?) -> [Figure] {
        let figures = Figures(shape: shape, rows: rows, pytorch: pytorch)
        return shape.count == 5 ? figures.threeD() : figures.twoD()
    }

    /// One shape's times (minima), ours and PyTorch's, and the notes for missing ones.
    struct Figures {
        let shape: [Int]
        let rows: [Row]
        let theirs: [Row]
        let pytorchNote: String

        init(shape: [Int], rows: [Row], pytorch: PyTorchFigures?) {
            self.shape = shape
            self.rows = rows.filter { $0.shape == shape }
            theirs = pytorch?.rows.filter { $0.shape == shape } ?? []
            pytorchNote = pytorch.map { "not measured (\($0.path) has no such case for this shape)" }
                ?? "not measured (needs --pytorch FILE from Benchmarks/pytorch_cpu.py)"
        }

        func ours(_ name: String) -> Double? { rows.first { $0.name == name }?.time }
        func pytorch(_ names: String...) -> Double? { theirs.filter { names.contains($0.name) }.map(\.time).min() }
        var copy: Double? { rows.filter { $0.name.hasPrefix("copy:") }.map(\.time).min() }

        /// Our case's missing: its mode was not run. PyTorch's missing: the note of its file.
        func figure(_ id: String, _ label: String, _ numerator: Double?, _ denominator: Double?, goal: Double?,
                    atMost: Bool, fromPyTorch: Bool = false) -> Figure {
            let value = numerator.flatMap { n in denominator.map { n / $0 } }
            let note = fromPyTorch && numerator == nil ? pytorchNote : "not measured (mode not run)"
            return Figure(shape: shape, id: id, label: label, value: value, goal: goal, atMost: atMost, note: note)
        }

        func sum(_ a: Double?, _ b: Double?) -> Double? { a.flatMap { a in b.map { a + $0 } } }

        func twoD() -> [Figure] {
            let large = isLarge(shape)
            func goal(_ id: String) -> Double? { BenchFigures.goal(id, large: large) }
            typealias C = PyTorchFigures.Case
            let forward = ours(Case.activeForward), backward = ours(Case.activeBackward)
            let conv = (forward: ours(Case.convForward), backward: ours(Case.convBackward))
            let lastConv = (forward: pytorch(C.lastConvForward), training: pytorch(C.lastConvTraining))
            var figures = [
                figure("C1", "integer-shift (grouped) forward / copy", ours(Case.groupedForward), copy, goal: goal("C1"), atMost: true),
                figure("C2", "active forward / copy", forward, copy, goal: goal("C2"), atMost: true),
                figure("C3", "active backward / copy", backward, copy, goal: goal("C3"), atMost: true),
                figure("C4", "depthwise forward / active forward", conv.forward, forward, goal: goal("C4"), atMost: false),
                figure("C5", "depthwise fwd+bwd / active fwd+bwd", sum(conv.forward, conv.backward), sum(forward, backward),
                       goal: goal("C5"), atMost: false),
            ]
            // The naive reference is optional (--no-naive): no row, no figure.
            if let naive = ours(Case.naiveForward) {
                figures.append(figure("C6", "naive forward / fast active forward", naive, forward, goal: goal("C6"), atMost: false))
            }
            figures += [
                figure("C7a", "PyTorch channels-last depthwise fwd / NCHW active fwd", lastConv.forward, forward,
                       goal: goal("C7a"), atMost: false, fromPyTorch: true),
                figure("C7b", "PyTorch fastest depthwise fwd+bwd / NCHW active fwd+bwd", pytorch(C.convTraining, C.lastConvTraining),
                       sum(forward, backward), goal: goal("C7b"), atMost: false, fromPyTorch: true),
            ]
            // The channels-last figures, at both shift ranges.
            for suffix in ["", " " + narrowName] {
                let name = { (base: String) in base + suffix }
                let label = { (base: String) in suffix.isEmpty ? base : base + "," + suffix }
                let last = (forward: ours(name(Case.lastForward)), backward: ours(name(Case.lastBackward)))
                let nchw = (forward: ours(name(Case.activeForward)), backward: ours(name(Case.activeBackward)))
                figures += [
                    figure("C7c", label("PyTorch channels-last depthwise fwd / channels-last fwd"), lastConv.forward, last.forward,
                           goal: goal("C7c"), atMost: false, fromPyTorch: true),
                    figure("C7d", label("PyTorch channels-last depthwise fwd+bwd / channels-last fwd+bwd"), lastConv.training,
                           sum(last.forward, last.backward), goal: goal("C7d"), atMost: false, fromPyTorch: true),
                    figure("C8", label("channels-last / NCHW active forward"), last.forward, nchw.forward, goal: goal("C8"), atMost: true),
                    figure("C8", label("channels-last / NCHW active backward"), last.backward, nchw.backward, goal: goal("C8"), atMost: true),
                ]
            }
            // The integer shifts in both layouts: pure data movement.
            figures += [
                figure("C8", "channels-last / NCHW grouped forward", ours(Case.lastGroupedForward), ours(Case.groupedForward),
                       goal: goal("C8"), atMost: true),
                figure("C8", "channels-last / NCHW grouped backward", ours(Case.lastGroupedBackward), ours(Case.groupedBackward),
                       goal: goal("C8"), atMost: true),
                figure("C8", "channels-last / NCHW int8 sparse forward", ours(Case.lastInt8Forward), ours(Case.int8Forward),
                       goal: goal("C8"), atMost: true),
                // The sparse backward where its channels-last kernel serves: shifts in (-1, 1).
                figure("C8", "channels-last / NCHW sparse backward, " + narrowName, ours(Case.narrow(Case.lastSparseBackward)),
                       ours(Case.narrow(Case.sparseBackward)), goal: goal("C8"), atMost: true),
            ]
            // The forward at stride 2, at both shift ranges.
            for suffix in ["", " " + narrowName] {
                figures.append(figure("C8", "channels-last / NCHW active forward, " + strideName + (suffix.isEmpty ? "" : "," + suffix),
                                      ours(Case.strided(Case.lastForward) + suffix), ours(Case.strided(Case.activeForward) + suffix),
                                      goal: goal("C8"), atMost: true))
            }
            return figures
        }

        func threeD() -> [Figure] {
            typealias C = PyTorchFigures.Case
            let goals = goals3D
            let convForward = pytorch(C.conv3dForward, C.lastConv3dForward)
            let convTraining = pytorch(C.conv3dTraining, C.lastConv3dTraining)
            var figures = [Figure]()
            for suffix in ["", " " + narrowName] {
                let label = { (base: String) in suffix.isEmpty ? base : base + "," + suffix }
                let forward = ours(Case.forward3D + suffix), backward = ours(Case.backward3D + suffix)
                figures += [
                    figure("C9", label("3-D active forward / copy"), forward, copy, goal: goals.forward, atMost: true),
                    figure("C9", label("3-D active backward / copy"), backward, copy, goal: goals.backward, atMost: true),
                    figure("C9", label("PyTorch fastest depthwise conv3d fwd / 3-D active fwd"), convForward, forward,
                           goal: goals.pytorchForward, atMost: false, fromPyTorch: true),
                    figure("C9", label("PyTorch fastest depthwise conv3d fwd+bwd / 3-D active fwd+bwd"), convTraining,
                           sum(forward, backward), goal: goals.pytorchTraining, atMost: false, fromPyTorch: true),
                    figure("C8", label("3-D channels-last / NCDHW active forward"), ours(Case.lastForward3D + suffix), forward,
                           goal: goal("C8", large: true), atMost: true),
                    figure("C8", label("3-D channels-last / NCDHW active backward"), ours(Case.lastBackward3D + suffix), backward,
                           goal: goal("C8", large: true), atMost: true),
                ]
            }
            // The forward at stride 2, at U(-1, 1).
            figures.append(figure("C8", "3-D channels-last / NCDHW active forward, " + strideName + ", " + narrowName,
                                  ours(Case.narrow(Case.strided(Case.lastForward3D))),
                                  ours(Case.narrow(Case.strided(Case.forward3D))), goal: goal("C8", large: true), atMost: true))
            return figures
        }
    }
}

import Foundation
import ShiftOps

/// `shiftops bench`: times the CPU kernels against the fastest copy of the same bytes and against our
/// 3x3 depthwise convolution, and prints the figures C1-C9, I1 and T1 with their goals, every ratio
/// from one run; C7a-d and C9's PyTorch ratios need PyTorch's figures from `Benchmarks/pytorch_cpu.py`
/// (`--pytorch FILE`), T1 those of `Benchmarks/tsm_torch.py` (`--tsm FILE`).
enum BenchCommand {
    static let help = """
        usage: shiftops bench [--shape N,C,H,W | N,C,D,H,W]... [--padding zeros|border|periodic|reflect|symmetric]
                              [--modes active,sparse,grouped] [--repetitions R] [--threads T]
                              [--no-naive] [--pytorch FILE] [--tsm FILE] [--json FILE] [--csv FILE] [--device cpu|cuda]
          Default: shapes 8,64,56,56, 32,64,56,56 (2-D) and 8,32,16,56,56 (3-D), zeros padding, every
          mode, 10 repetitions, every core. Each case prints the minimum and median of R runs after
          one warm-up; an op's time, which every figure and GB/s take, is the minimum (a shared machine
          only ever adds time). GB/s counts the compulsory traffic (each input read once, each output
          written once).
          "copy" is the fastest of several copies of the same bytes (prefaulted; one and all threads).
          Goals: the 32x64x56x56 goals for shapes at least its size, the 8x64x56x56 (cache-resident)
          ones below; C9's goals for any 3-D shape, and C8 for its channels-last (NDHWC) cases.
          Shifts are drawn from U(-1.5,1.5) per channel and axis; the channels-last and 3-D active
          cases are timed again at U(-1,1) (named so), and their figures (C7c, C7d, C8, C9) are
          printed at both ranges.
          --pytorch FILE reads Benchmarks/pytorch_cpu.py's JSON, prints it beside ours, C7a-d and
          C9's ratios to PyTorch's depthwise conv3d (else "not measured").
          I1 and T1 run on the first 2-D shape; --tsm FILE reads Benchmarks/tsm_torch.py's JSON for T1.
          --device cuda (a build with --traits CUDA) prints G1-G3 for the four GPU shapes
          (64,128,56,56 32,64,56,56 128,256,28,28 8,512,7,7; G1 and G2 without a goal on
          8,512,7,7, which launch latency bounds), NCHW and channels-last, and G4
          when --pytorch names the JSON of Benchmarks/pytorch_gpu.py (else "not measured");
          the figures are the active mode's, --modes adds rows for the others.
        """

    struct Settings {
        var shapes: [[Int]] = [[8, 64, 56, 56], [32, 64, 56, 56], [8, 32, 16, 56, 56]]
        var padding: ShiftPadding = .zeros
        var modes: [ShiftMode] = ShiftMode.allCases
        var repetitions = 10
        var threads = Parallelism.processorCount
        var naive = true
        var json: String?
        var csv: String?
        var pytorch: String?
        var tsm: String?
        var device = "cpu"

        init(_ arguments: [String]) throws {
            // --shape may repeat; every other option is given once.
            var rest = [String]()
            var shapes = [[Int]]()
            var i = 0
            while i < arguments.count {
                if arguments[i] == "--shape" {
                    guard i + 1 < arguments.count else { throw UsageError("option '--shape' needs a value") }
                    let parts = arguments[i + 1].split(separator: ",").compactMap { Int($0) }
                    guard parts.count == 4 || parts.count == 5, parts.allSatisfy({ $0 >= 1 }) else {
                        throw UsageError("--shape expects four or five positive integers N,C,H,W or N,C,D,H,W, got '\(arguments[i + 1])'")
                    }
                    shapes.append(parts)
                    i += 2
                } else {
                    rest.append(arguments[i])
                    i += 1
                }
            }
            if !shapes.isEmpty { self.shapes = shapes }
            let options = try Options(rest, valued: ["padding", "modes", "repetitions", "threads", "json", "csv", "device", "pytorch", "tsm"],
                                      flags: ["no-naive"])
            padding = try options.choice("padding", as: ShiftPadding.self) ?? .zeros
            modes = try options.choices("modes", as: ShiftMode.self) ?? modes
            repetitions = try options.integer("repetitions") ?? repetitions
            guard repetitions >= 1 else { throw UsageError("--repetitions expects >= 1, got \(repetitions)") }
            threads = try options.integer("threads") ?? threads
            guard threads >= 1 else { throw UsageError("--threads expects >= 1, got \(threads)") }
            naive = !options.has("no-naive")
            device = options.string("device") ?? "cpu"
            guard device == "cpu" || device == "cuda" else { throw UsageError("--device expects cpu or cuda, got '\(device)'") }
            if device == "cuda" && shapes.isEmpty { self.shapes = [[64, 128, 56, 56], [32, 64, 56, 56], [128, 256, 28, 28], [8, 512, 7, 7]] }
            if device == "cuda", let shape = self.shapes.first(where: { $0.count != 4 }) {
                throw UsageError("--device cuda times 2-D shapes N,C,H,W only, got \(shape.map(String.init).joined(separator: ","))")
            }
            json = options.string("json")
            csv = options.string("csv")
            // Refused now, not after minutes of timing: a special file or one file for both reports.
            try RunCommand.checkOutputs([("json", json), ("csv", csv)].compactMap { option, path in path.map { (option, $0) } })
            pytorch = options.string("pytorch")
            tsm = options.string("tsm")
        }
    }

    /// One timed case.
    struct Row {
        var shape: [Int]
        var name: String
        var median: Double
        var minimum: Double
        var bytes: Int
        /// Bytes the op touched beyond its outputs, measured by `BenchMemory`; nil when not measured.
        var extraBytes: Int? = nil
        /// The op's time, the one every figure takes: the minimum over the repetitions, since
        /// whatever else runs on a shared machine only ever adds time.
        var time: Double { minimum }
        var gigabytesPerSecond: Double { Double(bytes) / time / 1e9 }
    }

    /// One figure: a ratio of two timed cases and its goal. `value` is nil when it was not measured
    /// (a PyTorch ratio without PyTorch's figures, a mode left out); `goal` is nil for a ratio
    /// reported without one.
    struct Figure {
        var shape: [Int]
        var id: String
        var label: String
        var value: Double?
        var goal: Double?
        var atMost: Bool
        /// Why `value` is missing, printed in its place.
        var note: String = "not measured"
        var met: Bool? {
            guard let value, let goal else { return nil }
            return atMost ? value <= goal : value >= goal
        }
    }

    static func main(_ arguments: [String], output: (String) -> Void, progress: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let settings = try Settings(arguments)
        if settings.device == "cuda" {
            #if CUDA
            try GPUBench.run(settings: settings, output: output, progress: progress)
            return
            #else
            throw UsageError("--device cuda: this build has no CUDA backend; build with 'swift build --traits CUDA'")
            #endif
        }
        // Read PyTorch's figures first: a bad file should fail before a minute of timing.
        let pytorch = try settings.pytorch.map { try PyTorchFigures(contentsOf: $0) }
        let tsm = try settings.tsm.map { try PyTorchFigures(contentsOf: $0) }
        var rows = [Row](), figures = [Figure]()
        try withoutActuallyEscaping(progress) { progress in
          try Parallelism.$threadLimit.withValue(settings.threads) {
            var results = [BenchResult]()
            for shape in settings.shapes {
                let timer = BenchTimer(shape: shape, repetitions: settings.repetitions, progress: progress)
                results.append(shape.count == 5 ? try BenchSuite3D(shape: shape, settings: settings, timer: timer).run()
                                                : try BenchSuite(shape: shape, settings: settings, timer: timer).run())
            }
            // Memory last: measuring it changes malloc's settings for the rest of the process.
            for index in results.indices { try results[index].measureMemory(progress: progress) }
            for result in results {
                let sideBySide = pytorch.map { SideBySide(ours: result.rows, pytorch: $0, shape: result.shape) }
                let resultFigures = BenchFigures.make(shape: result.shape, rows: result.rows, pytorch: pytorch) + result.figures
                rows += result.rows
                figures += resultFigures
                output(Report.table(shape: result.shape, settings: settings, rows: result.rows, figures: resultFigures,
                                    sideBySide: sideBySide))
                let nameWidth = max(38, (result.paths.map(\.name.count).max() ?? 0) + 1)
                output(result.paths.map { "path: " + Report.pad($0.name, nameWidth) + $0.plan }.joined(separator: "\n"))
            }
            if let shape = settings.shapes.first(where: { $0.count == 4 }) {
                let interop = try BenchInterop(shape: shape, settings: settings, progress: progress).run(tsm: tsm)
                rows += interop.rows
                figures += interop.figures
                output(Report.table(shape: shape, settings: settings, rows: interop.rows, figures: interop.figures))
            }
          }
        }
        if let path = settings.json { try Report.write(Report.json(rows: rows, figures: figures, settings: settings), to: path) }
        if let path = settings.csv { try Report.write(Report.csv(rows: rows), to: path) }
    }
}

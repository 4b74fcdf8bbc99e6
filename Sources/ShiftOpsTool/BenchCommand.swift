import Foundation
import ShiftOps

/// `shiftops bench`: times the CPU kernels against a memcpy of the same bytes and against our 3x3
/// depthwise convolution, and prints the figures of SPEC §9 (C1–C6), all from one run.
enum BenchCommand {
    static let help = """
        usage: shiftops bench [--shape N,C,H,W]... [--padding zeros|border|periodic|reflect|symmetric]
                              [--modes active,sparse,grouped] [--repetitions R] [--threads T]
                              [--no-naive] [--json FILE] [--csv FILE] [--device cpu|cuda]
                              [--pytorch FILE]
          Default: shapes 8,64,56,56 and 32,64,56,56, zeros padding, every mode, 10 repetitions,
          every core. Times are the median and minimum of R runs after one warm-up; GB/s counts
          the compulsory traffic (each input read once, each output written once).
          --device cuda (a build with --traits CUDA) prints G1-G3 for the four GPU shapes of SPEC §9
          (64,128,56,56 32,64,56,56 128,256,28,28 8,512,7,7), NCHW and channels-last, and G4
          when --pytorch names the JSON of Benchmarks/pytorch_gpu.py (else "not measured");
          the figures are the active mode's, --modes adds rows for the others.
        """

    struct Settings {
        var shapes: [[Int]] = [[8, 64, 56, 56], [32, 64, 56, 56]]
        var padding: ShiftPadding = .zeros
        var modes: [ShiftMode] = ShiftMode.allCases
        var repetitions = 10
        var threads = Parallelism.processorCount
        var naive = true
        var json: String?
        var csv: String?
        var device = "cpu"
        var pytorch: String?

        init(_ arguments: [String]) throws {
            // --shape may repeat; every other option is given once.
            var rest = [String]()
            var shapes = [[Int]]()
            var i = 0
            while i < arguments.count {
                if arguments[i] == "--shape" {
                    guard i + 1 < arguments.count else { throw UsageError("option '--shape' needs a value") }
                    let parts = arguments[i + 1].split(separator: ",").compactMap { Int($0) }
                    guard parts.count == 4, parts.allSatisfy({ $0 >= 1 }) else {
                        throw UsageError("--shape expects four positive integers N,C,H,W, got '\(arguments[i + 1])'")
                    }
                    shapes.append(parts)
                    i += 2
                } else {
                    rest.append(arguments[i])
                    i += 1
                }
            }
            if !shapes.isEmpty { self.shapes = shapes }
            let options = try Options(rest, valued: ["padding", "modes", "repetitions", "threads", "json", "csv", "device", "pytorch"],
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
            pytorch = options.string("pytorch")
            json = options.string("json")
            csv = options.string("csv")
        }
    }

    /// One timed case.
    struct Row {
        var shape: [Int]
        var name: String
        var median: Double
        var minimum: Double
        var bytes: Int
        var gigabytesPerSecond: Double { Double(bytes) / median / 1e9 }
    }

    /// One SPEC §9 figure.
    struct Figure {
        var shape: [Int]
        var id: String
        var label: String
        var value: Double
        var goal: Double
        var atMost: Bool
        var met: Bool { atMost ? value <= goal : value >= goal }
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
        var rows = [Row](), figures = [Figure]()
        try withoutActuallyEscaping(progress) { progress in
          try Parallelism.$threadLimit.withValue(settings.threads) {
            for shape in settings.shapes {
                let suite = try BenchSuite(shape: shape, settings: settings, progress: progress)
                let (suiteRows, suiteFigures) = try suite.run()
                rows += suiteRows
                figures += suiteFigures
                output(Report.table(shape: shape, settings: settings, rows: suiteRows, figures: suiteFigures))
            }
          }
        }
        if let path = settings.json { try Report.write(Report.json(rows: rows, figures: figures, settings: settings), to: path) }
        if let path = settings.csv { try Report.write(Report.csv(rows: rows), to: path) }
    }
}

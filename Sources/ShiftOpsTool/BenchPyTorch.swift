import Foundation

/// PyTorch's figures as `Benchmarks/pytorch_cpu.py` writes them: the JSON of `shiftops bench --json`
/// (a `cases` list of shape, case name, median and minimum ms), plus `torch_version`.
struct PyTorchFigures {
    /// The case names the script writes; `SideBySide` pairs each with one of ours.
    enum Case {
        static let copy = "pytorch copy_"
        static let convForward = "pytorch depthwise 3x3 NCHW forward"
        static let convTraining = "pytorch depthwise 3x3 NCHW forward+backward"
        static let lastConvForward = "pytorch depthwise 3x3 channels-last forward"
        static let lastConvTraining = "pytorch depthwise 3x3 channels-last forward+backward"
        static let gridForward = "pytorch grid_sample shift forward"
        static let gridTraining = "pytorch grid_sample shift forward+backward"
    }

    var path: String
    var version: String
    var rows: [BenchCommand.Row]

    init(path: String, version: String, rows: [BenchCommand.Row]) {
        (self.path, self.version, self.rows) = (path, version, rows)
    }

    /// Reads `path`; any problem is one `UsageError` line naming the file.
    init(contentsOf path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--pytorch: cannot read \(path)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else {
            throw UsageError("--pytorch: \(path) is not a JSON object with a \"cases\" list (Benchmarks/pytorch_cpu.py writes one)")
        }
        version = root["torch_version"] as? String ?? "unknown version"
        rows = try cases.enumerated().map { index, item in
            guard let shape = item["shape"] as? [Int], let name = item["case"] as? String,
                  let median = (item["median_ms"] as? NSNumber)?.doubleValue, median > 0 else {
                throw UsageError("--pytorch: \(path): case \(index) needs \"shape\" (integers), \"case\" and a positive \"median_ms\"")
            }
            let minimum = (item["min_ms"] as? NSNumber)?.doubleValue ?? median
            let bytes = (item["bytes"] as? NSNumber)?.intValue ?? 0
            return BenchCommand.Row(shape: shape, name: name, median: median / 1e3, minimum: minimum / 1e3, bytes: bytes)
        }
    }
}

/// PyTorch's cases for one shape beside the ones of ours they compare with (SPEC §9, C7).
struct SideBySide {
    /// One PyTorch case, the case of ours it is compared with, and PyTorch's time over ours.
    struct Line {
        var pytorch: BenchCommand.Row
        var ours: String
        var oursMedian: Double?
        var ratio: Double? { oursMedian.map { pytorch.median / $0 } }
    }

    var source: String
    var lines: [Line]

    init(ours: [BenchCommand.Row], pytorch: PyTorchFigures, shape: [Int]) {
        source = "PyTorch \(pytorch.version), \(pytorch.path)"
        let times = OurTimes(ours)
        lines = pytorch.rows.filter { $0.shape == shape }.map { row in
            if row.name == PyTorchFigures.Case.copy { return Line(pytorch: row, ours: "copy", oursMedian: times.copy) }
            if row.name.hasSuffix("forward+backward") {
                return Line(pytorch: row, ours: "active forward+backward", oursMedian: times.training)
            }
            return Line(pytorch: row, ours: "shift active forward", oursMedian: times.forward)
        }
    }

    /// The medians of ours that PyTorch's cases are compared with.
    struct OurTimes {
        var copy, forward, training: Double?
        init(_ rows: [BenchCommand.Row]) {
            copy = rows.filter { $0.name.hasPrefix("copy:") }.map(\.median).min()
            forward = rows.first { $0.name == "shift active forward" }?.median
            let backward = rows.first { $0.name == "shift active backward" }?.median
            training = forward.flatMap { f in backward.map { f + $0 } }
        }
    }

    /// C7 for one 2-D shape: PyTorch's channels-last depthwise forward over our active forward, and
    /// PyTorch's fastest depthwise forward+backward over our active forward+backward. Not measured
    /// without PyTorch's file, or when the file has no such case for this shape.
    static func c7(ours: [BenchCommand.Row], shape: [Int], pytorch: PyTorchFigures?, applies: Bool) -> [BenchCommand.Figure] {
        guard applies else { return [] }
        let large = shape.reduce(MemoryLayout<Float>.stride, *) >= BenchSuite.largeShapeBytes
        let times = OurTimes(ours)
        let theirs = pytorch?.rows.filter { $0.shape == shape } ?? []
        func median(_ name: String) -> Double? { theirs.first { $0.name == name }?.median }
        let forward = median(PyTorchFigures.Case.lastConvForward)
        let training = [median(PyTorchFigures.Case.convTraining), median(PyTorchFigures.Case.lastConvTraining)].compactMap { $0 }.min()
        let note = pytorch == nil ? "not measured (needs --pytorch FILE from Benchmarks/pytorch_cpu.py)"
            : "not measured (\(pytorch!.path) has no such case for this shape)"
        return [
            .init(shape: shape, id: "C7", label: "PyTorch channels-last depthwise fwd / active fwd",
                  value: forward.flatMap { f in times.forward.map { f / $0 } }, goal: large ? 1.5 : 1, atMost: false, note: note),
            .init(shape: shape, id: "C7", label: "PyTorch fastest depthwise fwd+bwd / active fwd+bwd",
                  value: training.flatMap { t in times.training.map { t / $0 } }, goal: large ? 5 : 2, atMost: false, note: note),
        ]
    }
}

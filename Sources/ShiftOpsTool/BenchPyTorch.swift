import Foundation

/// PyTorch's figures as `Benchmarks/pytorch_cpu.py` writes them: the JSON of `shiftops bench --json`
/// (a `cases` list of shape, case name, median and minimum ms), plus `torch_version`. A case's
/// time is its minimum.
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
        static let conv3dForward = "pytorch depthwise 3x3x3 NCDHW forward"
        static let conv3dTraining = "pytorch depthwise 3x3x3 NCDHW forward+backward"
        static let lastConv3dForward = "pytorch depthwise 3x3x3 channels-last-3d forward"
        static let lastConv3dTraining = "pytorch depthwise 3x3x3 channels-last-3d forward+backward"
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
            guard let shape = item["shape"] as? [Int], let name = item["case"] as? String, let (time, median) = Self.times(item) else {
                throw UsageError("--pytorch: \(path): case \(index) needs \"shape\" (integers), \"case\" and a positive \"min_ms\" or \"median_ms\"")
            }
            let bytes = (item["bytes"] as? NSNumber)?.intValue ?? 0
            return BenchCommand.Row(shape: shape, name: name, median: median / 1e3, minimum: time / 1e3, bytes: bytes)
        }
    }

    /// A case's time in ms, its minimum ("min_ms"), and its median ("median_ms"); a file with only
    /// medians is read as its own minima. Nil unless the time and any median are positive.
    static func times(_ item: [String: Any]) -> (time: Double, median: Double)? {
        let minimum = (item["min_ms"] as? NSNumber)?.doubleValue, median = (item["median_ms"] as? NSNumber)?.doubleValue
        guard let time = minimum ?? median, time > 0, (median ?? time) > 0 else { return nil }
        return (time, median ?? time)
    }
}

/// PyTorch's cases for one shape beside the ones of ours they compare with: copies with our copy,
/// forwards with our active forward, forward+backward with our active forward+backward (the 3-D
/// shift's for a 3-D shape).
struct SideBySide {
    /// One PyTorch case, the case of ours it is compared with, and PyTorch's time over ours.
    struct Line {
        var pytorch: BenchCommand.Row
        var ours: String
        var oursTime: Double?
        var ratio: Double? { oursTime.map { pytorch.time / $0 } }
    }

    var source: String
    var lines: [Line]

    init(ours: [BenchCommand.Row], pytorch: PyTorchFigures, shape: [Int]) {
        source = "PyTorch \(pytorch.version), \(pytorch.path)"
        let times = OurTimes(ours, threeD: shape.count == 5)
        let prefix = shape.count == 5 ? "shift3d " : ""
        lines = pytorch.rows.filter { $0.shape == shape }.map { row in
            if row.name == PyTorchFigures.Case.copy { return Line(pytorch: row, ours: "copy", oursTime: times.copy) }
            if row.name.hasSuffix("forward+backward") {
                return Line(pytorch: row, ours: prefix + "active forward+backward", oursTime: times.training)
            }
            return Line(pytorch: row, ours: shape.count == 5 ? BenchFigures.Case.forward3D : BenchFigures.Case.activeForward,
                        oursTime: times.forward)
        }
    }

    /// The times (minima) of ours that PyTorch's cases are compared with.
    struct OurTimes {
        var copy, forward, training: Double?
        init(_ rows: [BenchCommand.Row], threeD: Bool = false) {
            typealias Case = BenchFigures.Case
            copy = rows.filter { $0.name.hasPrefix("copy:") }.map(\.time).min()
            forward = rows.first { $0.name == (threeD ? Case.forward3D : Case.activeForward) }?.time
            let backward = rows.first { $0.name == (threeD ? Case.backward3D : Case.activeBackward) }?.time
            training = forward.flatMap { f in backward.map { f + $0 } }
        }
    }
}

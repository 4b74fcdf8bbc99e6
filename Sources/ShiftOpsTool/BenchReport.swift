import Foundation
import ShiftOps

/// Formats benchmark results: a table for people, JSON and CSV for machines.
enum Report {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    static func table(shape: [Int], settings: BenchCommand.Settings, rows: [Row], figures: [Figure],
                      sideBySide: SideBySide? = nil) -> String {
        let label = shape.map(String.init).joined(separator: "x")
        let layout = shape.count == 5 ? "NCDHW" : "NCHW"
        var lines = ["", "shape \(label) float32 \(layout) unless named, \(settings.padding) padding, \(settings.threads) threads, time = minimum of \(settings.repetitions) runs (copies: \(settings.repetitions * 5))",
                     "vector loops: \(VectorLevel.names[Int(VectorLevel.selected)]) (this processor has up to \(VectorLevel.names[Int(VectorLevel.supported)]); SHIFTOPS_SIMD=portable|avx2|avx512 lowers it)"]
        // The case column as wide as its longest name (the channels-last 3-D cases' are longer).
        let caseWidth = max(38, (rows.map(\.name.count).max() ?? 0) + 2)
        lines.append(pad("case", caseWidth) + pad("min ms", 11, right: true) + pad("median ms", 11, right: true) + pad("GB/s", 9, right: true)
                     + pad("extra bytes", 13, right: true))
        for row in rows {
            lines.append(pad(row.name, caseWidth) + pad(String(format: "%.3f", row.minimum * 1e3), 11, right: true)
                         + pad(String(format: "%.3f", row.median * 1e3), 11, right: true)
                         + pad(String(format: "%.1f", row.gigabytesPerSecond), 9, right: true)
                         + pad(row.extraBytes.map(String.init) ?? "-", 13, right: true))
        }
        lines.append("extra bytes: memory an op touched beyond its outputs, measured by page faults (4 KiB pages); '-' not measured")
        if let best = rows.filter({ $0.name.hasPrefix("copy:") }).min(by: { $0.time < $1.time }) {
            lines.append("copy = \(best.name.dropFirst("copy: ".count)) (the fastest copy of these bytes in this run)")
        }
        if let sideBySide { lines += sideBySideLines(sideBySide) }
        lines.append("shifts: U(-1.5,1.5) per channel and axis; a case or figure marked U(-1,1) draws them from U(-1,1)")
        lines.append("figures:")
        // Wide enough for the longest label, so the values stay in one column.
        let labelWidth = max(52, (figures.map(\.label.count).max() ?? 0) + 2)
        for f in figures { lines.append(figureLine(f, labelWidth: labelWidth)) }
        return lines.joined(separator: "\n")
    }

    static func figureLine(_ f: Figure) -> String { figureLine(f, labelWidth: 52) }

    /// One figure: id, label (padded to `labelWidth`), value, goal and whether it was met.
    static func figureLine(_ f: Figure, labelWidth: Int) -> String {
        let goal = f.goal.map { "goal " + (f.atMost ? "<= " : ">= ") + String(format: "%g", $0) } ?? "no goal"
        let verdict = f.met.map { $0 ? "met" : "MISSED" } ?? (f.value == nil ? f.note : "reported")
        let value = f.value.map { String(format: "%.2f", $0) } ?? "-"
        return "  " + pad(f.id, 4) + pad(f.label, labelWidth) + pad(value, 8, right: true) + "   " + pad(goal, 13) + verdict
    }

    static func sideBySideLines(_ side: SideBySide) -> [String] {
        var lines = ["side by side with \(side.source):"]
        // Columns as wide as their longest name (the 3-D cases' are longer), so the times line up.
        let theirsWidth = max(54, (side.lines.map(\.pytorch.name.count).max() ?? 0) + 2)
        let oursWidth = max(24, (side.lines.map(\.ours.count).max() ?? 0) + 2)
        lines.append("  " + pad("PyTorch case", theirsWidth) + pad("min ms", 11, right: true) + "   "
                     + pad("ours", oursWidth) + pad("min ms", 11, right: true) + pad("PyTorch/ours", 14, right: true))
        if side.lines.isEmpty { lines.append("  (no PyTorch cases for this shape)") }
        for line in side.lines {
            lines.append("  " + pad(line.pytorch.name, theirsWidth) + pad(String(format: "%.3f", line.pytorch.time * 1e3), 11, right: true)
                         + "   " + pad(line.ours, oursWidth)
                         + pad(line.oursTime.map { String(format: "%.3f", $0 * 1e3) } ?? "-", 11, right: true)
                         + pad(line.ratio.map { String(format: "%.2f", $0) } ?? "-", 14, right: true))
        }
        return lines
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    static func json(rows: [Row], figures: [Figure], settings: BenchCommand.Settings) -> String {
        func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "null" }
        let rowText = rows.map { r in
            "    {\"shape\": \(shapeText(r.shape)), \"case\": \"\(r.name)\", \"median_ms\": \(r.median * 1e3), "
                + "\"min_ms\": \(r.minimum * 1e3), \"gb_per_s\": \(r.gigabytesPerSecond), \"bytes\": \(r.bytes), "
                + "\"extra_bytes\": \(r.extraBytes.map(String.init) ?? "null")}"
        }
        let figureText = figures.map { f in
            "    {\"shape\": \(shapeText(f.shape)), \"id\": \"\(f.id)\", \"figure\": \"\(f.label)\", \"value\": \(number(f.value)), "
                + "\"goal\": \(number(f.goal)), \"at_most\": \(f.atMost), \"met\": \(f.met.map { "\($0)" } ?? "null")}"
        }
        return """
            {
              "source": "shiftops", "padding": "\(settings.padding)", "threads": \(settings.threads), "repetitions": \(settings.repetitions),
              "cases": [
            \(rowText.joined(separator: ",\n"))
              ],
              "figures": [
            \(figureText.joined(separator: ",\n"))
              ]
            }

            """
    }

    static func csv(rows: [Row]) -> String {
        (["shape,case,median_ms,min_ms,gb_per_s,extra_bytes"] + rows.map { r in
            "\(r.shape.map(String.init).joined(separator: "x")),\(r.name),\(r.median * 1e3),\(r.minimum * 1e3),\(r.gigabytesPerSecond),"
                + (r.extraBytes.map(String.init) ?? "")
        }).joined(separator: "\n") + "\n"
    }

    static func write(_ text: String, to path: String) throws {
        // The atomic write renames over its target: never over a FIFO, device or directory.
        try RunCommand.checkOutputs([("output", path)])
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UsageError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

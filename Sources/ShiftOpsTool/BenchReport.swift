import Foundation

/// Formats benchmark results: a table for people, JSON and CSV for machines.
enum Report {
    typealias Row = BenchCommand.Row
    typealias Figure = BenchCommand.Figure

    static func table(shape: [Int], settings: BenchCommand.Settings, rows: [Row], figures: [Figure]) -> String {
        let label = shape.map(String.init).joined(separator: "x")
        var lines = ["", "shape \(label) float32 NCHW, \(settings.padding) padding, \(settings.threads) threads, median of \(settings.repetitions)"]
        lines.append(pad("case", 30) + pad("median ms", 11, right: true) + pad("min ms", 11, right: true) + pad("GB/s", 9, right: true))
        for row in rows {
            lines.append(pad(row.name, 30) + pad(String(format: "%.3f", row.median * 1e3), 11, right: true)
                         + pad(String(format: "%.3f", row.minimum * 1e3), 11, right: true)
                         + pad(String(format: "%.1f", row.gigabytesPerSecond), 9, right: true))
        }
        let planes = shape[0] * shape[1]
        lines.append("memory beyond the output: forward 0 B; backward \(planes * 3 * 4) B (N*C*3 partial sums, Float)")
        lines.append("figures (SPEC §9; memcpy = the faster of the two copies):")
        for f in figures {
            let goal = (f.atMost ? "<= " : ">= ") + String(format: "%g", f.goal)
            lines.append("  " + pad(f.id, 4) + pad(f.label, 40) + pad(String(format: "%.2f", f.value), 8, right: true)
                         + "   goal " + pad(goal, 8) + (f.met ? "met" : "MISSED"))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    static func json(rows: [Row], figures: [Figure], settings: BenchCommand.Settings) -> String {
        func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        let rowText = rows.map { r in
            "    {\"shape\": \(shapeText(r.shape)), \"case\": \"\(r.name)\", \"median_ms\": \(r.median * 1e3), "
                + "\"min_ms\": \(r.minimum * 1e3), \"gb_per_s\": \(r.gigabytesPerSecond)}"
        }
        let figureText = figures.map { f in
            "    {\"shape\": \(shapeText(f.shape)), \"id\": \"\(f.id)\", \"figure\": \"\(f.label)\", \"value\": \(f.value), "
                + "\"goal\": \(f.goal), \"at_most\": \(f.atMost), \"met\": \(f.met)}"
        }
        return """
            {
              "padding": "\(settings.padding)", "threads": \(settings.threads), "repetitions": \(settings.repetitions),
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
        (["shape,case,median_ms,min_ms,gb_per_s"] + rows.map { r in
            "\(r.shape.map(String.init).joined(separator: "x")),\(r.name),\(r.median * 1e3),\(r.minimum * 1e3),\(r.gigabytesPerSecond)"
        }).joined(separator: "\n") + "\n"
    }

    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw UsageError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

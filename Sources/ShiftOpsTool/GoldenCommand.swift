import Foundation
import ShiftOps

/// `shiftops golden`: hashes of the CPU ops' outputs over a broad case set (``GoldenCases``),
/// written once from a trusted build and compared bit for bit after every change that must not
/// change a bit (a refactor).
///
/// The file holds one line per case, `name label=hash ...`, after `#` comment lines that say
/// where it came from. A case that throws records its error code and argument instead, so
/// validation is pinned too. `--dump DIR` writes the full outputs of the cases whose name contains
/// `--match` as `.npy` files, for diffing a case that changed.
enum GoldenCommand {
    static let usage = """
        usage: shiftops golden --write FILE [--note TEXT]
               shiftops golden --compare FILE
               shiftops golden --dump DIR --match TEXT
        """

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        let options = try Options(arguments, valued: ["write", "compare", "dump", "match", "note"])
        let modes = [options.string("write"), options.string("compare"), options.string("dump")].compactMap { $0 }
        guard modes.count == 1 else { throw UsageError(usage) }
        let cases = GoldenCases.all()
        if let path = options.string("write") {
            var lines = ["# shiftops golden: \(cases.count) cases, vector level \(VectorLevel.names[Int(VectorLevel.selected)])"]
            if let note = options.string("note") { lines.append("# \(note)") }
            for item in cases { lines.append(line(item)) }
            do {
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw UsageError("--write: cannot write '\(path)' (\(error.localizedDescription))")
            }
            output("wrote \(cases.count) cases to \(path)")
        } else if let path = options.string("compare") {
            try compare(cases, with: path, output: output)
        } else if let directory = options.string("dump") {
            guard let match = options.string("match") else { throw UsageError("--dump needs --match TEXT") }
            var written = 0
            for item in cases where item.name.contains(match) {
                for digest in (try? item.run()) ?? [] {
                    try digest.save("\(directory)/\(item.name).\(digest.label).npy")
                    written += 1
                }
            }
            output("wrote \(written) files to \(directory)")
        }
    }

    /// One case's line: its digests, or the error it threw.
    static func line(_ item: GoldenCases.Case) -> String {
        do {
            let digests = try item.run()
            return ([item.name] + digests.map { "\($0.label)=\(hex($0.hash))" }).joined(separator: " ")
        } catch let error as ShiftOpsError {
            return "\(item.name) error=\(error.code.rawValue):\(error.argument)"
        } catch {
            return "\(item.name) error=\(error)"
        }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Recomputes every case and compares it with the file's line; throws when any differs or
    /// when the file and the case set do not name the same cases.
    static func compare(_ cases: [GoldenCases.Case], with path: String, output: (String) -> Void) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw UsageError("--compare: cannot read '\(path)'")
        }
        var expected = [String: String]()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.prefix { $0 != " " })
            expected[name] = String(line)
        }
        for line in text.split(separator: "\n") where line.hasPrefix("#") { output(String(line)) }
        var differ = [String]()
        for item in cases {
            let actual = line(item)
            guard let wanted = expected.removeValue(forKey: item.name) else {
                differ.append("\(item.name): not in the file")
                continue
            }
            if actual != wanted { differ.append("\(item.name): expected '\(wanted)', got '\(actual)'") }
        }
        for name in expected.keys.sorted() { differ.append("\(name): in the file but no longer a case") }
        for line in differ { output("DIFFERS \(line)") }
        guard differ.isEmpty else {
            throw UsageError("golden: \(differ.count) of \(cases.count) cases differ from \(path)")
        }
        output("\(cases.count) cases, all bitwise equal to \(path)")
    }
}

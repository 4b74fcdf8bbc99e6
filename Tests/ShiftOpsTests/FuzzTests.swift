import Foundation
import Testing
@testable import ShiftOps
@testable import ShiftOpsTool

/// Seeded fuzzing of `.npy` reading and of `shiftops run`: mutated and truncated headers, huge and
/// negative shapes, wrong element types, non-finite shifts, mismatched shapes and random option
/// lists. Every case must either work or exit with status 2, one line on standard error and no
/// output file; a trap would take the test process down with it.
@Suite struct FuzzTests {
    let folder: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shiftops-fuzz-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func file(_ name: String) -> String { folder + "/" + name }

    /// The bytes of a `.npy` file with header dictionary `dict` (padded as NumPy pads) and `data`.
    static func npy(_ dict: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let prefix = version == 1 ? 10 : 12
        let padded = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        let header = dict + String(repeating: " ", count: padded - prefix - dict.utf8.count - 1) + "\n"
        let length = header.utf8.count
        let lengthBytes: [UInt8] = version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                                                : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + lengthBytes + Array(header.utf8) + data
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// What one run did, checked against the all-or-nothing contract.
    func check(_ arguments: [String], _ label: String, outcomes: inout [Int32: Int]) {
        for name in ["y.npy", "gx.npy", "gs.npy"] { try? FileManager.default.removeItem(atPath: file(name)) }
        var errors = ""
        let status = ShiftOpsCommand.main(["run"] + arguments, output: { _ in }, errors: { errors += $0 + "\n" })
        outcomes[status, default: 0] += 1
        #expect(status == 0 || status == 2, "\(label): status \(status)")
        if status == 0 {
            #expect(errors.isEmpty, "\(label): \(errors)")
            #expect(FileManager.default.fileExists(atPath: file("y.npy")), "\(label): no output")
        } else {
            #expect(errors.split(separator: "\n", omittingEmptySubsequences: false).count == 2 && errors.hasSuffix("\n"),
                    "\(label): not one line: \(errors.debugDescription)")
            for name in ["y.npy", "gx.npy", "gs.npy"] {
                #expect(!FileManager.default.fileExists(atPath: file(name)), "\(label): left \(name)")
            }
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial") }) ?? []
        #expect(leftovers.isEmpty, "\(label): \(leftovers)")
    }

    /// Loads `bytes` directly: it must give a tensor or a ShiftOpsError, nothing else.
    func load(_ bytes: [UInt8], _ label: String) throws {
        let path = file("direct.npy")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            let t = try Tensor<Float>(npyFile: path)
            #expect(t.count == t.shape.reduce(1, *), "\(label)")
        } catch is ShiftOpsError {
        } catch {
            Issue.record("\(label): unexpected error \(error)")
        }
    }

    @Test func npyFilesAndRunArguments() throws {
        var generator = SeededGenerator(seed: 2026)
        var outcomes: [Int32: Int] = [:]
        var cases = 0
        let shape = [2, 3, 4, 5]
        let x = (0..<120).map { _ in Float.random(in: -1...1, using: &generator) }
        let validX = Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5), }", data: Self.floats(x))
        let validS = Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                              data: Self.floats([0.5, -1.25, 2, 0, -0.75, 3.5]))
        try Data(validS).write(to: URL(fileURLWithPath: file("s.npy")))
        let run = ["--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy")]
        let backward = ["--grad-output", file("x.npy"), "--grad-input", file("gx.npy"), "--grad-shifts", file("gs.npy")]

        func runWithInput(_ bytes: [UInt8], _ label: String, extra: [String] = []) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: file("x.npy")))
            check(run + extra, label, outcomes: &outcomes)
            try load(bytes, label)
            cases += 1
        }

        // Byte flips anywhere in the header, and truncations at every kind of length.
        for trial in 0..<200 {
            var bytes = validX
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<128, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            try runWithInput(bytes, "flip \(trial)", extra: trial % 3 == 0 ? backward : [])
        }
        for trial in 0..<120 {
            let length = trial < 20 ? trial : Int.random(in: 0..<validX.count, using: &generator)
            try runWithInput(Array(validX.prefix(length)), "truncated to \(length)")
        }
        // Headers written to be wrong: shapes, element types, orders, missing keys, versions.
        let shapes = ["()", "(0,)", "(-1, 2)", "(2, 3, 4, -5)", "(4611686018427387904, 4)", "(9223372036854775807,)",
                      "(2, 3, 4, 5, 1, 1)", "(2, 3, 4.5, 5)", "(2, 3, 4, 5", "(1 << 40,)", "(2, 3, 0, 5)", "(2, 3, 20, 1)",
                      "(120,)", "(0, 3, 4, 5)", "(2, 3, 4, 5)"]
        let descrs = ["'<f4'", "'<f8'", "'>f4'", "'|b1'", "'<c8'", "'<U3'", "'<i4'", "'|u1'", "'f4'", "<f4", "'<f4"]
        let orders = ["False", "True", "1", "maybe"]
        for shapeText in shapes {
            for descr in descrs {
                let order = orders[Int.random(in: 0..<orders.count, using: &generator)]
                let dict = "{'descr': \(descr), 'fortran_order': \(order), 'shape': \(shapeText), }"
                let dataLength = [0, 240, 480, 17][Int.random(in: 0...3, using: &generator)]
                let version = UInt8([1, 2, 3][Int.random(in: 0...2, using: &generator)])
                try runWithInput(Self.npy(dict, data: Array(Self.floats(x + x).prefix(dataLength)), version: version),
                                 "\(dict) \(dataLength) bytes v\(version)")
            }
        }
        for dict in ["{}", "{'descr': '<f4'}", "{'shape': (2, 3, 4, 5)}", "not a dict", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5), }\n\nmore\nlines",
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (\u{0}2, 3), }"] {
            try runWithInput(Self.npy(dict, data: Self.floats(x)), "dict \(dict.debugDescription)")
        }
        for version: UInt8 in [0, 4, 9, 255] {
            var bytes = validX
            bytes[6] = version
            try runWithInput(bytes, "version \(version)")
        }
        for length: UInt16 in [0, 1, 9, 117, 118, 119, 65535] {
            var bytes = validX
            (bytes[8], bytes[9]) = (UInt8(length & 0xFF), UInt8(length >> 8))
            try runWithInput(bytes, "header length \(length)")
        }
        // Shift tables: non-finite, huge, mismatched, of another type or rank.
        try Data(validX).write(to: URL(fileURLWithPath: file("x.npy")))
        let shiftTables: [(String, [Float])] = [
            ("(3, 2)", [.nan, 0, 0, 0, 0, 0]), ("(3, 2)", [0, 0, .infinity, 0, 0, 0]), ("(3, 2)", [0, 0, 0, 0, 0, -.infinity]),
            ("(3, 2)", [1e30, -1e30, 3e38, 0, 1, 2]), ("(3, 2)", [.greatestFiniteMagnitude, 0, 0, 0, 0, 0]),
            ("(4, 2)", [Float](repeating: 1, count: 8)), ("(3, 3)", [Float](repeating: 1, count: 9)),
            ("(3, 1)", [1, 2, 3]), ("(6,)", [1, 2, 3, 4, 5, 6]), ("(1, 3, 2)", [1, 2, 3, 4, 5, 6]), ("(0, 2)", []),
        ]
        for (shapeText, values) in shiftTables {
            try Data(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }", data: Self.floats(values)))
                .write(to: URL(fileURLWithPath: file("s.npy")))
            for mode in ["active", "sparse", "grouped"] {
                check(run + ["--mode", mode] + backward, "shifts \(shapeText) \(values) \(mode)", outcomes: &outcomes)
                cases += 1
            }
        }
        try Data(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", data: [UInt8](repeating: 0, count: 48)))
            .write(to: URL(fileURLWithPath: file("s.npy")))
        check(run, "float64 shifts for float32 data", outcomes: &outcomes)
        cases += 1
        // Random option lists over valid files.
        try Data(validS).write(to: URL(fileURLWithPath: file("s.npy")))
        let values: [String: [String]] = [
            "--mode": ["active", "sparse", "grouped", "Active", "", "fancy"],
            "--padding": ["zeros", "border", "periodic", "reflect", "symmetric", "wrap", ""],
            "--stride": ["1", "2", "3,1", "0", "-1", "9223372036854775807", "4611686018427387904", "1,2,3", "x", ""],
            "--origin": ["0", "-2", "1,3", "-9223372036854775808", "9223372036854775807", "4503599627370497", "a"],
            "--output-size": ["4,5", "0,0", "1", "-1,5", "9223372036854775807,1", "4611686018427387904,4611686018427387904", "100,100"],
            "--device": ["cpu", "cuda", "tpu"],
            "--grad-output": [file("x.npy"), file("missing.npy"), file("s.npy")],
            "--grad-input": [file("gx.npy"), folder + "/missing-folder/gx.npy"],
            "--grad-shifts": [file("gs.npy")],
            "--bogus": ["1"],
        ]
        let names = values.keys.sorted()
        for trial in 0..<250 {
            var arguments = run
            for name in names where Int.random(in: 0..<4, using: &generator) == 0 {
                let choices = values[name]!
                arguments += [name, choices[Int.random(in: 0..<choices.count, using: &generator)]]
            }
            if trial % 25 == 0 { arguments.append("--dangling") }
            if trial % 40 == 1 { arguments.removeFirst(2) }
            check(arguments, "arguments \(arguments.dropFirst(6))", outcomes: &outcomes)
            cases += 1
        }
        print("FuzzTests: \(cases) cases, \(outcomes[0] ?? 0) worked, \(outcomes[2] ?? 0) refused with status 2")
        #expect(cases > 750 && (outcomes[0] ?? 0) > 50 && (outcomes[2] ?? 0) > 500, "\(cases) cases: \(outcomes)")
        try? FileManager.default.removeItem(atPath: folder)
    }
}

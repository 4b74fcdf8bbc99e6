import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport
import ShiftOpsTool

/// Seeded fuzzing of `.npy` reading and of `shiftops run`: mutated and truncated headers, huge and
/// negative shapes, wrong element types, non-finite shifts, mismatched shapes and random option
/// lists; shapes with zero and huge axes; FIFOs, devices, directories, sparse, truncated and
/// oversized files in every file position, as inputs and as outputs. Every case must either work
/// or exit with status 2, one line on standard error and no output file; a trap would take the
/// test process down with it, and a read that blocks or grows without bound fails the deadline.
@Suite struct FuzzTests {
    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-fuzz")
    var folder: String { temporary.path }

    func file(_ name: String) -> String { temporary.file(name) }

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

    @Test(.tags(.slow), .skippedInFastLane) func npyFilesAndRunArguments() throws {
        var generator = SeededGenerator(seed: 2026)
        var outcomes: [Int32: Int] = [:]
        var cases = 0
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
        // The header is parsed as NumPy parses it, so a flipped byte in its padding is refused
        // (it was ignored when the header was pattern-searched): fewer flips load than before.
        #expect(cases > 750 && (outcomes[0] ?? 0) > 30 && (outcomes[2] ?? 0) > 500, "\(cases) cases: \(outcomes)")
    }

    /// Shapes with zero and huge axes, read directly: the reader must load exactly the files whose
    /// size matches their header (the size computed here independently, overflow included) and
    /// refuse every other with `invalidFile` naming the file, without reading the data.
    @Test(.tags(.slow), .skippedInFastLane) func zeroAndHugeAxes() throws {
        var generator = SeededGenerator(seed: 20)
        let extents = [0, 0, 1, 2, 3, 5, 1 << 20, 1 << 31, 1 << 40, 1 << 62, Int.max]
        let types: [(descr: String, size: Int)] = [("<f4", 4), ("<f8", 8), ("|u1", 1)]
        var loaded = 0, refused = 0
        for trial in 0..<400 {
            let rank = trial % 50 == 0 ? 65 : Int.random(in: 0...6, using: &generator)
            let shape = (0..<rank).map { _ in trial % 50 == 0 ? 1 : extents[Int.random(in: 0..<extents.count, using: &generator)] }
            let type = types[Int.random(in: 0..<types.count, using: &generator)]
            // The byte count, with the rule that the non-zero extents must multiply within Int.
            var bytes: Int? = type.size
            for extent in shape where extent != 0 {
                bytes = bytes.flatMap { b in b.multipliedReportingOverflow(by: extent).overflow ? nil : b * extent }
            }
            let implied = bytes.map { shape.contains(0) ? 0 : $0 }
            var length = Int.random(in: 0...16, using: &generator) * 4
            if let implied, implied <= 4096, Int.random(in: 0...2, using: &generator) > 0 { length = implied }
            let text = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
            let path = file("axes.npy")
            try Data(Self.npy("{'descr': '\(type.descr)', 'fortran_order': False, 'shape': \(text), }",
                              data: [UInt8](repeating: 0x3F, count: length))).write(to: URL(fileURLWithPath: path))
            let fits = rank <= 64 && implied == length
            do {
                let header = try NumPyFile.header(atPath: path)
                #expect(fits && header.shape == shape, "header of \(text) \(type.descr) with \(length) bytes")
                let t = try Tensor<Float>(npyFile: path)
                #expect(type.size == 4 && t.shape == shape && t.count * 4 == length, "\(text): \(t.shape)")
                loaded += 1
            } catch let error as ShiftOpsError {
                #expect(error.code == .invalidFile && error.argument == path, "\(error)")
                #expect(!fits || type.size != 4, "\(text) \(type.descr) with \(length) bytes: \(error)")
                #expect(error.message.count < 300, "a long message for \(text)")
                refused += 1
            }
        }
        print("FuzzTests: zero and huge axes, \(loaded) loaded, \(refused) refused")
        #expect(loaded > 20 && refused > 200, "\(loaded) loaded, \(refused) refused")
    }

    /// Special and wrong-sized files in every file option of `run`, and special files and one
    /// file twice among its outputs: each refused with status 2, one line, no output, nothing
    /// blocked, and every special file left as it was.
    @Test func specialFilesInEveryPosition() throws {
        var outcomes: [Int32: Int] = [:]
        let valid = [("x.npy", "(2, 3, 4, 5)", 120), ("s.npy", "(3, 2)", 6)]
        for (name, shape, count) in valid {
            try Data(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }",
                              data: Self.floats((0..<count).map { Float($0 % 7) / 4 }))).write(to: URL(fileURLWithPath: file(name)))
        }
        // Inputs: each of these is refused before its data is read.
        #expect(mkfifo(file("fifo"), 0o600) == 0)
        try FileManager.default.createDirectory(atPath: file("dir.npy"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: file("zero.npy"), withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: file("null.npy"), withDestinationPath: "/dev/null")
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5), }"
        try Data(Self.npy(dict, data: Self.floats([1, 2]))).write(to: URL(fileURLWithPath: file("sparse.npy")))
        #expect(truncate(file("sparse.npy"), 64 << 30) == 0)
        try Data(Self.npy(dict, data: Self.floats([Float](repeating: 1, count: 119)))).write(to: URL(fileURLWithPath: file("short.npy")))
        try Data(Self.npy(dict, data: Self.floats([Float](repeating: 1, count: 120)))).write(to: URL(fileURLWithPath: file("long.npy")))
        #expect(truncate(file("long.npy"), 256 << 20) == 0)
        try Data(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 1099511627776, 1099511627776), }", data: []))
            .write(to: URL(fileURLWithPath: file("overflow.npy")))
        try Data(Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 2097152, 2097152, 2097152), }", data: []))
            .write(to: URL(fileURLWithPath: file("overflow5.npy")))
        let bad = ["fifo", "dir.npy", "zero.npy", "null.npy", "sparse.npy", "short.npy", "long.npy", "overflow.npy", "overflow5.npy"]
        let base = ["--mode", "active", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy"),
                    "--grad-output", file("x.npy"), "--grad-input", file("gx.npy"), "--grad-shifts", file("gs.npy")]
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var outcomes: [Int32: Int] = [:]; var cases = 0 }
        let box = Box()
        let fuzz = self
        DispatchQueue.global().async {
            for name in bad {
                for option in ["--input", "--shifts", "--grad-output"] {
                    var arguments = base
                    arguments[arguments.firstIndex(of: option)! + 1] = fuzz.file(name)
                    fuzz.check(arguments, "\(name) as \(option)", outcomes: &box.outcomes)
                    box.cases += 1
                }
                do {
                    _ = try Tensor<Float>(npyFile: fuzz.file(name))
                    Issue.record("\(name) loaded")
                } catch let error as ShiftOpsError {
                    #expect(error.code == .invalidFile && error.argument == fuzz.file(name), "\(error)")
                } catch {
                    Issue.record("\(name): \(error)")
                }
                #expect(throws: ShiftOpsError.self) { try NumPyFile.header(atPath: fuzz.file(name)) }
            }
            done.signal()
        }
        if done.wait(timeout: .now() + 60) == .timedOut {
            Issue.record("blocked on a special file")
            for _ in 0..<20 {
                let writer = open(file("fifo"), O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
                usleep(50_000)
            }
            done.wait()
        }
        outcomes = box.outcomes
        #expect(box.cases == bad.count * 3 && outcomes[2] == box.cases, "\(outcomes)")
        // Outputs: special files and one file named twice, in every output option.
        func type(_ path: String) -> mode_t {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
        }
        try FileManager.default.createSymbolicLink(atPath: file("alias"), withDestinationPath: folder)
        let outputs: [(String, mode_t?)] = [(file("fifo"), S_IFIFO), (file("dir.npy"), S_IFDIR), (file("null.npy"), S_IFLNK),
                                            (file("zero.npy"), S_IFLNK), (file("alias") + "/y.npy", nil), (folder + "/./gx.npy", nil)]
        var refused = 0
        for (path, kind) in outputs {
            for option in ["--output", "--grad-input", "--grad-shifts"] {
                var arguments = base
                arguments[arguments.firstIndex(of: option)! + 1] = path
                // A path that aliases another output is refused only where it meets that other one.
                let clash = kind == nil && !(path.hasSuffix("/y.npy") && option == "--output") && !(path.hasSuffix("/gx.npy") && option == "--grad-input")
                guard kind != nil || clash else { continue }
                var local: [Int32: Int] = [:]
                check(arguments, "\(path) as \(option)", outcomes: &local)
                #expect(local[2] == 1, "\(path) as \(option): \(local)")
                if let kind { #expect(type(path) == kind, "\(path) was replaced") }
                refused += 1
            }
        }
        #expect(refused >= 16)
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        print("FuzzTests: special files, \(box.cases) inputs and \(refused) outputs refused")
    }
}

import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The `.npy` reader's bounds: special files refused before any read, the size the header
/// implies checked against the file's before any data is read, and the header parsed as the
/// Python dict literal it is.
@Suite struct NumPyReaderTests {
    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-npy")
    var folder: String { temporary.path }

    func file(_ name: String) -> String { temporary.file(name) }

    /// Writes a `.npy` file with header dictionary `dict` and `data`; returns its path.
    func write(_ name: String, _ dict: String, data: [UInt8] = [], version: UInt8 = 1) throws -> String {
        let path = file(name)
        try Data(FuzzTests.npy(dict, data: data, version: version)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The error `body` throws, which must be `invalidFile` naming `path`.
    func failure(_ path: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("expected an error for \(path)", sourceLocation: sourceLocation)
        } catch let error as ShiftOpsError {
            #expect(error.code == .invalidFile && error.argument == path, "\(error)", sourceLocation: sourceLocation)
            return error.message
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    /// Runs `body` on another thread; if it has not returned after `seconds`, records a hang,
    /// calls `unblock` and waits for it.
    func withDeadline(_ seconds: Double, _ label: String, unblock: () -> Void, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { body(); done.signal() }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            Issue.record("\(label): still blocked after \(seconds) s")
            unblock()
            done.wait()
        }
    }

    @Test func nonRegularFilesAreRefused() throws {
        try FileManager.default.createDirectory(atPath: file("folder.npy"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: file("null.npy"), withDestinationPath: "/dev/null")
        for (name, kind) in [("folder.npy", "a directory"), ("null.npy", "a character device")] {
            let path = file(name)
            #expect(failure(path) { _ = try NumPyFile.header(atPath: path) }.contains("is \(kind), not a regular file"))
            #expect(failure(path) { _ = try Tensor<Float>(npyFile: path) }.contains("is \(kind), not a regular file"))
        }
        // A FIFO with no writer: opening it for reading must neither block nor wait for data.
        let fifo = file("fifo.npy")
        #expect(mkfifo(fifo, 0o600) == 0)
        final class Messages: @unchecked Sendable { var header = "", load = "" }
        let messages = Messages()
        withDeadline(5, "FIFO", unblock: {
            // A writer that opens and closes lets a blocked reader see end of file.
            for _ in 0..<2 {
                let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
                usleep(100_000)
            }
        }) {
            do { _ = try NumPyFile.header(atPath: fifo) } catch { messages.header = "\(error)" }
            do { _ = try Tensor<Float>(npyFile: fifo) } catch { messages.load = "\(error)" }
        }
        #expect(messages.header.contains("is a FIFO, not a regular file"), "\(messages.header)")
        #expect(messages.load.contains("is a FIFO, not a regular file"), "\(messages.load)")
    }

    /// Unbounded sources: before the reader checked file types and sizes, each of these read
    /// until memory ran out (`/dev/zero`, a sparse 64 GiB file) or read 16 GiB to find a header.
    @Test func devZeroAndHugeSparseFilesAreRefusedBeforeReading() throws {
        let zero = file("zero.npy")
        try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
        #expect(failure(zero) { _ = try Tensor<Float>(npyFile: zero) }.contains("is a character device, not a regular file"))
        #expect(failure(zero) { _ = try NumPyFile.header(atPath: zero) }.contains("is a character device"))
        // A small header followed by a 64 GiB hole.
        let sparse = try write("sparse.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(truncate(sparse, 64 << 30) == 0)
        #expect(failure(sparse) { _ = try Tensor<Float>(npyFile: sparse) }.contains("expected 8 data bytes"))
        #expect(failure(sparse) { _ = try NumPyFile.header(atPath: sparse) }.contains("(extra data after the array)"))
        // A valid 16 GiB file: its header is read, its data is not.
        let huge = try write("huge.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (17179869184,), }")
        let headerSize = try #require(FileManager.default.attributesOfItem(atPath: huge)[.size] as? Int)
        #expect(truncate(huge, off_t(headerSize + (16 << 30))) == 0)
        let start = Date()
        let header = try NumPyFile.header(atPath: huge)
        #expect(header.shape == [17_179_869_184] && header.typeCode == "u1" && header.dataOffset == headerSize)
        #expect(Date().timeIntervalSince(start) < 5, "reading a header took \(Date().timeIntervalSince(start)) s")
    }

    @Test func dataSizeMustMatchTheHeaderBeforeAnyDataIsRead() throws {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        let short = try write("short.npy", dict, data: [UInt8](repeating: 0, count: 20))
        #expect(failure(short) { _ = try NumPyFile.header(atPath: short) }.contains("expected 24 data bytes for shape [2, 3] of 'f4', found 20 (truncated)"))
        #expect(failure(short) { _ = try Tensor<Float>(npyFile: short) }.contains("(truncated)"))
        // 64 MiB of data after a 24-byte array's header (sparse: no disk is used).
        let long = try write("long.npy", dict, data: [UInt8](repeating: 0, count: 24))
        #expect(truncate(long, 64 << 20) == 0)
        #expect(failure(long) { _ = try NumPyFile.header(atPath: long) }.contains("(extra data after the array)"))
        #expect(failure(long) { _ = try Tensor<Float>(npyFile: long) }.contains("(extra data after the array)"))
        // A header shorter than announced, and a header over the limit (refused before it is read).
        var bytes = FuzzTests.npy(dict, data: [])
        (bytes[8], bytes[9]) = (0xFF, 0x00)
        let cut = file("cut.npy")
        try Data(bytes).write(to: URL(fileURLWithPath: cut))
        #expect(failure(cut) { _ = try NumPyFile.header(atPath: cut) }.contains("truncated header"))
        let long2 = try write("long-header.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'pad': '\(String(repeating: "x", count: 20_000))'}",
                              data: [UInt8](repeating: 0, count: 24), version: 2)
        let limit = failure(long2) { _ = try NumPyFile.header(atPath: long2) }
        #expect(limit.contains("exceeds the limit of 10000") && limit.count < 120, "\(limit)")
        // Empty arrays: the data is empty, but the other extents must still multiply within Int.
        let empty = try write("empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 0), }")
        #expect(try Tensor<Float>(npyFile: empty).shape == [1 << 40, 0])
        for shape in ["(0, 1, 1099511627776, 1099511627776)", "(0, 1, 2097152, 2097152, 2097152)", "(0, 9223372036854775807, 2)"] {
            let path = try write("overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }")
            #expect(failure(path) { _ = try Tensor<Float>(npyFile: path) }.contains("overflows Int"), "\(shape)")
            #expect(failure(path) { _ = try NumPyFile.header(atPath: path) }.contains("overflows Int"), "\(shape)")
        }
    }

    @Test func headerIsParsedAsAPythonDict() throws {
        let two = FuzzTests.floats([1.5, -2])
        // Python's rule for a repeated key: the last one wins.
        var path = try write("dup.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data: two)
        var t = try Tensor<Float>(npyFile: path)
        #expect(t.shape == [2] && t.elements == [1.5, -2])
        // A key spelled inside a string value is text, not a key; other keys are ignored.
        path = try write("inside.npy", "{'note': \"'descr': '>f8', 'shape': (5,)\", 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data: two)
        t = try Tensor<Float>(npyFile: path)
        #expect(t.shape == [2] && t.elements == [1.5, -2])
        // Double quotes, Python 2's long integers, a format 3.0 (UTF-8) header.
        path = try write("quotes.npy", "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1L, 2L)}", data: two)
        #expect(try Tensor<Float>(npyFile: path).shape == [1, 2])
        path = try write("v3.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'é': 'ü'}", data: two, version: 3)
        #expect(try Tensor<Float>(npyFile: path).elements == [1.5, -2])
        // Refused, each with its own reason.
        let rank65 = "(" + String(repeating: "1, ", count: 65) + ")"
        let cases: [(dict: String, data: [UInt8], message: String)] = [
            ("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (2,), }", two, "structured dtypes"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': \(rank65), }", FuzzTests.floats([1]), "rank 65 exceeds the limit of 64 axes"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", two, "expected a tuple of integers, got an integer"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", two, "bad fortran_order"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': \(String(repeating: "[", count: 40))}", two, "nesting deeper than 16"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", [], "does not fit in Int"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } extra", two, "unexpected text after the dictionary"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1 << 1,), }", two, "expected ',' or ')'"),
            ("{'descr': '<f4', 'fortran_order': False}", two, "lacks descr, fortran_order or shape"),
            ("['descr', '<f4']", two, "header is a list, not a dict"),
            ("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", two, "big-endian"),
        ]
        for (dict, data, message) in cases {
            let path = try write("bad.npy", dict, data: data)
            let error = failure(path) { _ = try Tensor<Float>(npyFile: path) }
            #expect(error.contains(message) && !(message != "big-endian" && error.contains("big-endian")), "\(dict.prefix(80)): \(error)")
            #expect(error.count < 200, "a short message: \(error.count) characters")
        }
        // A single-byte type may say big-endian: its byte order does not matter.
        path = try write("u1.npy", "{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", data: [7, 9])
        #expect(try Tensor<UInt8>(npyFile: path).elements == [7, 9])
    }

    /// A huge rank (the issue's 4 million axes took 11.5 s and a 12 MB message) is refused by
    /// the header length limit before the header is read, with a short message.
    @Test func millionsOfAxesAreRefusedQuickly() throws {
        let axes = "(" + String(repeating: "1, ", count: 4_000_000) + ")"
        let path = try write("axes.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': \(axes), }", data: FuzzTests.floats([1]), version: 2)
        let start = Date()
        let message = failure(path) { _ = try Tensor<Float>(npyFile: path) }
        #expect(Date().timeIntervalSince(start) < 2 && message.count < 120, "\(Date().timeIntervalSince(start)) s: \(message.prefix(200))")
    }

    @Test func saveRefusesSpecialFilesAndLeavesThemAlone() throws {
        let fifo = file("out.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let t = try Tensor<Float>(shape: [2], elements: [1, 2])
        #expect(failure(fifo) { try t.save(npyFile: fifo) }.contains("is a FIFO, not a regular file; refusing to replace it"))
        var info = stat()
        #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        let deep = try Tensor<Float>(shape: [Int](repeating: 1, count: 65))
        let path = file("deep.npy")
        #expect(failure(path) { try deep.save(npyFile: path) }.contains("rank 65"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

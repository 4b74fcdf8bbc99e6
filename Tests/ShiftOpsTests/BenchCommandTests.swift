import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport
@testable import ShiftOpsTool

/// `shiftops bench`: its arguments, that a small run prints every figure, the join with
/// PyTorch's JSON (a hand-written file: no PyTorch needed) and the memory probe. Times are never
/// asserted: the machine is shared.
@Suite struct BenchCommandTests {
    func run(_ arguments: [String]) -> (Int32, String, String) {
        let result = CommandResult(running: ShiftOpsCommand.main, ["bench"] + arguments)
        return (result.status, result.output, result.errors)
    }

    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-bench")

    /// A new file in the test's folder holding `text`.
    func temporaryFile(_ text: String) throws -> String {
        let path = temporary.file("\(UUID().uuidString).json")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// PyTorch's cases for one shape in `Benchmarks/pytorch_cpu.py`'s format: the given times are
    /// the minima (ms), each median well above its minimum.
    func pytorchJSON(shape: [Int], copy: Double = 0.01, convForward: Double = 4, convTraining: Double = 9,
                     lastForward: Double = 1.5, lastTraining: Double = 7.5) -> String {
        let cases = [(PyTorchFigures.Case.copy, copy), (PyTorchFigures.Case.convForward, convForward),
                     (PyTorchFigures.Case.convTraining, convTraining), (PyTorchFigures.Case.lastConvForward, lastForward),
                     (PyTorchFigures.Case.lastConvTraining, lastTraining), (PyTorchFigures.Case.gridForward, 3.0),
                     (PyTorchFigures.Case.gridTraining, 11.0)]
        let shapeText = shape.map(String.init).joined(separator: ", ")
        let items = cases.map { "{\"shape\": [\(shapeText)], \"case\": \"\($0.0)\", \"median_ms\": \(3 * $0.1 + 1), \"min_ms\": \($0.1)}" }
        return "{\"source\": \"pytorch\", \"torch_version\": \"9.9-test\", \"cases\": [\(items.joined(separator: ", "))], \"figures\": []}"
    }

    @Test func argumentErrors() throws {
        let bad = try temporaryFile("{\"cases\": [{\"shape\": [1, 2, 3, 4], \"case\": \"x\"}]}")
        let notJSON = try temporaryFile("median 3 ms")
        for (arguments, message) in [
            (["--shape", "1,2,3"], "four or five positive integers"),
            (["--shape", "1,2,3,4,5,6"], "four or five positive integers"),
            (["--shape"], "needs a value"),
            (["--repetitions", "0"], "--repetitions expects >= 1"),
            (["--threads", "x"], "--threads expects integers"),
            (["--modes", "active,fancy"], "--modes expects"),
            (["--padding", "mirror"], "--padding expects"),
            (["--frobnicate", "1"], "unknown option"),
            (["--shape", "1,2,3,4", "--repetitions", "1", "--pytorch", "/nonexistent/pytorch.json"], "--pytorch: cannot read /nonexistent/pytorch.json"),
            (["--shape", "1,2,3,4", "--repetitions", "1", "--pytorch", notJSON], "is not a JSON object with a \"cases\" list"),
            (["--shape", "1,2,3,4", "--repetitions", "1", "--pytorch", bad], "case 0 needs \"shape\" (integers), \"case\" and a positive \"min_ms\" or \"median_ms\""),
        ] {
            let (status, output, errors) = run(arguments)
            #expect(status == 2, "\(arguments)")
            #expect(errors.contains(message), "\(arguments): \(errors)")
            // One line, and no timing started: a bad file fails before the suite runs.
            #expect(errors.split(separator: "\n").count == 1, "\(arguments): \(errors)")
            #expect(output.isEmpty, "\(arguments): \(output)")
        }
    }

    @Test func smallRunPrintsEveryFigure() throws {
        let (status, output, errors) = run(["--shape", "2,9,12,10", "--repetitions", "1", "--padding", "reflect"])
        #expect(status == 0, "\(errors)")
        for id in ["C1", "C2", "C3", "C4", "C5", "C6", "C7a", "C7b", "C7c", "C7d", "C8"] {
            #expect(output.contains("  \(Report.pad(id, 4))"), "\(id) in \(output)")
        }
        for name in ["shift int8 sparse forward", "channels-last active forward", "channels-last active backward",
                     "depthwise 3x3 backward", "copy: chunked memcpy, 2 threads", "copy = ",
                     "channels-last active forward U(-1,1)", "channels-last active backward U(-1,1)",
                     "shift active forward U(-1,1)", "shift active backward U(-1,1)"] {
            #expect(output.contains(name), "\(name) in \(output)")
        }
        // Without PyTorch's file C7a, C7b and C7c, C7d at both shift ranges are printed as not measured.
        #expect(output.components(separatedBy: "not measured (needs --pytorch FILE").count - 1 == 6, "\(output)")
        // The goals of today, not the stale ones (C3 at 3 or 6; one C7 at 2).
        #expect(output.contains("integer-shift (grouped) forward / copy") && output.contains("goal <= 1.2"))
        #expect(!output.contains("goal <= 3 ") && !output.contains("goal <= 6 ") && !output.contains("  C7  "), "\(output)")
        // The heading names no internal document.
        #expect(output.contains("\nfigures:\n") && !output.contains("SPEC"), "\(output)")
        #expect(errors.contains("bench 2x9x12x10 shift active forward"))
    }

    @Test func threeDimensionalShape() {
        let (status, output, errors) = run(["--shape", "2,3,4,5,6", "--repetitions", "1", "--modes", "active,grouped"])
        #expect(status == 0, "\(errors)")
        for name in ["shape 2x3x4x5x6 float32 NCDHW", "shift3d active backward", "shift3d grouped forward",
                     "3-D active forward / copy", "3-D active backward / copy", "shift3d active forward U(-1,1)",
                     "shift3d active backward U(-1,1)", "3-D active backward / copy, U(-1,1)",
                     "channels-last shift3d active forward", "channels-last shift3d active backward U(-1,1)",
                     "3-D channels-last / NCDHW active backward, U(-1,1)"] {
            #expect(output.contains(name), "\(name) in \(output)")
        }
        #expect(!output.contains("  C7"), "C7a-d are 2-D figures: \(output)")
        // The 3-D figures are C9's, with goals; the PyTorch ratios need the file.
        let c9 = output.split(separator: "\n").filter { $0.hasPrefix("  C9  ") }
        #expect(c9.count == 8 && c9.allSatisfy { $0.contains("goal ") && !$0.contains("no goal") }, "\(output)")
        // The ratios to copy are measured at both shift ranges: the U(-1,1) cases were timed.
        #expect(c9.filter { $0.contains("/ copy") && ($0.hasSuffix("met") || $0.hasSuffix("MISSED")) }.count == 4, "\(output)")
        #expect(output.components(separatedBy: "not measured (needs --pytorch FILE").count - 1 == 4, "\(output)")
    }

    /// A PyTorch case's time is its minimum; a file with medians only is read as its own minima,
    /// and a time that is not positive is refused.
    @Test func pytorchTimesAreMinima() throws {
        let both = try PyTorchFigures(contentsOf: try temporaryFile(pytorchJSON(shape: [2, 8, 12, 10], lastForward: 1.5)))
        let last = try #require(both.rows.first { $0.name == PyTorchFigures.Case.lastConvForward })
        #expect(last.time == 1.5e-3 && last.median == 5.5e-3, "\(last)")
        let medians = try temporaryFile("{\"cases\": [{\"shape\": [1, 2, 3, 4], \"case\": \"x\", \"median_ms\": 2}]}")
        #expect(try PyTorchFigures(contentsOf: medians).rows.map(\.time) == [2e-3])
        for text in ["{\"cases\": [{\"shape\": [1, 2, 3, 4], \"case\": \"x\", \"median_ms\": 2, \"min_ms\": 0}]}",
                     "{\"cases\": [{\"shape\": [1, 2, 3, 4], \"case\": \"x\", \"median_ms\": -1, \"min_ms\": 1}]}"] {
            #expect(throws: UsageError.self, "\(text)") { try PyTorchFigures(contentsOf: try temporaryFile(text)) }
        }
    }

    /// The join, end to end: the PyTorch rows printed beside ours and C7 given a value.
    @Test func joinsPyTorchFigures() throws {
        let path = try temporaryFile(pytorchJSON(shape: [2, 8, 12, 10]))
        let json = temporary.file("report.json")
        let (status, output, errors) = run(["--shape", "2,8,12,10", "--repetitions", "1", "--no-naive", "--pytorch", path,
                                            "--json", json])
        #expect(status == 0, "\(errors)")
        #expect(output.contains("side by side with PyTorch 9.9-test"), "\(output)")
        let line = output.split(separator: "\n").first { $0.contains(PyTorchFigures.Case.lastConvForward) }
        #expect(line?.contains("1.500") == true && line?.contains("shift active forward") == true, "\(output)")
        #expect(!output.contains("not measured ("), "\(output)")
        for (id, count) in [("C7a", 1), ("C7b", 1), ("C7c", 2), ("C7d", 2)] {
            #expect(output.split(separator: "\n").filter { $0.hasPrefix("  \(id) ") }.count == count, "\(id): \(output)")
        }
        // Our own --json is the format --pytorch reads.
        let ours = try PyTorchFigures(contentsOf: json)
        #expect(ours.rows.contains { $0.name == "shift active forward" && $0.shape == [2, 8, 12, 10] })
        #expect(try String(contentsOfFile: json, encoding: .utf8).contains("\"extra_bytes\""))
    }

    /// "copy" is the fastest of the copies tried, each of which really copies the bytes.
    @Test func copyBaselineIsTheFastestCopy() {
        var lines = [String]()
        let timer = BenchTimer(shape: [1, 1, 1, 1000], repetitions: 3, progress: { lines.append($0) })
        let copy = BenchCopy.measure(bytes: 4000, threads: 2, timer: timer)
        #expect(copy.rows.count == 4 && lines.count == 4)
        #expect(copy.best.time == copy.rows.map(\.minimum).min())
        let buffers = CopyBuffers(bytes: 1000)
        defer { buffers.deallocate() }
        buffers.parallel(threads: 3, alignment: 64) { lo, hi in buffers.vectorCopy(lo, hi) }
        #expect(memcmp(buffers.source, buffers.target, 1000) == 0)
    }

    /// The probe's arithmetic, on a fault counter the test drives (the process's own counter moves
    /// with every test running beside this one): the op's faults less the reference's, the least of
    /// three runs (noise only adds faults), in bytes.
    @Test(.enabled(if: BenchMemory.glibcAllocator != nil,
                   "needs glibc's allocator (absent off Linux, replaced under a sanitizer)"))
    func memoryProbe() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var counter = 0, run = 0
        let noise = [3, 0, 7, 5, 0, 2]   // extra faults from "other threads", one per run
        func fault(_ pages: Int) { counter += pages + noise[run % noise.count]; run += 1 }
        let extra = try #require(BenchMemory.measure(op: { fault(256 + 4) }, reference: { fault(4) }, faults: { counter }))
        #expect(extra == 256 * page, "\(extra)")
        run = 0
        let none = try #require(BenchMemory.measure(op: { fault(4) }, reference: { fault(4) }, faults: { counter }))
        #expect(none == 0, "\(none)")
    }
}

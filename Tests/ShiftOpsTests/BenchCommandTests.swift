import Foundation
import Testing
@testable import ShiftOps
@testable import ShiftOpsTool

/// `shiftops bench`: its arguments, that a small run prints every SPEC §9 figure, the join with
/// PyTorch's JSON (a hand-written file: no PyTorch needed) and the memory probe. Times are never
/// asserted: the machine is shared.
@Suite struct BenchCommandTests {
    func run(_ arguments: [String]) -> (Int32, String, String) {
        var output = "", errors = ""
        let status = ShiftOpsCommand.main(["bench"] + arguments, output: { output += $0 + "\n" }, errors: { errors += $0 + "\n" })
        return (status, output, errors)
    }

    /// A file under the temporary directory holding `text`, removed by the caller.
    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// PyTorch's cases for one shape in `Benchmarks/pytorch_cpu.py`'s format, medians in ms.
    func pytorchJSON(shape: [Int], copy: Double = 0.01, convForward: Double = 4, convTraining: Double = 9,
                     lastForward: Double = 1.5, lastTraining: Double = 7.5) -> String {
        let cases = [(PyTorchFigures.Case.copy, copy), (PyTorchFigures.Case.convForward, convForward),
                     (PyTorchFigures.Case.convTraining, convTraining), (PyTorchFigures.Case.lastConvForward, lastForward),
                     (PyTorchFigures.Case.lastConvTraining, lastTraining), (PyTorchFigures.Case.gridForward, 3.0),
                     (PyTorchFigures.Case.gridTraining, 11.0)]
        let shapeText = shape.map(String.init).joined(separator: ", ")
        let items = cases.map { "{\"shape\": [\(shapeText)], \"case\": \"\($0.0)\", \"median_ms\": \($0.1), \"min_ms\": \($0.1)}" }
        return "{\"source\": \"pytorch\", \"torch_version\": \"9.9-test\", \"cases\": [\(items.joined(separator: ", "))], \"figures\": []}"
    }

    @Test func argumentErrors() throws {
        let bad = try temporaryFile("{\"cases\": [{\"shape\": [1, 2, 3, 4], \"case\": \"x\"}]}")
        let notJSON = try temporaryFile("median 3 ms")
        defer { for path in [bad, notJSON] { try? FileManager.default.removeItem(atPath: path) } }
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
            (["--shape", "1,2,3,4", "--repetitions", "1", "--pytorch", bad], "case 0 needs \"shape\" (integers), \"case\" and a positive \"median_ms\""),
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
        for id in ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"] { #expect(output.contains("  \(id)  "), "\(id) in \(output)") }
        for name in ["shift int8 sparse forward", "channels-last active forward", "channels-last active backward",
                     "depthwise 3x3 backward", "copy: chunked memcpy, 2 threads", "copy = "] {
            #expect(output.contains(name), "\(name) in \(output)")
        }
        // Without PyTorch's file C7 is printed, as not measured, twice.
        #expect(output.components(separatedBy: "not measured (needs --pytorch FILE").count - 1 == 2, "\(output)")
        // SPEC §9's goals, not the stale ones (1.5 / 2.5 / 5).
        #expect(output.contains("integer-shift (grouped) forward / copy") && output.contains("goal <= 1.2"))
        #expect(!output.contains("goal <= 1.5 ") && !output.contains("goal <= 2.5"), "\(output)")
        #expect(errors.contains("bench 2x9x12x10 shift active forward"))
    }

    @Test func threeDimensionalShape() {
        let (status, output, errors) = run(["--shape", "2,3,4,5,6", "--repetitions", "1", "--modes", "active,grouped"])
        #expect(status == 0, "\(errors)")
        for name in ["shape 2x3x4x5x6 float32 NCDHW", "shift3d active backward", "shift3d grouped forward",
                     "3-D active forward / copy", "3-D active backward / copy"] {
            #expect(output.contains(name), "\(name) in \(output)")
        }
        #expect(!output.contains("  C7  "), "C7 is a 2-D figure: \(output)")
    }

    /// The join, end to end: the PyTorch rows printed beside ours and C7 given a value.
    @Test func joinsPyTorchFigures() throws {
        let path = try temporaryFile(pytorchJSON(shape: [2, 8, 12, 10]))
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        defer { for file in [path, json] { try? FileManager.default.removeItem(atPath: file) } }
        let (status, output, errors) = run(["--shape", "2,8,12,10", "--repetitions", "1", "--no-naive", "--pytorch", path,
                                            "--json", json])
        #expect(status == 0, "\(errors)")
        #expect(output.contains("side by side with PyTorch 9.9-test"), "\(output)")
        let line = output.split(separator: "\n").first { $0.contains(PyTorchFigures.Case.lastConvForward) }
        #expect(line?.contains("1.500") == true && line?.contains("shift active forward") == true, "\(output)")
        #expect(!output.contains("not measured ("), "\(output)")
        #expect(output.split(separator: "\n").filter { $0.hasPrefix("  C7  ") }.count == 2, "\(output)")
        // Our own --json is the format --pytorch reads.
        let ours = try PyTorchFigures(contentsOf: json)
        #expect(ours.rows.contains { $0.name == "shift active forward" && $0.shape == [2, 8, 12, 10] })
        #expect(try String(contentsOfFile: json, encoding: .utf8).contains("\"extra_bytes\""))
    }

    /// C7's arithmetic and goals, on made-up times.
    @Test func c7Ratios() throws {
        func row(_ shape: [Int], _ name: String, _ ms: Double) -> BenchCommand.Row {
            .init(shape: shape, name: name, median: ms / 1e3, minimum: ms / 1e3, bytes: 0)
        }
        for (shape, goals) in [([8, 64, 56, 56], (1.0, 2.0)), ([32, 64, 56, 56], (1.5, 5.0))] {
            let ours = [row(shape, "copy: memcpy, 1 thread", 0.2), row(shape, "shift active forward", 0.5),
                        row(shape, "shift active backward", 1.5)]
            let pytorch = PyTorchFigures(path: "made-up.json", version: "test", rows: [
                row(shape, PyTorchFigures.Case.lastConvForward, 1.0), row(shape, PyTorchFigures.Case.convTraining, 8),
                row(shape, PyTorchFigures.Case.lastConvTraining, 6), row(shape, PyTorchFigures.Case.copy, 0.1),
                row([1, 1, 1, 1], PyTorchFigures.Case.lastConvTraining, 0.001),
            ])
            let c7 = SideBySide.c7(ours: ours, shape: shape, pytorch: pytorch, applies: true)
            #expect(c7.count == 2)
            #expect(abs(c7[0].value! - 2.0) < 1e-12)  // 1.0 / 0.5
            #expect(abs(c7[1].value! - 3.0) < 1e-12)  // min(8, 6) / (0.5 + 1.5); another shape's case ignored
            #expect(c7[0].goal == goals.0 && c7[1].goal == goals.1)
            #expect(c7[0].met == (2.0 >= goals.0) && c7[1].met == (3.0 >= goals.1))
            let side = SideBySide(ours: ours, pytorch: pytorch, shape: shape)
            #expect(side.lines.count == 4)
            #expect(abs(side.lines.first { $0.pytorch.name == PyTorchFigures.Case.copy }!.ratio! - 0.5) < 1e-12)
            let missing = SideBySide.c7(ours: ours, shape: [4, 4, 4, 4], pytorch: pytorch, applies: true)
            #expect(missing.allSatisfy { $0.value == nil && $0.note.contains("has no such case") })
            #expect(SideBySide.c7(ours: ours, shape: shape, pytorch: nil, applies: true).allSatisfy { $0.value == nil && $0.met == nil })
        }
    }

    /// "copy" is the fastest of the copies tried, each of which really copies the bytes.
    @Test func copyBaselineIsTheFastestCopy() {
        var lines = [String]()
        let timer = BenchTimer(shape: [1, 1, 1, 1000], repetitions: 3, progress: { lines.append($0) })
        let copy = BenchCopy.measure(bytes: 4000, threads: 2, timer: timer)
        #expect(copy.rows.count == 4 && lines.count == 4)
        #expect(copy.best.median == copy.rows.map(\.median).min())
        let buffers = CopyBuffers(bytes: 1000)
        defer { buffers.deallocate() }
        buffers.parallel(threads: 3, alignment: 64) { lo, hi in buffers.vectorCopy(lo, hi) }
        #expect(memcmp(buffers.source, buffers.target, 1000) == 0)
    }

    /// The probe's arithmetic, on a fault counter the test drives (the process's own counter moves
    /// with every test running beside this one): the op's faults less the reference's, the least of
    /// three runs (noise only adds faults), in bytes.
    @Test(.enabled(if: BenchMemory.mallopt != nil, "needs glibc's mallopt and malloc_trim"))
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

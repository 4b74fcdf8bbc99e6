import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport
@testable import ShiftOpsTool

/// `shiftops bench`'s I1 and T1 rows on a tiny shape (times are never asserted: the machine is
/// shared), and T1's join with `Benchmarks/tsm_torch.py`'s JSON (hand-written: no PyTorch needed).
@Suite struct BenchInteropTests {
    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-tsm")

    func run(_ arguments: [String]) -> (Int32, String, String) {
        let result = CommandResult(running: ShiftOpsCommand.main, ["bench"] + arguments)
        return (result.status, result.output, result.errors)
    }

    @Test func smallRunPrintsI1AndT1() {
        let (status, output, errors) = run(["--shape", "2,9,6,5", "--repetitions", "1", "--no-naive", "--modes", "active"])
        #expect(status == 0, "\(errors)")
        for text in ["I1 active forward, caller's memory", "I1 active forward into preallocated",
                     "temporalShift forward, 8 frames", "  I1  ", "goal <= 1.1",
                     "  T1  PyTorch TSM shift fwd / temporalShift (16x9x6x5)",
                     "not measured, needs --tsm FILE from Benchmarks/tsm_torch.py"] {
            #expect(output.contains(text), "\(text) in \(output)")
        }
        #expect(errors.contains("bench 16x9x6x5 temporalShift forward"), "\(errors)")
    }

    @Test func t1ReadsTheTSMFigures() throws {
        let path = temporary.file("tsm.json")
        // An absurdly slow PyTorch: the ratio is far above the goal on any machine.
        let json = "{\"torch_version\": \"9.9-test\", \"cases\": [{\"shape\": [16, 9, 6, 5], \"case\": \"\(BenchInterop.pytorchCase)\", \"median_ms\": 1e6, \"min_ms\": 1e6}]}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let (status, output, errors) = run(["--shape", "2,9,6,5", "--repetitions", "1", "--no-naive", "--modes", "active", "--tsm", path])
        #expect(status == 0, "\(errors)")
        let line = output.split(separator: "\n").first { $0.hasPrefix("  T1  ") }
        #expect(line?.hasSuffix("met") == true && line?.contains("MISSED") == false, "\(output)")
        // A file without this shape's case leaves T1 not measured, saying why.
        let (_, other, _) = run(["--shape", "1,9,6,5", "--repetitions", "1", "--no-naive", "--modes", "active", "--tsm", path])
        #expect(other.contains("has no 8x9x6x5 case"), "\(other)")
    }

    @Test func naiveTSMIsTheRuleOfTheTemporalShift() throws {
        let shape = [16, 16, 2, 3]
        let x = try Tensor<Float>.random(shape: shape, seed: 8)
        #expect(BenchInterop.naiveTSM(x.elements, shape: shape) == (try temporalShift(x, segments: 8)).elements)
        // Channel 0 of frame 0 is frame 1's.
        #expect(BenchInterop.naiveTSM(x.elements, shape: shape)[0] == x[1, 0, 0, 0])
    }
}

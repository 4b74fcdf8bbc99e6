import Foundation
import Testing
import ShiftOps
import ShiftOpsTestSupport

/// The shared test support checked on its own: the oracle against its own definition (adjoint
/// identity, finite differences), the tolerance rule, the temporary folder and the command runner.
@Suite struct TestSupportTests {
    /// The reference backward is the exact transpose of the reference forward, and its shift
    /// gradient the derivative of the forward, on every case and grid of the shared list.
    @Test(arguments: ShiftCase.allGeometries)
    func referenceBackwardIsTheAdjointOfTheReferenceForward(config: ShiftCase) throws {
        let x = try Tensor<Double>.random(shape: config.shape(), seed: 11)
        let s: Tensor<Double> = config.shifts(channels: 3, seed: 12)
        let y = config.reference(x, s)
        let g = try Tensor<Double>.random(shape: y.shape, seed: 13)
        let gradients = config.referenceBackward(g, x, s)
        let v = try Tensor<Double>.random(shape: x.shape, seed: 14)
        let lhs = dot(g, config.reference(v, s)), rhs = dot(gradients.input, v)
        #expect(abs(lhs - rhs) <= 1e-12 * max(abs(lhs), 1), "\(config): <g, f(v)> \(lhs), <f^T g, v> \(rhs)")
        guard config.mode == .active else {
            #expect((gradients.shifts == nil) == (config.mode == .grouped), "\(config)")
            return
        }
        let h = 1e-6
        for c in 0..<3 {
            for j in 0..<config.k {
                var plus = s, minus = s
                plus[c, j] += h
                minus[c, j] -= h
                let numeric = (dot(g, config.reference(x, plus)) - dot(g, config.reference(x, minus))) / (2 * h)
                #expect(abs(numeric - gradients.shifts![c, j]) <= 1e-6 * max(abs(numeric), 1),
                        "\(config) [\(c), \(j)]: numeric \(numeric), reference \(gradients.shifts![c, j])")
            }
        }
    }

    @Test func toleranceIsRelativeToTheLargestMagnitude() throws {
        // 1e-5 off on an element of 1e-3 is 1e-7 of the largest magnitude, 100.
        #expect(abs(Tolerance.relativeError([100, 1e-3 + 1e-5], [100.0, 1e-3]) - 1e-7) < 1e-12)
        // An all-zero reference: the plain difference.
        #expect(Tolerance.relativeError([0, 2e-7], [0.0, 0]) == 2e-7)
        #expect(Tolerance.relativeError([Double.nan, 1], [.nan, 1]) == 0)
        #expect(Tolerance.relativeError([Double.nan, 1], [0, 1]) == .infinity)
        #expect(Tolerance.relativeError([Double.infinity], [1e300]) == .infinity)
        #expect(Tolerance.relativeError([1.0], [1, 2]) == .infinity)
        let a = try Tensor<Float>(shape: [2], elements: [1, 2])
        #expect(Tolerance.relativeError(a, try Tensor<Float>(shape: [2, 1], elements: [1, 2])) == .infinity)
        #expect(Tolerance.result(Float.self) == 1e-6 && Tolerance.result(Double.self) == 1e-12)
        #expect(Tolerance.shiftGradient(Float.self) == 1e-4 && Tolerance.shiftGradient(Double.self) == 1e-10)
    }

    @Test func temporaryFolderIsRemovedWithEverythingInIt() throws {
        var path = ""
        try withExtendedLifetime(try TemporaryFolder(prefix: "shiftops-support")) { folder in
            path = folder.path
            try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder.file("sub/file.txt")))
            #expect(FileManager.default.fileExists(atPath: folder.file("sub/file.txt")))
        }
        #expect(!path.isEmpty && !FileManager.default.fileExists(atPath: path), "\(path) is still there")
    }

    @Test func commandResultCapturesStatusAndBothStreams() {
        let result = CommandResult(running: { arguments, output, errors in
            output("out \(arguments.joined(separator: " "))")
            errors("err")
            output("second")
            return 2
        }, ["a", "b"])
        #expect(result.status == 2 && result.output == "out a b\nsecond\n" && result.errors == "err\n")
    }

    @Test func expectedErrorAcceptsOnlyTheDocumentedError() {
        struct Other: Error {}
        let thrown = ShiftOpsError(.invalidRank, argument: "input", "expected rank 3, got 2")
        #expect(ExpectedError.mismatch(.invalidRank, "input") { throw thrown } == nil)
        #expect(ExpectedError.mismatch(.invalidRank, "input", containing: "rank 3") { throw thrown } == nil)
        #expect(ExpectedError.mismatch(.invalidRank, "input", containing: "rank 4") { throw thrown } != nil)
        #expect(ExpectedError.mismatch(.invalidRank, "shifts") { throw thrown } != nil)
        #expect(ExpectedError.mismatch(.shapeMismatch, "input") { throw thrown } != nil)
        #expect(ExpectedError.mismatch(.invalidRank, "input") { throw Other() } != nil)
        #expect(ExpectedError.mismatch(.invalidRank, "input") {} != nil)
    }
}

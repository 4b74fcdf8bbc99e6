/// `shiftops check --device cuda`: runs the GPU checks and prints "N passed, N failed".
enum CheckCommand {
    static func main(_ arguments: [String], output: (String) -> Void) throws {
        guard arguments == ["--device", "cuda"] else {
            throw UsageError("usage: shiftops check --device cuda")
        }
        #if CUDA
        let outcome = try GPUCheck.run(progress: output)
        for failure in outcome.failures { output("FAILED: \(failure)") }
        output("\(outcome.passed) passed, \(outcome.failures.count) failed")
        if !outcome.failures.isEmpty { throw UsageError("check: \(outcome.failures.count) GPU checks failed") }
        #else
        throw UsageError("--device cuda: this build has no CUDA backend; build with 'swift build --traits CUDA'")
        #endif
    }
}

import Foundation

/// The `shiftops` command line: `run`, `bench`, `demo`, `count`, `bench-pointwise`, `bench-network`
/// and `check`.
///
/// Every failure is one line on standard error and exit status 2; nothing is left half-written.
public enum ShiftOpsCommand {
    public static let usage = """
        usage: shiftops <command> [options]
          run    apply one shift op to .npy files (see 'shiftops run --help')
          bench  time the kernels against the fastest copy and a 3x3 depthwise convolution ('shiftops bench --help')
          demo   'shiftops demo align' (learn shifts that align images), 'shiftops demo train' (shift networks on digits)
          count  parameters and MACs of a network, per layer ('shiftops count --help')
          bench-pointwise  GFLOP/s of the networks' 1x1 convolution, and the shift fused into it
          bench-network  whole networks: eval forward and a training step ('shiftops bench-network --help')
          check  check the CUDA backend against the CPU: 'shiftops check --device cuda' (CUDA builds)
          golden hashes of the CPU ops' outputs over a broad case set: --write FILE, --compare FILE
        """

    /// Runs the command line `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String], output: (String) -> Void = { print($0); fflush(nil) },
                            errors: (String) -> Void = { printError($0) }) -> Int32 {
        guard let command = arguments.first else {
            errors(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "run":
                try RunCommand.main(rest, output: output)
            case "bench":
                try BenchCommand.main(rest, output: output, progress: errors)
            case "demo":
                try DemoCommand.main(rest, output: output)
            case "count":
                try CountCommand.main(rest, output: output)
            case "bench-pointwise":
                try PointwiseBench.main(rest, output: output)
            case "bench-network":
                try NetworkBench.main(rest, output: output, progress: errors)
            case "check":
                try CheckCommand.main(rest, output: output)
            case "golden":
                try GoldenCommand.main(rest, output: output)
            case "-h", "--help", "help":
                output(usage)
            default:
                throw UsageError("unknown command '\(command)'; expected run, bench, bench-pointwise, bench-network, demo, count, check or golden")
            }
            return 0
        } catch let error as UsageError {
            errors("shiftops: \(oneLine(error.message))")
        } catch let failure as DemoFailure {
            errors("shiftops: demo did not converge for \(failure.runs.joined(separator: ", "))")
            return 1
        } catch {
            errors("shiftops: \(oneLine("\(error)"))")
        }
        return 2
    }

    /// A message as one line: file contents quoted in an error (a `.npy` header, say) may hold
    /// line breaks, and the contract is one line per failure.
    static func oneLine(_ message: String) -> String {
        message.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).joined(separator: " ")
    }

    public static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// A command-line mistake, printed as one line.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

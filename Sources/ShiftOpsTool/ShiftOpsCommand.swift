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

    /// A subcommand's entry point: the arguments after its name, where output goes, where
    /// progress lines go.
    typealias Entry = @Sendable (_ arguments: [String], _ output: (String) -> Void, _ progress: (String) -> Void) throws -> Void

    /// The subcommands by name, in the order the unknown-command message lists them.
    static let subcommands: [(name: String, main: Entry)] = [
        ("run", { arguments, output, _ in try RunCommand.main(arguments, output: output) }),
        ("bench", { arguments, output, progress in try BenchCommand.main(arguments, output: output, progress: progress) }),
        ("bench-pointwise", { arguments, output, _ in try PointwiseBench.main(arguments, output: output) }),
        ("bench-network", { arguments, output, progress in try NetworkBench.main(arguments, output: output, progress: progress) }),
        ("demo", { arguments, output, _ in try DemoCommand.main(arguments, output: output) }),
        ("count", { arguments, output, _ in try CountCommand.main(arguments, output: output) }),
        ("check", { arguments, output, _ in try CheckCommand.main(arguments, output: output) }),
        ("golden", { arguments, output, _ in try GoldenCommand.main(arguments, output: output) }),
    ]

    /// Runs the command line `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String], output: (String) -> Void = { print($0); fflush(nil) },
                            errors: (String) -> Void = { printError($0) }) -> Int32 {
        guard let command = arguments.first else {
            errors(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        do {
            if ["-h", "--help", "help"].contains(command) {
                output(usage)
            } else if let subcommand = subcommands.first(where: { $0.name == command }) {
                try subcommand.main(rest, output, errors)
            } else {
                let names = subcommands.map(\.name)
                throw UsageError("unknown command '\(command)'; expected \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
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

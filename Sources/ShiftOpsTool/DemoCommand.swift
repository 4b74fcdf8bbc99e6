import Foundation
import ShiftOps

/// `shiftops demo align`: the alignment demo for each mode and padding asked for.
enum DemoCommand {
    static let help = """
        usage: shiftops demo align [--modes active,sparse] [--paddings zeros,border,periodic,reflect,symmetric]
                                   [--steps N] [--channels C] [--size S] [--seed S]
          Learns per-channel shifts that align a smooth image with a copy shifted by known amounts
          (starting up to 1.5 pixels off) and prints the error; exit status 1 if a run does not
          converge (active: within 0.05 pixel; sparse: exact after rounding).
        """

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        if arguments.first != "train", arguments.contains("--help") || arguments.contains("-h") {
            output(help + "\n" + TrainDemo.help)
            return
        }
        if arguments.first == "train" {
            try TrainDemo.main(Array(arguments.dropFirst()), output: output)
            return
        }
        guard arguments.first == "align" else {
            throw UsageError("demo expects 'align' or 'train' (see 'shiftops demo --help')")
        }
        let options = try Options(Array(arguments.dropFirst()),
                                  valued: ["modes", "paddings", "steps", "channels", "size", "seed"])
        let modes = try options.choices("modes", as: ShiftMode.self) ?? [.active, .sparse]
        guard !modes.contains(.grouped) else { throw UsageError("--modes: grouped shifts are fixed; nothing to learn") }
        let paddings = try options.choices("paddings", as: ShiftPadding.self) ?? ShiftPadding.allCases
        var demo = AlignmentDemo(mode: .active, padding: .zeros)
        demo.steps = try options.integer("steps") ?? demo.steps
        demo.channels = try options.integer("channels") ?? demo.channels
        demo.size = try options.integer("size") ?? demo.size
        demo.seed = UInt64(try options.integer("seed") ?? Int(demo.seed))
        guard demo.steps >= 1, demo.channels >= 1, demo.size >= 2 else {
            throw UsageError("--steps and --channels expect >= 1 and --size >= 2")
        }
        var failures = [String]()
        for mode in modes {
            for padding in paddings {
                demo.mode = mode
                demo.padding = padding
                let outcome = try demo.run(progress: output)
                let verdict = outcome.converged(for: mode) ? "converged" : "NOT CONVERGED"
                output(String(format: "%@ %@: final mean error %.4f px, max %.4f px, rounds to truth: %@ -> %@",
                              mode.rawValue, padding.rawValue, outcome.meanError, outcome.maximumError,
                              outcome.roundsToTruth ? "yes" : "no", verdict))
                if !outcome.converged(for: mode) { failures.append("\(mode) \(padding)") }
            }
        }
        if !failures.isEmpty { throw DemoFailure(runs: failures) }
    }
}

/// Some demo runs did not converge: exit status 1.
struct DemoFailure: Error {
    var runs: [String]
}

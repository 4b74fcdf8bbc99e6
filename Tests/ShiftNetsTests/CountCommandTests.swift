import Foundation
import Testing
import ShiftOps
import ShiftOpsTestSupport
import ShiftNets
@testable import ShiftOpsTool

/// `shiftops count` on options that used to trap or to build a network of terabytes.
@Suite struct CountCommandTests {
    func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let result = CommandResult(running: ShiftOpsCommand.main, arguments)
        return (result.status, result.output, result.errors)
    }

    /// `count` refuses widths that would trap in `Int(_:)` or build an absurdly large network,
    /// before building anything; ordinary networks still count.
    @Test(.tags(.slow), .skippedInFastLane) func countRefusesAbsurdWidthsBeforeBuilding() throws {
        let cases: [([String], String)] = [
            (["--model", "shiftresnet20", "--expansion", "1e300"], "refuses layers wider than 65536"),
            (["--model", "depthwiseresnet56", "--expansion", "1e10"], "refuses layers wider than 65536"),
            (["--model", "resnet20", "--reduction", "1e-300"], "refuses layers wider than 65536"),
            (["--model", "resnet20", "--reduction", "5e-324", "--reduction-mode", "block"], "refuses layers wider than 65536"),
            (["--model", "shiftresnet110", "--expansion", "1000"], "refuses more than 134217728"),
            (["--model", "resnet110", "--reduction", "0.0001"], "refuses more than 134217728"),
        ]
        for (arguments, message) in cases {
            let result = run(["count"] + arguments)
            #expect(result.status == 2 && result.errors.contains(message), "\(arguments): \(result.errors)")
        }
        let result = run(["count", "--model", "shiftresnet110", "--expansion", "9", "--json"])
        #expect(result.status == 0 && result.output.contains("totalParameters"), "\(result.errors)")
        // The estimate is the convolutions' and linear layer's weights that count reports.
        for architecture in [try Architecture.resNet(depth: 20), try Architecture.shiftResNet(depth: 20, expansion: 3),
                             try Architecture.depthwiseResNet(depth: 20, expansion: 2), try Architecture.resNet(depth: 20, reduction: 2, mode: .block)] {
            // The linear layer's bias (one per class) is not a weight of the estimate.
            let counted = try NetworkCount(architecture).layers.filter { $0.kind.hasPrefix("conv") || $0.kind.hasPrefix("dwconv") || $0.kind == "linear" }
            let weights = counted.reduce(0) { $0 + $1.parameters } - architecture.classes
            #expect(counted.count > 20)
            #expect(abs(CountCommand.estimatedWeights(architecture) - Double(weights)) <= Double(weights) * 0.01,
                    "\(architecture.name): \(CountCommand.estimatedWeights(architecture)) vs \(weights)")
        }
    }
}

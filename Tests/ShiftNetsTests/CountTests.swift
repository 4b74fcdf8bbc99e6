import Foundation
import Testing
import ShiftOps
@testable import ShiftNets
import ShiftOpsTool

/// Parameter counts against shiftresnet-cifar (commit 289a1a1): its own model definitions and
/// count.py's `count_params`, run by Scripts/shiftresnet-counts/reference_counts.py. Its
/// `script_flops` is `flops()`, which counts the stem with the last stage's width (64, not 16).
@Suite struct CountTests {
    /// reference_counts.py's rows (Scripts/shiftresnet-counts/counts.json), each
    /// with the architecture it describes: `model` names the family and depth; a ResNet row may
    /// add `reduction` and `mode`, a shift or depthwise row has `expansion`.
    static func reference() throws -> [(Architecture, parameters: Int, scriptFLOPs: Int)] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Scripts/shiftresnet-counts/counts.json").standardized
        let rows = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
        return try rows.map { row in
            let model = try #require(row["model"] as? String)
            let family = try #require(["depthwiseresnet", "shiftresnet", "resnet"].first { model.hasPrefix($0) })
            let depth = try #require(Int(model.dropFirst(family.count)))
            let architecture: Architecture
            switch family {
            case "resnet":
                let mode = try (row["mode"] as? String).map { try #require(ReductionMode(rawValue: $0)) } ?? .net
                architecture = try .resNet(depth: depth, reduction: row["reduction"] as? Double ?? 1, mode: mode)
            case "shiftresnet":
                architecture = try .shiftResNet(depth: depth, expansion: try #require(row["expansion"] as? Double))
            default:
                architecture = try .depthwiseResNet(depth: depth, expansion: try #require(row["expansion"] as? Double))
            }
            return (architecture, try #require(row["params"] as? Int), try #require(row["script_flops"] as? Int))
        }
    }

    /// Every configuration the script counted is in the file: the ResNets with their six
    /// reductions, and the shift networks and their depthwise twins at four expansions, each
    /// at depths 20, 56 and 110.
    @Test func referenceHoldsEveryConfiguration() throws {
        let names = try Self.reference().map(\.0.name)
        #expect(names.count == 45 && Set(names).count == 45)
    }

    @Test(.tags(.slow), .skippedInFastLane) func parametersMatchShiftResNetCifar() throws {
        for (architecture, parameters, _) in try Self.reference() {
            let count = try NetworkCount(architecture)
            #expect(count.parameters == parameters, "\(architecture.name)")
            // Every parameter is in a layer's row (no "(other)" row for unreported ones).
            #expect(!count.layers.contains { $0.path == "(other)" }, "\(architecture.name)")
        }
    }

    @Test(.tags(.slow), .skippedInFastLane)
    func macsDifferFromTheScriptOnlyWhereItsFormulasAreWrong() throws {
        // count.py's ResNet.flops() uses self.in_planes after the stages are built (64 / r), not the
        // stem's width; DepthWiseWithSkipBlock.flops() counts the depthwise convolution at the
        // block's output size, but with stride 2 it runs at the input size (the stride is in conv3).
        for (architecture, _, scriptFLOPs) in try Self.reference() {
            let count = try NetworkCount(architecture)
            let stem = architecture.stemChannels, last = architecture.widths.last!
            var expected = scriptFLOPs - 32 * 32 * 9 * 3 * (last - stem)
            if case .convShiftConv(let e, .depthwise) = architecture.block {
                for (s, planes) in architecture.widths.enumerated() where s > 0 {
                    let mid = Int(Double(planes) * e), inSide = 32 >> (s - 1), outSide = 32 >> s
                    expected += 9 * mid * (inSide * inSide - outSide * outSide)
                }
            }
            #expect(count.macs == expected, "\(architecture.name)")
        }
    }

    @Test func shiftResNet20FromFirstPrinciples() throws {
        // Stem 32*32*27*16; stage 1: 3 blocks of 2*1024*16*48; stages 2 and 3: a strided block
        // (1x1 at the input side, 1x1 at the output side, projection) and 2 blocks; linear 640.
        let stage = (1024 * 16 * 96 + 256 * 96 * 32 + 256 * 16 * 32) + 2 * 2 * 256 * 32 * 96
        let expected = 32 * 32 * 27 * 16 + 3 * 2 * 1024 * 16 * 48 + 2 * stage + 640
        let count = try NetworkCount(try .shiftResNet(depth: 20, expansion: 3))
        #expect(count.macs == expected)
        #expect(count.macs == 16_433_792)
        #expect(count.layers.filter { $0.kind == "shift(grouped)" }.allSatisfy { $0.parameters == 0 && $0.macs == 0 })
    }

    @Test func learnedShiftsCountTwoPerChannel() throws {
        let grouped = try NetworkCount(try .shiftResNet(depth: 20, expansion: 3, shift: .grouped))
        let active = try NetworkCount(try .shiftResNet(depth: 20, expansion: 3, shift: .active))
        // Inner widths 48, 96, 192, three blocks each.
        #expect(active.parameters - grouped.parameters == 2 * 3 * (48 + 96 + 192))
        #expect(active.macs == grouped.macs)
        #expect(active.otherOps > grouped.otherOps)
    }

    @Test func countCommandPrintsTableAndJSON() throws {
        var lines: [String] = []
        #expect(ShiftOpsCommand.main(["count", "--model", "shiftresnet20", "--expansion", "3"], output: { lines.append($0) }) == 0)
        let text = lines.joined(separator: "\n")
        #expect(text.contains("stage1.block0.conv1"))
        #expect(text.contains("95,642"))
        #expect(text.contains("16,433,792"))
        lines = []
        #expect(ShiftOpsCommand.main(["count", "--model", "resnet20", "--json"], output: { lines.append($0) }) == 0)
        let json = try JSONSerialization.jsonObject(with: Data(lines.joined().utf8)) as! [String: Any]
        #expect(json["totalParameters"] as? Int == 272_474)
        var errors: [String] = []
        #expect(ShiftOpsCommand.main(["count", "--model", "resnet21"], output: { _ in }, errors: { errors.append($0) }) == 2)
        #expect(errors.first?.contains("--model") == true)
        #expect(ShiftOpsCommand.main(["count", "--model", "shiftresnet20", "--reduction", "2"], output: { _ in },
                                     errors: { _ in }) == 2)
    }
}

import Foundation
import Testing
import ShiftOps
@testable import ShiftNets
import ShiftOpsTool

/// Parameter counts against shiftresnet-cifar (commit 289a1a1): its own model definitions and
/// count.py's `count_params`, run by Scripts/shiftresnet-counts/reference_counts.py. The third
/// column is its `flops()`, which counts the stem with the last stage's width (64, not 16).
@Suite struct CountTests {
    static let reference: [(Architecture, parameters: Int, scriptFLOPs: Int)] = try! [
        (try .resNet(depth: 20), 272474, 42140288),
        (try .resNet(depth: 20, reduction: 2.0, mode: .net), 133608, 20596226),
        (try .resNet(depth: 20, reduction: 2.8, mode: .net), 96086, 14747260),
        (try .resNet(depth: 20, reduction: 4.0, mode: .net), 68786, 10977600),
        (try .resNet(depth: 20, reduction: 2.0, mode: .block), 138506, 22086272),
        (try .resNet(depth: 20, reduction: 2.8, mode: .block), 96206, 15377024),
        (try .resNet(depth: 20, reduction: 4.0, mode: .block), 71522, 12059264),
        (try .resNet(depth: 56), 855770, 127074944),
        (try .resNet(depth: 56, reduction: 2.0, mode: .net), 419520, 61356290),
        (try .resNet(depth: 56, reduction: 2.8, mode: .net), 301358, 43667068),
        (try .resNet(depth: 56, reduction: 4.0, mode: .net), 215282, 32211264),
        (try .resNet(depth: 56, reduction: 2.0, mode: .block), 430826, 64553600),
        (try .resNet(depth: 56, reduction: 2.8, mode: .block), 296726, 43688576),
        (try .resNet(depth: 56, reduction: 4.0, mode: .block), 218354, 33292928),
        (try .resNet(depth: 110), 1730714, 254476928),
        (try .resNet(depth: 110, reduction: 2.0, mode: .net), 848388, 122496386),
        (try .resNet(depth: 110, reduction: 2.8, mode: .net), 609266, 87046780),
        (try .resNet(depth: 110, reduction: 4.0, mode: .net), 435026, 64061760),
        (try .resNet(depth: 110, reduction: 2.0, mode: .block), 869306, 128254592),
        (try .resNet(depth: 110, reduction: 2.8, mode: .block), 597506, 86155904),
        (try .resNet(depth: 110, reduction: 4.0, mode: .block), 438602, 65143424),
        (try .shiftResNet(depth: 20, expansion: 1), 34906, 7275136),
        (try .depthwiseResNet(depth: 20, expansion: 1), 38602, 8049280),
        (try .shiftResNet(depth: 20, expansion: 3), 95642, 17760896),
        (try .depthwiseResNet(depth: 20, expansion: 3), 106730, 20083328),
        (try .shiftResNet(depth: 20, expansion: 6), 186746, 33489536),
        (try .depthwiseResNet(depth: 20, expansion: 6), 208922, 38134400),
        (try .shiftResNet(depth: 20, expansion: 9), 277850, 49218176),
        (try .depthwiseResNet(depth: 20, expansion: 9), 311114, 56185472),
        (try .shiftResNet(depth: 56, expansion: 1), 102106, 16712320),
        (try .depthwiseResNet(depth: 56, expansion: 1), 113194, 19034752),
        (try .shiftResNet(depth: 56, expansion: 3), 294554, 46072448),
        (try .depthwiseResNet(depth: 56, expansion: 3), 327818, 53039744),
        (try .shiftResNet(depth: 56, expansion: 6), 583226, 90112640),
        (try .depthwiseResNet(depth: 56, expansion: 6), 649754, 104047232),
        (try .shiftResNet(depth: 56, expansion: 9), 871898, 134152832),
        (try .depthwiseResNet(depth: 56, expansion: 9), 971690, 155054720),
        (try .shiftResNet(depth: 110, expansion: 1), 202906, 30868096),
        (try .depthwiseResNet(depth: 110, expansion: 1), 225082, 35512960),
        (try .shiftResNet(depth: 110, expansion: 3), 592922, 88539776),
        (try .depthwiseResNet(depth: 110, expansion: 3), 659450, 102474368),
        (try .shiftResNet(depth: 110, expansion: 6), 1177946, 175047296),
        (try .depthwiseResNet(depth: 110, expansion: 6), 1311002, 202916480),
        (try .shiftResNet(depth: 110, expansion: 9), 1762970, 261554816),
        (try .depthwiseResNet(depth: 110, expansion: 9), 1962554, 303358592),
    ]

    @Test(.tags(.slow), .skippedInFastLane) func parametersMatchShiftResNetCifar() throws {
        for (architecture, parameters, _) in Self.reference {
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
        for (architecture, _, scriptFLOPs) in Self.reference {
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

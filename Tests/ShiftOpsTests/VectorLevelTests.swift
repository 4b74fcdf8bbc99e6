import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// Every vector level this processor has gives the portable loops' bits (SPEC §9 allows wider
/// SIMD only as chosen at run time; it must never change a result).
@Suite struct VectorLevelTests {
    /// The levels this process may use (`SHIFTOPS_SIMD` may have lowered them).
    static var levels: [Int32] { Array(0...VectorLevel.selected) }

    @Test func everyLevelThisProcessorHasIsTested() {
        print("vector levels tested here: \(Self.levels.map { VectorLevel.names[Int($0)] }); selected \(VectorLevel.names[Int(VectorLevel.selected)])")
        #expect(VectorLevel.selected <= VectorLevel.supported)
        #expect(VectorLevel.$limit.withValue(0) { VectorLevel.current } == VectorLevel.portable)
    }

    /// Forward and backward, NCHW and channels-last (19 channels: transposes of whole 8 x 8
    /// blocks and of the channels and pixels left over), every rank and padding, at each level
    /// against the portable level, bit for bit.
    @Test(.tags(.slow), .skippedInFastLane,
          .enabled(if: VectorLevel.selected > 0,
                   "no wider level here (no AVX2, or SHIFTOPS_SIMD=portable): only the portable loops run"),
          arguments: ShiftCase.all.filter { $0.mode == .active })
    func everyLevelGivesThePortableBits(config: ShiftCase) throws {
        let shape = [[2, 19, 301], [2, 19, 33, 37], [2, 19, 7, 9, 11]][config.k - 1]
        let x = try Tensor<Float>.random(shape: shape, seed: 71)
        let s: Tensor<Float> = config.shifts(channels: shape[1], seed: 72)
        let g = try Tensor<Float>.random(shape: shape, seed: 73)
        func results(_ level: Int32) throws -> [Tensor<Float>] {
            try VectorLevel.$limit.withValue(level) {
                let gradients = try config.backward(g, x, s)
                let last = try config.backward(try g.channelsLast(), try x.channelsLast(), s)
                return [try config.forward(x, s), try config.forward(try x.channelsLast(), s), gradients.input, gradients.shifts!,
                        last.input, last.shifts!]
            }
        }
        let portable = try results(0)
        for level in Self.levels.dropFirst() {
            let wide = try results(level)
            for (name, (a, b)) in zip(["forward", "channels-last forward", "gradInput", "gradShifts", "channels-last gradInput",
                                             "channels-last gradShifts"], zip(wide, portable)) {
                #expect(bitwiseDifferences(a, b) == 0, "\(name) at \(VectorLevel.names[Int(level)])")
            }
        }
    }
}

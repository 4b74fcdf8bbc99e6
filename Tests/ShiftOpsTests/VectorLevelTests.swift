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

    /// Rows at stride 2 over dense input rows (the row path in NCHW, and on the tiles' planes in
    /// channels-last), and rows at stride 1 along the row on the row path (a stride down the
    /// image, a shorter output), take an eight-lane loop above the portable level: every rank,
    /// padding and both orders of tap passes, row lengths that leave lanes over, an origin and a
    /// longer output, at each level against the portable level bit for bit and the reference
    /// within rounding.
    @Test(.enabled(if: VectorLevel.selected > 0,
                   "no wider level here (no AVX2, or SHIFTOPS_SIMD=portable): only the portable loops run"),
          arguments: ShiftPadding.allCases)
    func stridedRowsGiveThePortableBits(padding: ShiftPadding) throws {
        let cases: [([Int], ShiftGeometry)] = [
            ([2, 5, 67], ShiftGeometry(stride: 2)),
            ([2, 5, 9, 41], ShiftGeometry(stride: 2)),
            ([2, 5, 9, 40], ShiftGeometry(stride: [1, 2])),
            ([2, 5, 9, 41], ShiftGeometry(stride: [2, 1])),
            ([1, 5, 8, 34], ShiftGeometry(stride: [1], origin: [1], outputSize: [5, 20])),
            ([1, 5, 8, 34], ShiftGeometry(stride: [2], origin: [1], outputSize: [5, 20])),
            ([1, 3, 5, 6, 37], ShiftGeometry(stride: 2)),
            ([2, 3, 6, 7, 45], ShiftGeometry(stride: [1, 1, 2])),
            ([1, 2, 5, 6, 38], ShiftGeometry(stride: [2], origin: [1], outputSize: [3, 3, 20])),
        ]
        for (shape, geometry) in cases {
            let x = try Tensor<Float>.random(shape: shape, seed: 74)
            let rank = shape.count - 2
            let s = try Tensor<Float>.random(shape: [shape[1], rank], in: -1.5...1.5, seed: 75)
            func forward(_ input: Tensor<Float>) throws -> Tensor<Float> {
                try shift(input, shifts: s, padding: padding, geometry: geometry)
            }
            let label = "\(padding) \(shape) stride \(geometry.stride)"
            #expect(try CPUPlan.forward(x, shifts: s, padding: padding, geometry: geometry).path == .rows, "\(label)")
            let last = try x.channelsLast()
            let portable = try VectorLevel.$limit.withValue(0) { [try forward(x), try forward(last)] }
            let exact = ReferenceShift.forward(x, shifts: s, padding: padding, geometry: geometry)
            #expect(Tolerance.relativeError(portable[0], exact) < 1e-5, "\(label)")
            for level in Self.levels.dropFirst() {
                let wide = try VectorLevel.$limit.withValue(level) { [try forward(x), try forward(last)] }
                #expect(bitwiseDifferences(wide[0], portable[0]) == 0, "\(label) at \(VectorLevel.names[Int(level)])")
                #expect(bitwiseDifferences(wide[1], portable[1]) == 0, "\(label), channels-last, at \(VectorLevel.names[Int(level)])")
            }
        }
    }
}

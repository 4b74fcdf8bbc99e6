import Testing
@testable import ShiftOps

/// Layout changes (`dense(order:)`, `channelsLast()`, `elements`) against a walk of the logical
/// indices: every element type, ranks 1 to 5, every order up to rank 4, dense, permuted, sliced
/// and stepped sources, channel counts on and off the transposes' blocks of 8, both vector levels.
struct StridedCopyTests {
    static let shapes: [[Int]] = [[5], [3, 7], [2, 3, 5], [2, 9, 4, 5], [2, 16, 3, 8], [1, 12, 10, 10], [2, 3, 2, 4, 5]]

    /// Every multi-index of `shape`, row-major.
    static func indices(_ shape: [Int]) -> [[Int]] {
        var all: [[Int]] = [[]]
        for n in shape { all = all.flatMap { prefix in (0..<n).map { prefix + [$0] } } }
        return all
    }

    static func permutations(_ n: Int) -> [[Int]] {
        n == 0 ? [[]] : permutations(n - 1).flatMap { p in (0...p.count).map { var q = p; q.insert(n - 1, at: $0); return q } }
    }

    /// The sources: dense, permuted into another memory order, and sliced with a step.
    static func sources<T: TensorElement>(_ shape: [Int], _ make: (Int) -> T) throws -> [(String, Tensor<T>)] {
        let count = shape.reduce(1, *)
        let x = try Tensor<T>(shape: shape, elements: (0..<count).map(make))
        var result = [("dense", x), ("reversed order", try x.dense(order: Array(shape.indices.reversed())))]
        let wide = try Tensor<T>(shape: [shape[0] * 2 + 1] + shape.dropFirst(), elements: (0..<(count * 2 + count / shape[0])).map(make))
        result.append(("stepped", try wide.sliced(axis: 0, range: 1..<wide.shape[0], step: 2)))
        return result
    }

    func check<T: TensorElement>(_ make: (Int) -> T) throws {
        for level in [VectorLevel.portable, Int32.max] {
            for shape in Self.shapes {
                let orders = shape.count <= 4 ? Self.permutations(shape.count)
                    : [Array(0..<5), [0, 2, 3, 4, 1], Array((0..<5).reversed())]
                let indices = Self.indices(shape)
                for (name, x) in try Self.sources(shape, make) {
                    let expected = indices.map { x[$0] }
                    for order in orders {
                        let y = try VectorLevel.$limit.withValue(level) { try x.dense(order: order) }
                        let label = "\(T.self) \(shape) \(name) order \(order) level \(level)"
                        #expect(y.strides == Tensor<T>.validDenseStrides(shape: shape, order: order), "\(label)")
                        #expect(indices.map { y[$0] } == expected, "\(label)")
                        #expect(VectorLevel.$limit.withValue(level) { y.elements } == expected, "\(label)")
                    }
                }
            }
        }
    }

    @Test func float() throws { try check { Float($0) * 0.5 - 3 } }
    @Test func double() throws { try check { Double($0) * 0.25 - 7 } }
    @Test func int8() throws { try check { Int8(truncatingIfNeeded: $0 &* 7) } }
    @Test func uInt8() throws { try check { UInt8(truncatingIfNeeded: $0 &* 13) } }
    @Test func int32() throws { try check { Int32($0) &* -3 } }

    /// Copies of at least two `WorkGrain.copyElements` split the plan's outermost axis between
    /// threads: each part lands where it belongs, on every path (transposes of several images
    /// and of one image's pixels, a strided loop of bytes, block copies of a sliced tensor's
    /// rows), and the split is seen to run on two workers.
    @Test func largeCopiesSplitBetweenThreadsPutEveryPartInPlace() throws {
        /// Whether `y` holds `x`'s element at every index, and the copy was split.
        func check<T: TensorElement>(_ x: Tensor<T>, order: [Int], _ label: String) throws {
            let y = try Tensor<T>(uninitializedShape: x.shape, order: order)
            let trace = ParallelTrace()
            StridedCopy.copy(x.storage.base + x.offset, strides: x.strides, into: y.storage.base + y.offset, strides: y.strides,
                             shape: x.shape, trace: trace)
            #expect(trace.runs.count == 1 && trace.runs.allSatisfy { $0.workers == 2 }, "\(label): \(trace.runs)")
            // Nested loops: a walk of 150 000 index arrays would dominate the test.
            var same = true
            for n in 0..<x.shape[0] { for c in 0..<x.shape[1] { for h in 0..<x.shape[2] { for w in 0..<x.shape[3] {
                if x[[n, c, h, w]] != y[[n, c, h, w]] { same = false }
            } } } }
            #expect(same, "\(label)")
        }
        let shape = [10, 16, 30, 31], count = shape.reduce(1, *)
        let x = try Tensor<Float>(shape: shape, elements: (0..<count).map { Float($0) })
        try Parallelism.$threadLimit.withValue(2) {
            let channelsLast = [0, 2, 3, 1]
            try check(x, order: channelsLast, "Float to channels-last")
            try check(try x.dense(order: channelsLast), order: [0, 1, 2, 3], "Float from channels-last")
            let image = try Tensor<Float>(shape: [1, 16, 100, 90], elements: (0..<144_000).map { Float($0) })
            try check(image, order: channelsLast, "one image's transpose, split by pixels")
            let bytes = try Tensor<Int8>(shape: shape, elements: (0..<count).map { Int8(truncatingIfNeeded: $0 % 251) })
            try check(bytes, order: channelsLast, "Int8 to channels-last")
            try check(try x.sliced(axis: 3, range: 1..<31), order: [0, 1, 2, 3], "a sliced tensor's rows")
        }
    }

    /// Channels-first to channels-last is one transpose per image: the plan merges the spatial
    /// axes, and the last two axes swap.
    @Test func channelsLastPlansOneTransposePerImage() {
        let shape = [2, 16, 3, 8]
        let plan = StridedCopy.plan(shape: shape, source: [384, 24, 8, 1], target: [384, 1, 128, 16])
        #expect(plan == [.init(count: 2, source: 384, target: 384), .init(count: 24, source: 1, target: 16),
                         .init(count: 16, source: 24, target: 1)])
        let back = StridedCopy.plan(shape: shape, source: [384, 1, 128, 16], target: [384, 24, 8, 1])
        #expect(back == [.init(count: 2, source: 384, target: 384), .init(count: 16, source: 1, target: 24),
                         .init(count: 24, source: 16, target: 1)])
    }

    /// Axes merge only where both layouts keep them contiguous: a target with a gap after each
    /// row keeps its rows apart, and a copy into it leaves the gaps as they were.
    @Test func aGappedTargetKeepsItsAxesAndItsGaps() {
        #expect(StridedCopy.plan(shape: [2, 3], source: [3, 1], target: [4, 1]) == [.init(count: 2, source: 3, target: 4),
                                                                                    .init(count: 3, source: 1, target: 1)])
        #expect(StridedCopy.plan(shape: [2, 3], source: [3, 1], target: [3, 1]) == [.init(count: 6, source: 1, target: 1)])
        let source: [Float] = [1, 2, 3, 4, 5, 6]
        var target = [Float](repeating: -1, count: 8)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                StridedCopy.copy(s.baseAddress!, strides: [3, 1], into: t.baseAddress!, strides: [4, 1], shape: [2, 3])
            }
        }
        #expect(target == [1, 2, 3, -1, 4, 5, 6, -1])
    }

    /// A special value's bits survive: the elements move, never pass through arithmetic.
    @Test func floatBitsAreMovedUnchanged() throws {
        let bits: [UInt32] = [0x7fc0_0001, 0xffa0_0000, 0x8000_0000, 0x0000_0001, 0x7f80_0000, 0xff80_0000, 0x3f80_0000, 0x7fbf_ffff]
        // Nine channels: the transposes' leftover column and rows move the bits too.
        let x = try Tensor<Float>(shape: [1, 9, 3, 5], elements: (0..<135).map { Float(bitPattern: bits[$0 % 8] &+ UInt32($0 / 8)) })
        let y = try x.channelsLast()
        #expect(Self.indices(x.shape).allSatisfy { x[$0].bitPattern == y[$0].bitPattern })
        #expect(y.elements.map(\.bitPattern) == x.elements.map(\.bitPattern))
    }
}

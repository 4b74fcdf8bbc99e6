import Testing
@testable import ShiftOps

/// The temporal shift against loops written from TSM's description, and its adjoint.
@Suite struct TemporalShiftTests {
    /// TSM's shift, literally: frame t of channel c reads frame t + 1 (first fold), t - 1 (second
    /// fold) or t, of the same clip, or zero past the clip's ends. `flip` swaps the folds (Paddle).
    static func naive(_ x: Tensor<Double>, segments: Int, fold: Int, flip: Bool = false) -> [Double] {
        let (frames, channels) = (x.shape[0], x.shape[1])
        let spatial = Array(x.shape.dropFirst(2))
        let plane = spatial.reduce(1, *)
        let values = x.elements
        var y = [Double](repeating: 0, count: values.count)
        for f in 0..<frames {
            let (clip, t) = (f / segments, f % segments)
            for c in 0..<channels {
                var source = t
                if c < fold { source = flip ? t - 1 : t + 1 } else if c < 2 * fold { source = flip ? t + 1 : t - 1 }
                guard (0..<segments).contains(source) else { continue }
                for p in 0..<plane {
                    y[(f * channels + c) * plane + p] = values[((clip * segments + source) * channels + c) * plane + p]
                }
            }
        }
        return y
    }

    static func layouts(_ x: Tensor<Double>) throws -> [Tensor<Double>] {
        var result = [x, try x.channelsLast(), try x.dense(order: Array(x.shape.indices.reversed()))]
        // A strided view: every other element of a wider last axis.
        var widened = x.shape
        widened[x.rank - 1] *= 2
        let wide = try Tensor<Double>.random(shape: widened, seed: 99)
        var strided = try wide.sliced(axis: x.rank - 1, range: 0..<widened[x.rank - 1], step: 2)
        try strided.withMutableView({ $0 }) { view in
            for (i, v) in x.elements.enumerated() {
                var index = [Int](), rest = i
                for length in x.shape.reversed() { index.insert(rest % length, at: 0); rest /= length }
                view[index] = v
            }
        }
        result.append(strided)
        return result
    }

    @Test(arguments: [[6, 16, 3, 4], [4, 8, 5], [6, 16, 2, 3, 2], [2, 9, 7, 1]])
    func forwardMatchesTheNaiveShiftForEveryLayout(shape: [Int]) throws {
        let x = try Tensor<Double>.random(shape: shape, seed: UInt64(shape.count))
        let segments = shape[0] / 2 == 0 ? 1 : shape[0] / 2
        for input in try Self.layouts(x) {
            #expect(input.elements == x.elements)
            for fold in [nil, 0, 1, shape[1] / 2] {
                for direction in TemporalShiftDirection.allCases {
                    let y = try temporalShift(input, segments: segments, fold: fold, direction: direction)
                    let expected = Self.naive(x, segments: segments, fold: fold ?? shape[1] / 8,
                                              flip: direction == .previousFrameFirst)
                    #expect(y.shape == shape && y.elements == expected,
                            "\(shape) strides \(input.strides) fold \(String(describing: fold)) \(direction)")
                    #expect(y.isDense && (shape.contains(1) || y.dimensionOrder == input.dimensionOrder))
                }
            }
        }
    }

    @Test func defaultFoldIsAnEighthAndFramesOfOneClipOnly() throws {
        // 2 clips of 3 frames, 8 channels, one pixel: the value is 100 * frame + channel.
        let x = try Tensor<Double>(shape: [6, 8, 1, 1], elements: (0..<48).map { Double(100 * ($0 / 8) + $0 % 8) })
        let y = try temporalShift(x, segments: 3)
        let frame = { (f: Int) in Array(y.elements[(f * 8)..<(f * 8 + 8)]) }
        #expect(frame(0) == [100, 0, 2, 3, 4, 5, 6, 7])          // next frame; no previous
        #expect(frame(1) == [200, 1, 102, 103, 104, 105, 106, 107])
        #expect(frame(2) == [0, 101, 202, 203, 204, 205, 206, 207])  // last frame: zeros, not clip 2's
        #expect(frame(3) == [400, 0, 302, 303, 304, 305, 306, 307])
    }

    @Test(arguments: TemporalShiftDirection.allCases)
    func backwardIsTheAdjoint(direction: TemporalShiftDirection) throws {
        let shape = [6, 16, 3, 5]
        let x = try Tensor<Double>.random(shape: shape, seed: 31)
        let g = try Tensor<Double>.random(shape: shape, seed: 32)
        for fold in [nil, 3] {
            let y = try temporalShift(x, segments: 3, fold: fold, direction: direction)
            let gx = try temporalShiftBackward(gradOutput: try g.channelsLast(), segments: 3, fold: fold, direction: direction)
            let lhs = zip(g.elements, y.elements).reduce(0) { $0 + $1.0 * $1.1 }
            let rhs = zip(gx.elements, x.elements).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(lhs - rhs) <= 1e-12 * Swift.max(abs(lhs), 1))
        }
        // Against the transpose of the naive shift's matrix, built one unit vector at a time.
        let small = [4, 8, 2, 3]
        let gs = try Tensor<Double>.random(shape: small, seed: 33)
        let gx = try temporalShiftBackward(gradOutput: gs, segments: 2, direction: direction)
        var transposed = [Double](repeating: 0, count: gs.count)
        var unit = [Double](repeating: 0, count: gs.count)
        let gValues = gs.elements
        for i in 0..<gs.count {
            unit[i] = 1
            let column = Self.naive(try Tensor(shape: small, elements: unit), segments: 2, fold: 1,
                                    flip: direction == .previousFrameFirst)
            transposed[i] = zip(column, gValues).reduce(0) { $0 + $1.0 * $1.1 }
            unit[i] = 0
        }
        #expect(gx.elements == transposed)
    }

    @Test(arguments: [[6, 16, 3, 4], [6, 16, 2, 3, 2]])
    func intoAnyOutputLayoutGivesTheSameResult(shape: [Int]) throws {
        let x = try Tensor<Double>.random(shape: shape, seed: 41)
        let expected = try temporalShift(x, segments: 3)
        for layout in try Self.layouts(try Tensor<Double>(shape: shape, repeating: .nan)) {
            var output = layout
            try temporalShift(try x.channelsLast(), segments: 3, into: &output)
            #expect(output.elements == expected.elements && output.strides == layout.strides, "\(layout.strides)")
        }
    }

    /// The caller's output memory is written in place: the op runs on another library's buffers.
    @Test func intoABorrowedOutputWritesTheCallersMemory() throws {
        let shape = [4, 8, 3, 5]
        let x = try Tensor<Float>.random(shape: shape, seed: 42)
        var memory = [Float](repeating: .nan, count: x.count)
        let inPlace = try memory.withUnsafeMutableBufferPointer { buffer in
            try Tensor.withBorrowed(mutating: buffer, shape: shape) { y in
                try temporalShift(x, segments: 2, fold: 2, into: &y)
                return try y.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } == UnsafeRawPointer(buffer.baseAddress!)
            }
        }
        let expected = try temporalShift(x, segments: 2, fold: 2)
        #expect(inPlace && memory == expected.elements)
    }

    @Test func intoErrorsLeaveTheOutputUntouched() throws {
        let x = try Tensor<Float>.random(shape: [4, 8, 2, 2], seed: 43)
        var wrongShape = try Tensor<Float>(shape: [4, 8, 2, 3], repeating: 5)
        let shapeError = #expect(throws: ShiftOpsError.self) { try temporalShift(x, segments: 2, into: &wrongShape) }
        #expect(shapeError?.code == .shapeMismatch && shapeError?.argument == "output")
        var badFold = try Tensor<Float>(shape: [4, 8, 2, 2], repeating: 5)
        #expect(throws: ShiftOpsError.self) { try temporalShift(x, segments: 2, fold: 9, into: &badFold) }
        #expect(wrongShape.elements.allSatisfy { $0 == 5 } && badFold.elements.allSatisfy { $0 == 5 })
        var memory = x.elements
        let aliased = try memory.withUnsafeMutableBufferPointer { buffer in
            try Tensor.withBorrowed(mutating: buffer, shape: [4, 8, 2, 2]) { y in
                let input = y
                return #expect(throws: ShiftOpsError.self) { try temporalShift(input, segments: 2, into: &y) }
            }
        }
        #expect(aliased?.code == .aliasedOutput && memory == x.elements)
    }

    @Test func badArgumentsAreErrors() throws {
        let x = try Tensor<Float>(shape: [6, 8, 2, 2])
        let cases: [(Tensor<Float>, Int, Int?, String)] = [
            (x, 4, nil, "segments"), (x, 0, nil, "segments"), (x, 3, 5, "fold"), (x, 3, -1, "fold"),
            (try Tensor<Float>(shape: [6, 8]), 3, nil, "input"),
        ]
        for (input, segments, fold, argument) in cases {
            let error = #expect(throws: ShiftOpsError.self) { try temporalShift(input, segments: segments, fold: fold) }
            #expect(error?.argument == argument)
        }
        let rank = #expect(throws: ShiftOpsError.self) { try temporalShiftBackward(gradOutput: try Tensor<Float>(shape: [2]), segments: 1) }
        #expect(rank?.argument == "gradOutput" && rank?.code == .invalidRank)
        // Empty batches are fine.
        #expect(try temporalShift(try Tensor<Float>(shape: [0, 8, 2, 2]), segments: 4).shape == [0, 8, 2, 2])
    }
}

import Testing
@testable import ShiftOps

/// Memory the user owns: building tensors without a zero fill, reading and writing dense
/// elements in place, bulk `elements`, and ops over borrowed memory with no copy.
@Suite struct TensorAccessTests {
    /// Every element read through the subscript, in row-major logical order: the slow, obvious
    /// walk that `elements` must agree with.
    func walked<E>(_ t: Tensor<E>) -> [E] {
        var result = [E]()
        func visit(_ prefix: [Int]) {
            if prefix.count == t.rank { result.append(t[prefix]); return }
            for i in 0..<t.shape[prefix.count] { visit(prefix + [i]) }
        }
        visit([])
        return result
    }

    @Test func uninitializedInitWritesEveryElementInMemoryOrder() throws {
        let t = try Tensor<Float>(unsafeUninitializedShape: [2, 3]) { buffer in
            for i in buffer.indices { buffer[i] = Float(i) }
        }
        #expect(t.shape == [2, 3] && t.isContiguous && t.elements == [0, 1, 2, 3, 4, 5])
        // Channels-last: the buffer is written in memory order, [N, H, W, C].
        let c = try Tensor<Double>(unsafeUninitializedShape: [1, 2, 2, 2], order: [0, 2, 3, 1]) { buffer in
            for i in buffer.indices { buffer[i] = Double(i) }
        }
        #expect(c.strides == [8, 1, 4, 2] && c[0, 1, 0, 0] == 1 && c[0, 0, 1, 1] == 6)
        let badOrder = #expect(throws: ShiftOpsError.self) {
            try Tensor<Float>(unsafeUninitializedShape: [2, 3], order: [0, 0]) { _ in Issue.record("body ran") }
        }
        #expect(badOrder?.argument == "order")
    }

    @Test func copyingInitMakesOneCopyOfTheSource() throws {
        var source: [Int32] = [1, 2, 3, 4, 5, 6]
        let t = try source.withUnsafeBufferPointer { try Tensor<Int32>(shape: [3, 2], copying: $0) }
        source[0] = 100
        #expect(t.elements == [1, 2, 3, 4, 5, 6] && t.shape == [3, 2])
        let error = #expect(throws: ShiftOpsError.self) {
            try source.withUnsafeBufferPointer { try Tensor<Int32>(shape: [4, 2], copying: $0) }
        }
        #expect(error?.code == .shapeMismatch && error?.argument == "source")
        let fromArray = #expect(throws: ShiftOpsError.self) { try Tensor<Int32>(shape: [4], elements: source) }
        #expect(fromArray?.argument == "elements")
    }

    @Test func elementsAgreeWithTheIndexWalkForEveryLayout() throws {
        let a = try Tensor<Double>.random(shape: [2, 3, 4, 5], seed: 7)
        let layouts: [Tensor<Double>] = [
            a, try a.channelsLast(), try a.permuted([3, 1, 0, 2]), try a.sliced(axis: 3, range: 1..<5, step: 2),
            try a.sliced(axis: 0, range: 1..<2), try a.sliced(axis: 2, range: 2..<2), try a.reshaped([6, 20]),
            try a.sliced(axis: 3, range: 1..<4), try a.sliced(axis: 1, range: 1..<3),
            try Tensor<Double>(shape: [], elements: [4]),
        ]
        for t in layouts {
            #expect(t.elements == walked(t), "shape \(t.shape) strides \(t.strides)")
        }
    }

    @Test func bufferAccessReadsDenseTensorsInMemoryOrder() throws {
        let a = try Tensor<Float>(shape: [2, 3], elements: [0, 1, 2, 3, 4, 5])
        #expect(try a.withUnsafeBufferPointer { Array($0) } == [0, 1, 2, 3, 4, 5])
        // A transposed view is dense: its buffer is the same memory, not the logical order.
        let t = try a.transposed(0, 1)
        #expect(t.isDense && !t.isContiguous)
        #expect(try t.withUnsafeBufferPointer { Array($0) } == [0, 1, 2, 3, 4, 5])
        #expect(try t.withUnsafeBufferPointer { $0.baseAddress } == a.withUnsafeBufferPointer { $0.baseAddress })
        // A dense slice starts at its offset.
        let row = try a.sliced(axis: 0, range: 1..<2)
        #expect(try row.withUnsafeBufferPointer { Array($0) } == [3, 4, 5])
        // Gaps and steps are refused, not densified silently.
        for gapped in [try a.sliced(axis: 1, range: 0..<2), try a.sliced(axis: 1, range: 0..<3, step: 2)] {
            #expect(!gapped.isDense)
            let error = #expect(throws: ShiftOpsError.self) { try gapped.withUnsafeBufferPointer { _ in Issue.record("ran") } }
            #expect(error?.code == .invalidArgument && error?.argument == "self")
        }
    }

    @Test func mutableBufferAccessCopiesSharedStorageFirst() throws {
        let a = try Tensor<Float>(shape: [2, 2], elements: [1, 2, 3, 4])
        var b = a
        try b.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(a.elements == [1, 2, 3, 4] && b.elements == [10, 2, 3, 4] && !b.sharesStorage(with: a))
        // Unique storage is written in place.
        let before = try b.withUnsafeBufferPointer { $0.baseAddress }
        try b.withUnsafeMutableBufferPointer { $0[3] = 40 }
        #expect(try b.withUnsafeBufferPointer { $0.baseAddress } == before && b.elements == [10, 2, 3, 40])
        // A non-dense tensor is refused before anything is copied.
        var gapped = try a.sliced(axis: 1, range: 0..<1)
        #expect(throws: ShiftOpsError.self) { try gapped.withUnsafeMutableBufferPointer { _ in Issue.record("ran") } }
        #expect(gapped.sharesStorage(with: a))
    }

    @Test func borrowedInputIsReadInPlaceAndNeverWritten() throws {
        let x = try Tensor<Float>.random(shape: [2, 3, 5, 4], seed: 3)
        let s = try Tensor<Float>.random(shape: [3, 2], in: -1.5...1.5, seed: 4)
        var memory = x.elements
        let expected = try shift2d(x, shifts: s)
        let (y, pointers) = try memory.withUnsafeBufferPointer { buffer in
            try Tensor.withBorrowed(buffer, shape: x.shape) { t -> (Tensor<Float>, Bool) in
                let inPlace = try t.withUnsafeBufferPointer { $0.baseAddress } == buffer.baseAddress
                // A write goes to a copy: memory lent read-only is never written.
                var copy = t
                copy[0, 0, 0, 0] = 1000
                return (try shift2d(t, shifts: s), inPlace && copy.elements[0] == 1000)
            }
        }
        #expect(pointers && y.elements == expected.elements && memory == x.elements)
        // Strides of either sign: the buffer read backwards along W, from the last element of each row.
        let flipped = try memory.withUnsafeBufferPointer { buffer in
            try Tensor.withBorrowed(buffer, shape: [2, 3, 5, 4], strides: [60, 20, 4, -1], offset: 3) { $0.elements }
        }
        #expect(flipped == walked(try Tensor<Float>.random(shape: [2, 3, 5, 4], seed: 3)).chunked(4).flatMap { $0.reversed() })
        // Even when nothing else holds it, storage lent read-only is copied before a write.
        memory.withUnsafeMutableBufferPointer { buffer in
            var alone = Tensor<Float>(storage: TensorStorage(borrowing: buffer.baseAddress!, count: 4, writable: false),
                                      shape: [4], strides: [1], offset: 0)
            alone[0] = -1
            #expect(alone[0] == -1 && buffer[0] == x.elements[0])
        }
        #expect(memory == x.elements)
    }

    @Test func borrowedShapesOutsideTheBufferAreErrors() throws {
        let memory = [Float](repeating: 1, count: 12)
        try memory.withUnsafeBufferPointer { buffer throws in
            let cases: [([Int], [Int]?, Int, String)] = [
                ([2, 7], nil, 0, "buffer"), ([3, 4], nil, 1, "buffer"), ([3, 4], [4, -1], 0, "buffer"),
                ([3, 4], [4], 0, "strides"), ([2, -1], nil, 0, "shape"), ([3, 3], [Int.max / 2, 1], 0, "strides"),
            ]
            for (shape, strides, offset, argument) in cases {
                let error = #expect(throws: ShiftOpsError.self, "\(shape) \(String(describing: strides))") {
                    try Tensor.withBorrowed(buffer, shape: shape, strides: strides, offset: offset) { _ in Issue.record("ran") }
                }
                #expect(error?.argument == argument, "\(shape) \(String(describing: strides))")
            }
            // Empty tensors read nothing, wherever they are placed.
            let emptyCount = try Tensor.withBorrowed(buffer, shape: [0, 5], offset: 100) { $0.count }
            #expect(emptyCount == 0)
        }
    }

    /// SPEC's I1 path: the op writes its result straight into the caller's output buffer.
    @Test func opIntoBorrowedOutputWritesTheCallersMemoryWithNoCopy() throws {
        let x = try Tensor<Float>.random(shape: [2, 4, 6, 5], seed: 11)
        let s = try Tensor<Float>.random(shape: [4, 2], in: -1.5...1.5, seed: 12)
        let expected = try shift2d(x, shifts: s)
        let input = x.elements
        var output = [Float](repeating: .nan, count: x.count)
        let sameMemory = try input.withUnsafeBufferPointer { inputBuffer in
            try output.withUnsafeMutableBufferPointer { outputBuffer in
                try Tensor.withBorrowed(inputBuffer, shape: x.shape) { xt in
                    try Tensor.withBorrowed(mutating: outputBuffer, shape: x.shape) { yt in
                        try shift2d(xt, shifts: s, into: &yt)
                        let written = try yt.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
                        return written == UnsafeRawPointer(outputBuffer.baseAddress!)
                    }
                }
            }
        }
        #expect(sameMemory)
        #expect(output == expected.elements)
        // Channels-last memory of the caller's: the output keeps the caller's layout.
        let nhwc = try x.channelsLast()
        let nhwcInput = try nhwc.withUnsafeBufferPointer { Array($0) }
        var nhwcOutput = [Float](repeating: .nan, count: x.count)
        let strides = nhwc.strides
        try nhwcInput.withUnsafeBufferPointer { inputBuffer in
            try nhwcOutput.withUnsafeMutableBufferPointer { outputBuffer in
                try Tensor.withBorrowed(inputBuffer, shape: x.shape, strides: strides) { xt in
                    try Tensor.withBorrowed(mutating: outputBuffer, shape: x.shape, strides: strides) { yt in
                        try shift2d(xt, shifts: s, into: &yt)
                    }
                }
            }
        }
        #expect(nhwcOutput == (try expected.channelsLast().withUnsafeBufferPointer { Array($0) }))
    }

    @Test func borrowedOutputOverlappingTheInputIsRefused() throws {
        let s = try Tensor<Float>(shape: [2, 1], elements: [1, -1])
        var memory = (0..<16).map(Float.init)
        let error = try memory.withUnsafeMutableBufferPointer { buffer in
            try Tensor.withBorrowed(UnsafeBufferPointer(buffer), shape: [1, 2, 8]) { x in
                try Tensor.withBorrowed(mutating: UnsafeMutableBufferPointer(rebasing: buffer[4...]), shape: [1, 2, 6]) { y in
                    #expect(throws: ShiftOpsError.self) {
                        try shift1d(x.sliced(axis: 2, range: 0..<6), shifts: s, into: &y)
                    }
                }
            }
        }
        #expect(error?.code == .aliasedOutput)
        #expect(memory == (0..<16).map(Float.init))
    }

    @Test func aBorrowedTensorUsedAfterItsScopeTraps() async {
        await #expect(processExitsWith: .failure) {
            let memory: [Float] = [1, 2, 3]
            let escaped = try memory.withUnsafeBufferPointer { buffer in
                try Tensor.withBorrowed(buffer, shape: [3]) { $0 }
            }
            _ = escaped.elements
        }
        await #expect(processExitsWith: .failure) {
            var memory: [Float] = [1, 2, 3]
            var kept: Tensor<Float>?
            try memory.withUnsafeMutableBufferPointer { buffer in
                try Tensor.withBorrowed(mutating: buffer, shape: [3]) { kept = try $0.sliced(axis: 0, range: 1..<3) }
            }
            _ = kept![0]
        }
    }

    @Test func aBorrowedTensorThatDoesNotEscapeIsNotRevoked() throws {
        let memory: [Float] = [1, 2, 3]
        // A dense copy made inside the scope is the caller's to keep.
        let kept = try memory.withUnsafeBufferPointer { buffer in
            try Tensor.withBorrowed(buffer, shape: [3]) { try $0.dense() }
        }
        #expect(kept.elements == [1, 2, 3])
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

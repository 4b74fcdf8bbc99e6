import Testing
@testable import ShiftOps

/// Writing an op's result into part of a larger tensor.
@Suite struct TensorRegionTests {
    let clip: Tensor<Float>
    let shifts: Tensor<Float>

    init() throws {
        clip = try Tensor<Float>.random(shape: [1, 3, 4, 5], seed: 21)
        shifts = try Tensor<Float>.random(shape: [3, 2], in: -1.5...1.5, seed: 22)
    }

    @Test func intoAPlainViewFillsTheViewsOwnCopy() throws {
        let batch = try Tensor<Float>(shape: [2, 3, 4, 5])
        var view = try batch.sliced(axis: 0, range: 1..<2)
        try shift2d(clip, shifts: shifts, into: &view)
        #expect(view.elements == (try shift2d(clip, shifts: shifts)).elements)
        #expect(batch.elements.allSatisfy { $0 == 0 } && !view.sharesStorage(with: batch))
    }

    @Test func opIntoARegionReachesTheParentInPlace() throws {
        var batch = try Tensor<Float>(shape: [2, 3, 4, 5], repeating: -7)
        let before = try batch.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        let written = try batch.withMutableRegion([1..<2, 0..<3, 0..<4, 0..<5]) { region in
            try shift2d(clip, shifts: shifts, into: &region)
            return try region.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        }
        // The op wrote the parent's memory itself (the second image starts 60 floats in).
        #expect(written == before + 60 * MemoryLayout<Float>.stride)
        let expected = try shift2d(clip, shifts: shifts)
        #expect(try batch.sliced(axis: 0, range: 1..<2).elements == expected.elements)
        #expect(try batch.sliced(axis: 0, range: 0..<1).elements.allSatisfy { $0 == -7 })
        #expect(try batch.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } == before)
    }

    @Test func aSharedParentIsCopiedBeforeTheRegionIsWritten() throws {
        var batch = try Tensor<Float>(shape: [2, 3, 4, 5])
        let snapshot = batch
        try batch.withMutableRegion([0..<1, 0..<3, 0..<4, 0..<5]) { try shift2d(clip, shifts: shifts, into: &$0) }
        #expect(snapshot.elements.allSatisfy { $0 == 0 } && !batch.sharesStorage(with: snapshot))
        #expect(try batch.sliced(axis: 0, range: 0..<1).elements == (try shift2d(clip, shifts: shifts)).elements)
    }

    @Test func aViewOfAnyShapeWritesThroughAPermutation() throws {
        // A channels-last output written through its NCHW-ordered view, and a reshaped one.
        var nhwc = try Tensor<Float>(shape: [1, 4, 5, 3])
        try nhwc.withMutableView({ try $0.permuted([0, 3, 1, 2]) }) { try shift2d(clip, shifts: shifts, into: &$0) }
        #expect(try nhwc.permuted([0, 3, 1, 2]).elements == (try shift2d(clip, shifts: shifts)).elements)
        var flat = try Tensor<Float>(shape: [60])
        try flat.withMutableView({ try $0.reshaped([1, 3, 4, 5]) }) { try shift2d(clip, shifts: shifts, into: &$0) }
        #expect(flat.elements == (try shift2d(clip, shifts: shifts)).elements)
    }

    @Test func writesToACopyInsideTheClosureAreCopiedBack() throws {
        var batch = try Tensor<Float>(shape: [2, 3, 4, 5])
        let expected = try shift2d(clip, shifts: shifts)
        try batch.withMutableRegion([1..<2, 0..<3, 0..<4, 0..<5]) { region in
            let keep = region            // shares the region's storage: the write below copies
            try shift2d(clip, shifts: shifts, into: &region)
            #expect(keep.elements.allSatisfy { $0 == 0 })
        }
        #expect(try batch.sliced(axis: 0, range: 1..<2).elements == expected.elements)
        try batch.withMutableRegion([0..<1, 0..<3, 0..<4, 0..<5]) { region in region = expected }
        #expect(try batch.sliced(axis: 0, range: 0..<1).elements == expected.elements)
    }

    @Test func badRegionsAreErrorsThatChangeNothing() throws {
        var batch = try Tensor<Float>(shape: [2, 3], repeating: 1)
        for ranges in [[0..<1], [0..<3, 0..<3], [0..<1, -1..<2]] {
            let error = #expect(throws: ShiftOpsError.self) { try batch.withMutableRegion(ranges) { _ in Issue.record("ran") } }
            #expect(error?.argument == "ranges")
        }
        let copy = #expect(throws: ShiftOpsError.self) {
            try batch.withMutableView({ try $0.dense() }) { _ in Issue.record("ran") }
        }
        #expect(copy?.argument == "makeView")
        let replaced = #expect(throws: ShiftOpsError.self) {
            try batch.withMutableRegion([0..<1, 0..<3]) { $0 = try Tensor<Float>(shape: [2, 2]) }
        }
        #expect(replaced?.code == .shapeMismatch && replaced?.argument == "region")
        #expect(batch.elements == [1, 1, 1, 1, 1, 1])
    }

    @Test func anEscapedRegionTrapsWhenUsed() async {
        await #expect(processExitsWith: .failure) {
            var batch = try Tensor<Float>(shape: [2, 3])
            var kept: Tensor<Float>?
            try batch.withMutableRegion([0..<1, 0..<3]) { kept = $0 }
            _ = kept!.elements
        }
    }

    /// An escaped borrowed tensor is not a way around the trap: taking a region of it must not
    /// lend the lender's (possibly freed) memory again.
    @Test func aRegionOfAnEscapedBorrowedTensorTraps() async {
        await #expect(processExitsWith: .failure) {
            var escaped: Tensor<Float>?
            var owned = [Float](repeating: 0, count: 8)
            try owned.withUnsafeMutableBufferPointer { buffer in
                try Tensor.withBorrowed(mutating: buffer, shape: [8]) { escaped = $0 }
            }
            try? escaped!.withMutableRegion([0..<4]) { region in region[0] = 1 }
        }
    }

    /// A closure that replaces the region's tensor more than once still writes the last one back.
    @Test func aRegionReplacedTwiceIsWrittenBack() throws {
        var batch = try Tensor<Float>(shape: [2, 3])
        let ones = try Tensor<Float>(shape: [1, 3], repeating: 1)
        try batch.withMutableRegion([1..<2, 0..<3]) { region in
            region = try Tensor<Float>(shape: [1, 3], repeating: 5)
            region = ones
        }
        #expect(batch.elements == [0, 0, 0, 1, 1, 1])
    }
}

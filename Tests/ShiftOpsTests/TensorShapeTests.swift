import Foundation
import Testing
@testable import ShiftOps

/// Shape arithmetic: overflow past a zero axis, overflow-safe strides, and `reshaped`.
@Suite struct TensorShapeTests {
    static let hugeEmptyShapes: [[Int]] = [[0, 1, 1 << 40, 1 << 40], [0, 1, 1 << 21, 1 << 21, 1 << 21], [1 << 40, 0, 1 << 40]]

    @Test(arguments: hugeEmptyShapes)
    func zeroAxisDoesNotExcuseOverflowingExtents(shape: [Int]) throws {
        let error = #expect(throws: ShiftOpsError.self) { try Tensor<Float>(shape: shape) }
        #expect(error?.code == .sizeOverflow && error?.argument == "shape")
        #expect(throws: ShiftOpsError.self) { try Tensor<Float>.elementCount(of: shape, argument: "shape") }
        #expect(throws: ShiftOpsError.self) { try Tensor<Float>(unsafeUninitializedShape: shape) { _ in } }
        #expect(throws: ShiftOpsError.self) { try Tensor<Float>(shape: shape, elements: []) }
    }

    @Test func emptyShapesThatFitStillWork() throws {
        for shape in [[0, 1, 1, 5], [3, 0], [0], [1 << 30, 0, 1 << 30]] {
            let t = try Tensor<Float>(shape: shape)
            #expect(t.count == 0 && t.elements.isEmpty && t.isDense, "\(shape)")
        }
        let x = try Tensor<Float>(shape: [0, 1, 1, 5])
        let y = try shift2d(x, shifts: try Tensor<Float>(shape: [1, 2]))
        #expect(y.shape == [0, 1, 1, 5])
        // The byte count of the non-zero extents is checked too.
        #expect(throws: ShiftOpsError.self) { try Tensor<Double>(shape: [0, 1 << 61]) }
    }

    /// The reader takes its shape from a 128-byte header: the zero axis must not hide the overflow.
    @Test(arguments: hugeEmptyShapes.prefix(2))
    func npyFileWithHugeEmptyShapeIsAnError(shape: [Int]) throws {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))), }"
        let padded = dict + String(repeating: " ", count: 128 - 10 - dict.utf8.count - 1) + "\n"
        let n = padded.utf8.count
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(padded.utf8)
        #expect(bytes.count == 128)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shiftops-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ShiftOpsError.self) { try Tensor<Float>(npyFile: path) }
        // A file error names the file; the reader may report it as a bad file or as the overflow.
        #expect(error?.argument == path && [.invalidFile, .sizeOverflow].contains(error?.code))
        #expect(error?.message.contains("overflow") == true, "\(String(describing: error))")
    }

    @Test func strideArithmeticNeverTraps() throws {
        // Strides no dense tensor has, placed by a caller on an empty borrowed tensor (nothing is
        // read, so nothing checks them): the layout queries must not overflow.
        let memory = [Float](repeating: 0, count: 1)
        let results = try memory.withUnsafeBufferPointer { buffer in
            try Tensor.withBorrowed(buffer, shape: [0, 3, 2], strides: [Int.min, Int.max, -Int.max]) { t in
                (t.dimensionOrder, t.hasDisjointElements, t.isDense, t.isContiguous)
            }
        }
        #expect(results.0 == [0, 1, 2] && results.1 && results.2 && !results.3)
        // hasDisjointElements on spans whose reach overflows: overlap is the safe answer.
        let t = Tensor<Float>(storage: try TensorStorage(count: 1, repeating: 0), shape: [3, 5, 2],
                              strides: [Int.min + 1, 1 << 62, 1], offset: 0)
        #expect(t.dimensionOrder == [0, 1, 2] && !t.hasDisjointElements && !t.isDense)
        #expect(Tensor<Float>.denseStrides(shape: [0, 1 << 20, 1 << 20], order: [2, 1, 0]) == [1, 1, 1 << 20])
    }

    @Test func reshapeOfAContiguousTensorIsAView() throws {
        let a = try Tensor<Double>(shape: [2, 3, 4], elements: (0..<24).map(Double.init))
        for shape in [[24], [4, 6], [2, 1, 12], [1, 2, 3, 4, 1], [6, -1], [-1]] {
            let r = try a.reshaped(shape)
            #expect(r.sharesStorage(with: a) && r.elements == a.elements && r.isContiguous, "\(shape)")
        }
        #expect(try a.reshaped([6, -1]).shape == [6, 4])
        let mismatch = #expect(throws: ShiftOpsError.self) { try a.reshaped([5, 5]) }
        #expect(mismatch?.code == .shapeMismatch && mismatch?.argument == "shape")
        for bad in [[-1, -1], [5, -1], [-2, 12], [0, -1]] {
            let error = #expect(throws: ShiftOpsError.self, "\(bad)") { try a.reshaped(bad) }
            #expect(error?.argument == "shape")
        }
        let empty = try Tensor<Float>(shape: [0, 4])
        #expect(try empty.reshaped([2, 0, 3]).shape == [2, 0, 3])
    }

    @Test func reshapeSplitsAnyAxisAndMergesOnlyAdjacentOnes() throws {
        let x = try Tensor<Float>.random(shape: [6, 4, 3, 5], seed: 5)
        // [N * T, C, H, W] as [N, T, C, H, W], channels-last: a split, always a view.
        let nhwc = try x.channelsLast()
        let split = try nhwc.reshaped([2, 3, 4, 3, 5])
        #expect(split.sharesStorage(with: nhwc) && split.elements == x.elements)
        #expect(split.dimensionOrder == [0, 1, 3, 4, 2])
        // H and W stay adjacent in channels-last memory: merging them is a view.
        let merged = try nhwc.reshaped([6, 4, 15])
        #expect(merged.sharesStorage(with: nhwc) && merged.elements == x.elements && merged.strides == [60, 1, 4])
        // C and H are not adjacent in channels-last memory.
        let error = #expect(throws: ShiftOpsError.self) { try nhwc.reshaped([6, 12, 5]) }
        #expect(error?.code == .invalidArgument && error?.argument == "shape")
        // A permuted tensor splits and merges along the groups its memory keeps together.
        let p = try x.permuted([0, 2, 3, 1])
        #expect(try p.reshaped([6, 15, 4]).elements == p.elements)
        #expect(throws: ShiftOpsError.self) { try p.reshaped([6, 3, 20]) }
        // A slice with a gap splits, and merges only inside the contiguous part.
        let s = try x.sliced(axis: 3, range: 0..<4)
        #expect(try s.reshaped([3, 2, 4, 3, 2, 2]).elements == s.elements)
        #expect(throws: ShiftOpsError.self) { try s.reshaped([6, 4, 12]) }
        // Stepped slices split too.
        let stepped = try x.sliced(axis: 0, range: 0..<6, step: 2)
        #expect(try stepped.reshaped([3, 2, 2, 15]).elements == stepped.elements)
        // Length-1 axes placed anywhere.
        #expect(try nhwc.reshaped([1, 6, 1, 4, 15, 1]).elements == x.elements)
    }
}

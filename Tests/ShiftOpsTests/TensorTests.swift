import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

@Suite struct TensorTests {
    @Test func valueSemantics() throws {
        let a = try Tensor<Double>(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6])
        var b = a
        let view = try a.transposed(0, 1)
        b[1, 2] = 60
        #expect(a[1, 2] == 6 && b[1, 2] == 60 && view[2, 1] == 6)
        #expect(!b.sharesStorage(with: a) && view.sharesStorage(with: a))
    }

    @Test func views() throws {
        let a = try Tensor<Double>(shape: [2, 3, 4], elements: (0..<24).map(Double.init))
        let p = try a.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3] && p[3, 1, 2] == a[1, 2, 3])
        let s = try a.sliced(axis: 2, range: 1..<4, step: 2)
        #expect(s.shape == [2, 3, 2] && s.elements == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23])
        let c = try a.channelsLast()
        #expect(c.elements == a.elements && c.strides == [12, 1, 3] && c.dimensionOrder == [0, 2, 1])
        #expect(!p.isContiguous && p.contiguous().isContiguous && p.contiguous().elements == p.elements)
        #expect(throws: ShiftOpsError.self) { try a.permuted([0, 0, 1]) }
        #expect(throws: ShiftOpsError.self) { try a.sliced(axis: 1, range: 2..<5) }
    }

    @Test func approximateComparison() throws {
        let a = try Tensor<Float>(shape: [3], elements: [1, 2, .nan])
        let b = try Tensor<Float>(shape: [3], elements: [1, 2.000001, .nan])
        #expect(a.isApproximatelyEqual(to: b, tolerance: 1e-5))
        #expect(!a.isApproximatelyEqual(to: b, tolerance: 1e-8))
        #expect(!a.isApproximatelyEqual(to: try Tensor<Float>(shape: [1, 3], elements: [1, 2, .nan]), tolerance: 1))
    }

    @Test func randomIsReproducible() throws {
        let a = try Tensor<Float>.random(shape: [4, 5], in: -2...3, seed: 42)
        #expect(a.elements == (try Tensor<Float>.random(shape: [4, 5], in: -2...3, seed: 42)).elements)
        #expect(a.elements != (try Tensor<Float>.random(shape: [4, 5], in: -2...3, seed: 43)).elements)
        #expect(a.elements.allSatisfy { (-2...3).contains($0) })
    }

    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-tensor")

    func temporaryPath(_ name: String) -> String { temporary.file("\(UUID().uuidString)-\(name)") }

    @Test func npyRoundTripsEveryElementType() throws {
        func roundTrip<E: TensorElement>(_ t: Tensor<E>) throws {
            let path = temporaryPath("t.npy")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try t.save(npyFile: path)
            let back = try Tensor<E>(npyFile: path)
            #expect(back.shape == t.shape && back.elements == t.elements)
            #expect(try NumPyFile.header(atPath: path).typeCode == E.numpyTypeCode)
        }
        let x = try Tensor<Double>.random(shape: [2, 3, 4], seed: 1)
        try roundTrip(x)
        try roundTrip(try x.permuted([2, 0, 1]))
        try roundTrip(try Tensor<Float>.random(shape: [5], seed: 2))
        try roundTrip(try Tensor<Int8>(shape: [2, 2], elements: [-128, 0, 1, 127]))
        try roundTrip(try Tensor<UInt8>(shape: [3], elements: [0, 128, 255]))
        try roundTrip(try Tensor<Int32>(shape: [1, 2], elements: [.min, .max]))
        try roundTrip(try Tensor<Float>(shape: [0, 3]))
        try roundTrip(try Tensor<Float>(shape: [], elements: [3]))
    }

    /// Writes a file by hand, as NumPy would, to check the reader against the format rather than
    /// against our own writer.
    func handWritten(version: UInt8, header: String, data: [UInt8]) throws -> String {
        let prefix = version == 1 ? 10 : 12
        var dict = header
        dict += String(repeating: " ", count: (64 - (prefix + dict.utf8.count + 1) % 64) % 64) + "\n"
        let n = dict.utf8.count
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        bytes += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0]
        bytes += Array(dict.utf8) + data
        let path = temporaryPath("hand.npy")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func npyReadsVersion2AndFortranOrder() throws {
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        let data = values.withUnsafeBytes { Array($0) }
        let path = try handWritten(version: 2, header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: data)
        let t = try Tensor<Float>(npyFile: path)
        // Fortran order: the first axis varies fastest.
        #expect(t.shape == [2, 3] && t.elements == [1, 3, 5, 2, 4, 6])
    }

    @Test func malformedNpyFilesAreErrors() throws {
        let cases: [(String, [UInt8], String)] = [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [0, 0, 0, 0], "expected 24 data bytes"),
            ("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0], "big-endian"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", Array(repeating: 0, count: 8), "expected 'f4'"),
            ("{'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0], "lacks descr"),
        ]
        for (header, data, message) in cases {
            let path = try handWritten(version: 1, header: header, data: data)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try Tensor<Float>(npyFile: path)
                Issue.record("expected an error for \(header)")
            } catch let error as ShiftOpsError {
                #expect(error.code == .invalidFile && error.argument == path)
                #expect(error.message.contains(message), "\(error)")
            }
        }
        let garbage = temporaryPath("garbage.npy")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: ShiftOpsError.self) { try Tensor<Float>(npyFile: garbage) }
        #expect(throws: ShiftOpsError.self) { try Tensor<Float>(npyFile: temporaryPath("missing.npy")) }
    }
}

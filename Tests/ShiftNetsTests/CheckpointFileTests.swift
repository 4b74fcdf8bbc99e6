import Foundation
import Testing
import ShiftOps
@testable import ShiftNets

/// Loading a checkpoint goes through the bounded `.npy` reader: a parameter file replaced by a
/// link to `/dev/zero`, a FIFO or a sparse 64 GiB file is refused at once, and the model keeps
/// its values.
@Suite struct CheckpointFileTests {
    @Test func specialAndHugeParameterFilesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shiftops-ckpt-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = try Linear<Float>(inFeatures: 3, outFeatures: 2, seed: 1)
        try model.save(to: folder)
        let weight = (folder as NSString).appendingPathComponent("weight.npy")
        #expect(FileManager.default.fileExists(atPath: weight))
        let before = model.namedParameters().map { $0.parameter.value.elements }
        let replacements: [(String, () throws -> Void)] = [
            ("/dev/zero", { try FileManager.default.createSymbolicLink(atPath: weight, withDestinationPath: "/dev/zero") }),
            ("a FIFO", { #expect(mkfifo(weight, 0o600) == 0) }),
            ("a sparse 64 GiB file", {
                try Tensor<Float>(shape: [2, 3]).save(npyFile: weight)
                #expect(truncate(weight, 64 << 30) == 0)
            }),
        ]
        for (name, replace) in replacements {
            try? FileManager.default.removeItem(atPath: weight)
            try replace()
            let start = Date()
            #expect(throws: ShiftOpsError.self, "\(name)") { try model.load(from: folder) }
            #expect(Date().timeIntervalSince(start) < 5, "\(name): \(Date().timeIntervalSince(start)) s")
            #expect(model.namedParameters().map { $0.parameter.value.elements } == before, "\(name) changed the model")
        }
    }
}

import Foundation
import Testing
@testable import ShiftOpsTool

/// The GPU figures' arithmetic and goals on made-up times (they need no GPU): G1 and G2 held to
/// 0.85 from 4 MiB up and reported without a goal on the launch-bound shape, G3 and G4 held on
/// every shape, and PyTorch's times read as minima.
@Suite struct GPUFiguresTests {
    /// `Benchmarks/pytorch_gpu.py`'s format; each median far above its minimum.
    func pytorchFile(_ shape: [Int], nchw: Double, channelsLast: Double) throws -> String {
        let label = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        let items = [("depthwise 3x3 NCHW forward+backward", nchw), ("depthwise 3x3 channels-last forward+backward", channelsLast)]
            .map { "{\"shape\": \(label), \"case\": \"\($0.0)\", \"median_ms\": \(10 * $0.1), \"min_ms\": \($0.1)}" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gpu-\(UUID().uuidString).json").path
        try Data("{\"cases\": [\(items.joined(separator: ", "))]}".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func figuresAndGoals() throws {
        let large = [32, 64, 56, 56], small = [8, 512, 7, 7]
        let path = try pytorchFile(large, nchw: 12, channelsLast: 9)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pytorch = try PyTorchGPUFigures(path: path)
        for (shape, held) in [(large, true), (small, false)] {
            let bytes = shape.reduce(1, *) * 4
            let figures = GPUFigures.make(shape: shape, bytes: bytes, copy: 1, forward: 1.25, backward: 1.5,
                                          convForward: 4, convBackward: 5.5, pytorch: pytorch)
            let byId = Dictionary(uniqueKeysWithValues: figures.map { ($0.id, $0) })
            // The forward moves the copy's bytes in 1.25 times its time; the backward 1.5 times them in 1.5.
            #expect(abs((byId["G1"]?.value ?? 0) - 0.8) < 1e-12 && abs((byId["G2"]?.value ?? 0) - 1.0) < 1e-12)
            #expect(abs((byId["G3"]?.value ?? 0) - 9.5 / 2.75) < 1e-12)
            #expect(byId["G1"]?.goal == (held ? 0.85 : nil) && byId["G2"]?.goal == (held ? 0.85 : nil), "\(shape)")
            #expect(byId["G1"]?.met == (held ? false : nil) && byId["G2"]?.met == (held ? true : nil), "\(shape)")
            #expect(byId["G3"]?.goal == 3 && byId["G3"]?.met == true)
            // PyTorch's faster layout, its minimum: 9 ms over 2.75 (only the large shape is in the file).
            if held {
                #expect(byId["G4"]?.goal == 1.25 && abs((byId["G4"]?.value ?? 0) - 9 / 2.75) < 1e-12)
            } else {
                #expect(byId["G4"] == nil)
            }
        }
    }
}

import Foundation
import Testing
import ShiftOps
@testable import ShiftOpsTool

/// The network and pointwise benchmarks' side-by-side arithmetic on made-up times (the timing
/// itself is not tested: it is the shared machine's).
@Suite struct NetworkBenchTests {
    func row(_ shape: [Int], _ name: String, ms: Double) -> BenchCommand.Row {
        BenchCommand.Row(shape: shape, name: name, median: 2 * ms / 1e3, minimum: ms / 1e3, bytes: 0)
    }

    @Test func networkFiguresComeFromTheFastestTwinAndOurFastestGroupedNetwork() throws {
        let architectures = try NetworkBench.networks()
        let names = architectures.map(\.name)
        #expect(names == ["shiftresnet20-e3-grouped", "shiftresnet20-e3-grouped-fused", "shiftresnet20-e3-active-fused",
                          "depthwiseresnet20-e3", "resnet20"])
        let pytorch = PyTorchFigures(path: "made-up.json", version: "0", rows: [
            row([32, 3, 32, 32], "pytorch depthwiseresnet20-e3 NCHW training step", ms: 150),
            row([32, 3, 32, 32], "pytorch depthwiseresnet20-e3 channels-last training step", ms: 100),
            row([32, 3, 32, 32], "pytorch depthwiseresnet20-e3 NCHW eval forward", ms: 30),
            row([1, 3, 32, 32], "pytorch depthwiseresnet20-e3 NCHW eval forward", ms: 3),
            row([32, 3, 32, 32], "pytorch shiftresnet20-e3-grouped NCHW training step", ms: 300),
        ])
        #expect(NetworkBench.pytorchNetworks(pytorch) == ["depthwiseresnet20-e3 NCHW", "depthwiseresnet20-e3 channels-last",
                                                          "shiftresnet20-e3-grouped NCHW"])
        #expect(NetworkBench.pytorchTime(pytorch, "depthwiseresnet20-e3 NCHW", .evalOne) == 0.003)
        let ours: [String: [NetworkBench.Case: Double]] = [
            "shiftresnet20-e3-grouped": [.training: 0.080, .evalBatch: 0.020, .evalOne: 0.004],
            "shiftresnet20-e3-grouped-fused": [.training: 0.050, .evalBatch: 0.025],
            "depthwiseresnet20-e3": [.training: 0.100],
        ]
        let figures = NetworkBench.figures(ours: { ours[$0]?[$1] }, architectures: architectures, pytorch: pytorch)
        #expect(figures.map(\.id) == ["N1", "N2", "N2", "N4"])
        // N1: the channels-last twin (100 ms) over our fused step (50 ms).
        #expect(abs(figures[0].value! - 2.0) < 1e-12)
        // N2: 30 ms over our unfused 20 ms; 3 ms over 4 ms.
        #expect(abs(figures[1].value! - 1.5) < 1e-12)
        #expect(abs(figures[2].value! - 0.75) < 1e-12 && figures[2].met == false)
        // N4: 50 ms over the twin's 100 ms.
        #expect(abs(figures[3].value! - 0.5) < 1e-12 && figures[3].met == true)
        let without = NetworkBench.figures(ours: { ours[$0]?[$1] }, architectures: architectures, pytorch: nil)
        #expect(without[0].value == nil && without[0].note.contains("network_torch.py"))
        #expect(without[3].value != nil, "N4 needs no PyTorch")
    }

    @Test func pointwiseN3IsTheGeometricMeanOverTheCIFARLayers() throws {
        let timings = [
            PointwiseBench.Timing(shape: [32, 16, 32, 32, 48], forward: 0.001, both: 0.004),
            PointwiseBench.Timing(shape: [32, 64, 8, 8, 192], forward: 0.004, both: 0.004),
            PointwiseBench.Timing(shape: [32, 64, 56, 56, 64], forward: 1, both: 1),
        ]
        var rows: [BenchCommand.Row] = []
        for t in timings {
            rows.append(row(t.shape, PointwiseBench.pytorchForward, ms: 2))
            rows.append(row(t.shape, PointwiseBench.pytorchBoth, ms: 2))
        }
        let lines = PointwiseBench.sideBySide(timings, PyTorchFigures(path: "p.json", version: "0", rows: rows))
        // Forward ratios 2 and 0.5 (mean 1), fwd+bwd 0.5 and 0.5; the 56x56 layer is not CIFAR-sized.
        let n3 = lines.filter { $0.contains("N3") }
        #expect(n3.count == 2)
        #expect(n3[0].contains(" 1.00 ") && n3[0].contains("met"), "\(n3[0])")
        #expect(n3[1].contains(" 0.50 ") && n3[1].contains("MISSED"), "\(n3[1])")
        // A file without one of the CIFAR layers gives no N3.
        let partial = PointwiseBench.sideBySide(timings, PyTorchFigures(path: "p.json", version: "0", rows: Array(rows.dropFirst(2))))
        #expect(partial.filter { $0.contains("N3") }.allSatisfy { $0.contains("not measured") })
    }

    @Test func theCommandsNameTheirBackendAndRefuseABadFile() throws {
        var lines: [String] = [], errors: [String] = []
        let status = ShiftOpsCommand.main(["bench-network", "--pytorch", "/nonexistent.json"], output: { lines.append($0) },
                                          errors: { errors.append($0) })
        #expect(status == 2 && errors.first?.contains("/nonexistent.json") == true)
        #expect(ShiftOpsCommand.main(["bench-network", "--help"], output: { lines.append($0) }, errors: { _ in }) == 0)
        #expect(lines.joined().contains("SHIFTOPS_BLAS"))
    }
}

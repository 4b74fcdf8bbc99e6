import Testing
import ShiftOps
@testable import ShiftNets

@Suite struct CSGTests {
    /// Small slices that do not divide the channel counts, so cropped edge slices are checked too.
    static var small: CSGOptions {
        var o = CSGOptions()
        (o.code1x1, o.slice1x1) = (3, (out: 3, in: 2))
        (o.code3x3, o.slice3x3) = (4, (out: 2, in: 3))
        return o
    }

    @Test(.tags(.slow), .skippedInFastLane) func gradientsReachCodesAndSharedGenerators() throws {
        for block in [BlockKind.convShiftConv(expansion: 1.5, middle: .shift(.active)), .basic(reduction: 1)] {
            let arch = try Architecture(name: "t", inputChannels: 2, classes: 3, stemChannels: 4, widths: [4, 5],
                                        blocksPerStage: [1, 1], block: block).withCSG(Self.small)
            let net = try offLattice(arch.build(seed: 2, as: Double.self))
            let paths = net.namedParameters().map(\.path)
            #expect(paths.contains("stage1.block0.conv1.codes"))
            #expect(!paths.contains("stage1.block0.conv1.weight"))
            #expect(paths.contains("conv1.weight"))  // the stem is not converted
            try checkGradients(net, inputShape: [3, 2, 5, 5], tolerance: 1e-5)
        }
    }

    @Test func slicesTileTheWeightAsBlocks() throws {
        let gen = try SliceGenerator<Double>(codeSize: 2, sliceOut: 2, sliceIn: 3, kernelSize: 1, seed: 1)
        let conv = try CSGConv2d(try Conv2d<Double>(inChannels: 4, outChannels: 3, kernelSize: 1, seed: 1), generator: gen, seed: 2)
        // ceil(3 / 2) x ceil(4 / 3) = 2 x 2 slices.
        #expect(conv.codes.value.shape == [4, 2])
        let w = try conv.generatedWeight(), g = gen.weight.value.elements, codes = conv.codes.value.elements
        for o in 0..<3 {
            for c in 0..<4 {
                let slice = (o / 2) * 2 + c / 3, row = (o % 2) * 3 + c % 3
                let expected = g[row * 2] * codes[slice * 2] + g[row * 2 + 1] * codes[slice * 2 + 1]
                #expect(abs(w[o, c, 0, 0] - expected) < 1e-15)
            }
        }
    }

    @Test func shiftResNetWithCSGHasOneGeneratorAndCodesPerConvolution() throws {
        let plain = try NetworkCount(try .shiftResNet(depth: 20, expansion: 3))
        let csg = try NetworkCount(try Architecture.shiftResNet(depth: 20, expansion: 3).withCSG())
        var expected = plain.parameters + 16 * 16 * 16
        for row in plain.layers where row.kind.hasPrefix("conv1x1") {
            let (o, i) = (row.outputShape[0], row.parameters / row.outputShape[0])
            expected += ((o + 15) / 16) * ((i + 15) / 16) * 16 - o * i
        }
        #expect(csg.parameters == expected)
        #expect(csg.layers.filter { $0.kind.hasPrefix("csg 16x16") }.count == 1)
        #expect(!csg.layers.contains { $0.kind.hasPrefix("csg 12x12") })
        #expect(csg.macs == plain.macs)
        #expect(csg.parameters < plain.parameters / 2)
    }
}

import Testing
import ShiftOps
@testable import ShiftNets
import ShiftOpsTestSupport

/// The shift fused into the 1x1 convolution against the two layers run one after the other, and
/// its own gradients against finite differences.
@Suite struct FusedShiftConvTests {
    /// A shift module and a 1x1 convolution, and a fused module over copies of the same values.
    func pair(_ mode: ShiftMode, channels: Int, out: Int, stride: Int) throws
        -> (shift: ShiftModule<Double>, conv: Conv2d<Double>, fused: ShiftPointwiseConv<Double>) {
        let shift = try offLattice(ShiftModule<Double>(channels: channels, mode: mode, seed: 3)) as! ShiftModule<Double>
        let conv = try Conv2d<Double>(inChannels: channels, outChannels: out, kernelSize: 1, stride: stride, seed: 4)
        let shift2 = try ShiftModule<Double>(channels: channels, mode: mode, seed: 3)
        if let a = shift.shifts, let b = shift2.shifts { b.value = a.value }
        let conv2 = try Conv2d<Double>(inChannels: channels, outChannels: out, kernelSize: 1, stride: stride, seed: 4)
        return (shift, conv, try ShiftPointwiseConv(shift: shift2, conv: conv2))
    }

    @Test(arguments: [ShiftMode.active, .sparse, .grouped], [1, 2])
    func equalsShiftThenPointwise(mode: ShiftMode, stride: Int) throws {
        let (shift, conv, fused) = try pair(mode, channels: 9, out: 5, stride: stride)
        let x = try Tensor<Double>.random(shape: [3, 9, 7, 6], seed: 5)
        let y = try conv.forward(try shift.forward(x))
        let yFused = try fused.forward(x)
        #expect(yFused.shape == y.shape)
        #expect(Tolerance.relativeError(yFused, y) <= 1e-13, "forward")
        let g = try Tensor<Double>.random(shape: y.shape, seed: 6)
        let gx = try shift.backward(try conv.backward(g))
        let gxFused = try fused.backward(g)
        #expect(Tolerance.relativeError(gxFused, gx) <= 1e-13, "input gradient")
        #expect(Tolerance.relativeError(fused.conv.weight.gradient, conv.weight.gradient) <= 1e-13, "weight gradient")
        if let a = shift.shifts, let b = fused.shift.shifts {
            #expect(Tolerance.relativeError(b.gradient, a.gradient) <= 1e-12, "shift gradient")
            #expect(b.gradient.elements.contains { $0 != 0 })
        }
        // The same paths as the unfused pair.
        #expect(fused.namedParameters().map(\.path) == (mode.learnsShifts ? ["shift2.shifts", "conv2.weight"] : ["conv2.weight"]))
    }

    @Test(arguments: [ShiftMode.active, .sparse])
    func gradientsMatchFiniteDifferences(mode: ShiftMode) throws {
        let (_, _, fused) = try pair(mode, channels: 6, out: 4, stride: 2)
        // Sparse forward is piecewise constant in the shifts: only its input and weight gradients
        // are derivatives of the forward.
        try checkGradients(fused, inputShape: [2, 6, 5, 5], skipping: mode == .sparse ? ["shift2.shifts"] : [])
    }

    @Test func aFusedNetworkEqualsTheUnfusedOne() throws {
        let architecture = try Architecture.shiftResNet(depth: 8, expansion: 2, shift: .active)
        let plain: Module<Double> = try architecture.build(seed: 11)
        let fused: Module<Double> = try architecture.fusingShiftAndPointwise().build(seed: 11)
        #expect(plain.namedParameters().map(\.path) == fused.namedParameters().map(\.path))
        for ((_, a), (_, b)) in zip(plain.namedParameters(), fused.namedParameters()) {
            #expect(a.value.elements == b.value.elements)
        }
        let x = try Tensor<Double>.random(shape: [2, 3, 16, 16], seed: 12)
        let (y, yFused) = (try plain.forward(x), try fused.forward(x))
        #expect(Tolerance.relativeError(yFused, y) <= 1e-11)
        let g = try Tensor<Double>.random(shape: y.shape, seed: 13)
        _ = try plain.backward(g)
        _ = try fused.backward(g)
        for ((path, a), (_, b)) in zip(plain.namedParameters(), fused.namedParameters()) {
            #expect(Tolerance.relativeError(b.gradient, a.gradient) <= 1e-10, "\(path)")
        }
    }

    @Test func refusesWhatItCannotFuse() throws {
        let shift = try ShiftModule<Float>(channels: 4, mode: .active, seed: 1)
        for conv in [try Conv2d<Float>(inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, seed: 1),
                     try Conv2d<Float>(inChannels: 8, outChannels: 4, kernelSize: 1, seed: 1),
                     try Conv2d<Float>(inChannels: 4, outChannels: 4, kernelSize: 1, groups: 2, seed: 1)] {
            #expect(throws: ShiftOpsError.self) { try ShiftPointwiseConv(shift: shift, conv: conv) }
        }
        let fused = try ShiftPointwiseConv(shift: shift, conv: Conv2d<Float>(inChannels: 4, outChannels: 2, kernelSize: 1, seed: 2))
        #expect(throws: ShiftOpsError.self) { try fused.forward(Tensor<Float>(shape: [1, 3, 4, 4])) }
        #expect(throws: ShiftOpsError.self) { try fused.backward(Tensor<Float>(shape: [1, 2, 4, 4])) }
    }
}

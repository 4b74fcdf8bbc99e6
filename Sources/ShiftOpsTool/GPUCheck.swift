#if CUDA
import ShiftCUDA
import ShiftOps
import ShiftOpsTestSupport

/// `shiftops check --device cuda`: the CUDA backend against the reference (and the CPU where
/// there is no reference: the depthwise gradients) for every mode x padding x
/// rank x stride x layout, gradients in Double against finite differences, bitwise determinism
/// and 64-bit indexing. It is the GPU test runner of the bundle built by Scripts/gpu-bundle.sh
/// (a GPU machine may have no Swift toolchain, so no test framework), and the CUDA tests call it.
enum GPUCheck {
    struct Outcome {
        var passed = 0
        var failures = [String]()

        mutating func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
            if condition { passed += 1 } else { failures.append(what()) }
        }
    }

    static func run(progress: (String) -> Void) throws -> Outcome {
        var outcome = Outcome()
        progress("device: \(try CUDABackend.shared())")
        try parity(&outcome, progress: progress)
        try edgeCases(&outcome, progress: progress)
        try depthwise(&outcome)
        try deviceShifts(&outcome)
        try float16(&outcome)
        try finiteDifferences(&outcome)
        try determinism(&outcome)
        try largeIndices(&outcome, progress: progress)
        return outcome
    }

    /// Every case of the shared list on each of its grids, NCHW and channels-last, against the
    /// reference: the forward and the input gradient within 1e-5, the shift gradient within 1e-4,
    /// relative to the reference's largest magnitude.
    static func parity(_ outcome: inout Outcome, progress: (String) -> Void) throws {
        for k in 1...3 {
            let size = [[37], [9, 13], [4, 6, 7]][k - 1]
            let shape = [2, 5] + size
            for base in ShiftCase.all where base.k == k {
                for named in ShiftCase.geometries(rank: k, size: size) {
                    var config = base
                    config.geometry = named.geometry
                    let x = try Tensor<Float>.random(shape: shape, seed: 1)
                    var s = try Tensor<Float>.random(shape: [5, k], in: -3...3, seed: 2)
                    if config.mode == .grouped { s = try Tensor(shape: s.shape, elements: s.elements.map { $0.rounded() }) }
                    let name = "\(config)"
                    let expected = config.reference(x, s)
                    let g = try Tensor<Float>.random(shape: expected.shape, seed: 3)
                    let expectedGradients = config.referenceBackward(g, x, s)
                    for layout in [x, try x.channelsLast()] {
                        let (y, gradients) = try GPURun.apply(layout, s, g, config.mode, config.padding, config.geometry)
                        outcome.expect(Tolerance.relativeError(y, expected) <= 1e-5, "forward \(name) \(layout.dimensionOrder)")
                        outcome.expect(y.dimensionOrder == layout.dimensionOrder, "layout kept \(name)")
                        outcome.expect(Tolerance.relativeError(gradients!.input, expectedGradients.input) <= 1e-5,
                                       "gradInput \(name) \(layout.dimensionOrder)")
                        if let want = expectedGradients.shifts, let actual = gradients!.shifts {
                            outcome.expect(Tolerance.relativeError(actual, want) <= 1e-4, "gradShifts \(name)")
                        } else {
                            outcome.expect(gradients!.shifts == nil && config.mode == .grouped, "no shift gradient only for grouped")
                        }
                    }
                }
            }
            progress("checked \(k)-D parity")
        }
    }

    /// The cases issue 9 names: shifts far beyond the axis in the backward, reflect on axes of
    /// length 1 and 2, strides of 3 and 4, odd widths and planes smaller or larger than a block
    /// (the tiled kernels' two layouts), in NCHW and channels-last.
    static func edgeCases(_ outcome: inout Outcome, progress: (String) -> Void) throws {
        let shapes: [[Int]] = [[2, 3, 1, 7], [2, 3, 2, 9], [1, 40, 3, 3], [2, 2, 5, 300], [3, 5, 7, 7], [1, 3, 33, 65]]
        let shiftSets: [[Float]] = [[0.4, -1.3], [1000.25, -2000.5], [-3.0e6, 7.75], [2, -1]]
        for shape in shapes {
            for padding in ShiftPadding.allCases {
                for (index, pair) in shiftSets.enumerated() {
                    for stride in [1, 3, 4] where stride == 1 || index == 0 {
                        let x = try Tensor<Float>.random(shape: shape, seed: 20)
                        var elements = [Float]()
                        for c in 0..<shape[1] {
                            let spread = Float(c % 3) * 0.125, offset = Float(c % 2) * 0.25
                            elements += index == 3 ? [pair[0] + Float(c % 3), pair[1] - Float(c % 2)]
                                                   : [pair[0] + spread, pair[1] - offset]
                        }
                        let s = try Tensor<Float>(shape: [shape[1], 2], elements: elements)
                        let geometry = ShiftGeometry(stride: [stride])
                        let mode: ShiftMode = index == 3 ? .grouped : .active
                        let name = "edge \(shape) \(padding) shifts \(pair) stride \(stride)"
                        let cpu = ReferenceShift.forward(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
                        let g = try Tensor<Float>.random(shape: cpu.shape, seed: 21)
                        let expected = ReferenceShift.backward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding,
                                                               geometry: geometry)
                        for layout in [x, try x.channelsLast()] {
                            let (y, gradients) = try GPURun.apply(layout, s, g, mode, padding, geometry)
                            outcome.expect(Tolerance.relativeError(y, cpu) <= 1e-5, "forward \(name) \(layout.dimensionOrder)")
                            outcome.expect(Tolerance.relativeError(gradients!.input, expected.input) <= 1e-5,
                                           "gradInput \(name) \(layout.dimensionOrder)")
                            if let want = expected.shifts {
                                outcome.expect(gradients!.shifts.map { Tolerance.relativeError($0, want) <= 1e-4 } ?? false,
                                               "gradShifts \(name) \(layout.dimensionOrder)")
                            }
                        }
                    }
                }
            }
        }
        progress("checked edge cases")
    }

    /// Our GPU 3x3 depthwise convolution (the benchmark's baseline) against the CPU's.
    static func depthwise(_ outcome: inout Outcome) throws {
        for (shape, padding, stride) in [([2, 5, 9, 11], 1, 1), ([1, 3, 8, 8], 0, 2), ([2, 4, 7, 7], 1, 3)] {
            let x = try Tensor<Float>.random(shape: shape, seed: 30)
            let w = try Tensor<Float>.random(shape: [shape[1], 3, 3], seed: 31)
            let reference = ReferenceDepthwise.forward(x, weight: w, padding: padding, stride: stride)
            let gpu = try depthwiseConv2d(CUDATensor(x), weight: CUDATensor(w), padding: padding, stride: stride).host()
            outcome.expect(Tolerance.relativeError(gpu, reference) <= 1e-5, "depthwise forward \(shape) p\(padding) s\(stride)")
            let g = try Tensor<Float>.random(shape: reference.shape, seed: 32)
            let want = try ShiftOps.depthwiseConv2dBackward(gradOutput: g, input: x, weight: w, padding: padding, stride: stride)
            let got = try depthwiseConv2dBackward(gradOutput: CUDATensor(g), input: CUDATensor(x), weight: CUDATensor(w),
                                                  padding: padding, stride: stride)
            outcome.expect(Tolerance.relativeError(try got.input.host(), want.input) <= 1e-5, "depthwise gradInput \(shape)")
            outcome.expect(Tolerance.relativeError(try got.weight.host(), want.weight) <= 1e-4, "depthwise gradWeight \(shape)")
        }
    }

    /// Shifts that live on the GPU: the same results as host shifts for every mode, and a
    /// non-finite one makes its channel NaN in the output and both gradients, integer modes
    /// included, leaving the other channels as they were.
    static func deviceShifts(_ outcome: inout Outcome) throws {
        let xh = try Tensor<Float>.random(shape: [2, 4, 6, 9], seed: 40)
        let x = try CUDATensor(xh)
        let g = try CUDATensor(try Tensor<Float>.random(shape: [2, 4, 6, 9], seed: 41))
        for mode in ShiftMode.allCases {
            var s = try Tensor<Float>.random(shape: [4, 2], in: -2...2, seed: 42)
            if mode == .grouped { s = try Tensor(shape: s.shape, elements: s.elements.map { $0.rounded() }) }
            let hostY = try shift2d(x, shifts: s, mode: mode, padding: .border).host()
            let deviceY = try shift2d(x, shifts: CUDATensor(s), mode: mode, padding: .border).host()
            outcome.expect(hostY.elements == deviceY.elements, "device shifts \(mode): forward as with host shifts")
            // A device table is read at its own strides: column-major gives the same bits.
            let columnMajor = try CUDATensor(s.dense(order: [1, 0]))
            let columnY = try shift2d(x, shifts: columnMajor, mode: mode, padding: .border).host()
            outcome.expect(columnY.elements == hostY.elements, "column-major device shifts \(mode): forward as row-major")
            let hostGradients = try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: .border).host()
            let columnGradients = try shift2dBackward(gradOutput: g, input: x, shifts: columnMajor, mode: mode, padding: .border).host()
            outcome.expect(columnGradients.input.elements == hostGradients.input.elements
                           && columnGradients.shifts?.elements == hostGradients.shifts?.elements,
                           "column-major device shifts \(mode): gradients as row-major")
            for bad in [Float.nan, .infinity] {
                var t = s
                t[2, 1] = bad
                let y = try shift2d(x, shifts: CUDATensor(t), mode: mode, padding: .zeros).host()
                let grads = try shift2dBackward(gradOutput: g, input: x, shifts: CUDATensor(t), mode: mode).host()
                var channelNaN = true, othersFinite = true
                for n in 0..<2 {
                    for h in 0..<6 {
                        for w in 0..<9 {
                            channelNaN = channelNaN && y[n, 2, h, w].isNaN && grads.input[n, 2, h, w].isNaN
                            othersFinite = othersFinite && !y[n, 1, h, w].isNaN && !grads.input[n, 3, h, w].isNaN
                        }
                    }
                }
                outcome.expect(channelNaN && othersFinite, "device shift \(bad) \(mode): its channel NaN, the others finite")
                if let gs = grads.shifts {
                    outcome.expect(gs[2, 0].isNaN && gs[2, 1].isNaN && !gs[1, 0].isNaN, "device shift \(bad) \(mode): gradShifts")
                }
            }
        }
    }

    /// Float16 storage computing in Float: the Float path on the same (half-valued) data,
    /// rounded to Float16, within 2 Float16 ulps, for the output and the input gradient; the Float
    /// shift gradient within 1e-4. NCHW and channels-last, zeros and reflect padding.
    static func float16(_ outcome: inout Outcome) throws {
        for layout in [false, true] {
            for padding in [ShiftPadding.zeros, .reflect] {
                var x = try Tensor<Float>.random(shape: [2, 6, 11, 13], seed: 50)
                x = try Tensor(shape: x.shape, elements: x.elements.map { Float(Float16($0)) })
                var g = try Tensor<Float>.random(shape: x.shape, seed: 51)
                g = try Tensor(shape: g.shape, elements: g.elements.map { Float(Float16($0)) })
                if layout { (x, g) = (try x.channelsLast(), try g.channelsLast()) }
                let s = try Tensor<Float>.random(shape: [6, 2], in: -2...2, seed: 52)
                let name = "Float16 \(padding) \(layout ? "channels-last" : "NCHW")"
                let y32 = try shift2d(CUDATensor(x), shifts: s, padding: padding).host()
                let g32 = try shift2dBackward(gradOutput: CUDATensor(g), input: CUDATensor(x), shifts: s, padding: padding).host()
                let x16 = try CUDATensor<Float16>(rounding: x), gd16 = try CUDATensor<Float16>(rounding: g)
                let y16 = try shift2d(x16, shifts: s, padding: padding)
                outcome.expect(y16.dimensionOrder == x.dimensionOrder, "\(name): layout kept")
                let g16 = try shift2dBackward(gradOutput: gd16, input: x16, shifts: s, padding: padding).host()
                outcome.expect(withinHalfUlps(try y16.host(), y32), "\(name): forward within 2 Float16 ulps of the Float path")
                outcome.expect(withinHalfUlps(g16.input, g32.input), "\(name): gradInput within 2 Float16 ulps")
                outcome.expect(Tolerance.relativeError(g16.shifts!, g32.shifts!) <= 1e-4, "\(name): gradShifts")
            }
        }
    }

    /// Whether each element of `half` is within 2 Float16 ulps of `reference` rounded to Float16.
    static func withinHalfUlps(_ half: Tensor<Float>, _ reference: Tensor<Float>) -> Bool {
        guard half.shape == reference.shape else { return false }
        let a = half.contiguous().elements, b = reference.contiguous().elements
        return zip(a, b).allSatisfy { got, want in
            let rounded = Float16(want)
            return abs(got - Float(rounded)) <= 2 * Float(rounded.ulp)
        }
    }

    static func finiteDifferences(_ outcome: inout Outcome) throws {
        let x = try Tensor<Double>.random(shape: [2, 3, 11, 9], seed: 4)
        let s = try Tensor<Double>(shape: [3, 2], elements: [0.3, -1.7, 2.4, 0.6, -0.2, 1.1])
        let g = try Tensor<Double>.random(shape: x.shape, seed: 5)
        let analytic = try shift2dBackward(gradOutput: CUDATensor(g), input: CUDATensor(x), shifts: s, padding: .symmetric).shifts!.host()
        func objective(_ shifts: Tensor<Double>) throws -> Double {
            let y = try shift2d(CUDATensor(x), shifts: shifts, padding: .symmetric).host()
            return zip(y.elements, g.elements).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for c in 0..<3 {
            for j in 0..<2 {
                var plus = s, minus = s
                plus[c, j] += 1e-6
                minus[c, j] -= 1e-6
                let numeric = (try objective(plus) - objective(minus)) / 2e-6
                outcome.expect(abs(numeric - analytic[c, j]) <= 1e-6 * max(abs(numeric), 1),
                               "Double shift gradient [\(c), \(j)]: numeric \(numeric), CUDA \(analytic[c, j])")
            }
        }
    }

    static func determinism(_ outcome: inout Outcome) throws {
        let x = try CUDATensor(try Tensor<Float>.random(shape: [8, 16, 33, 35], seed: 6))
        let s = try Tensor<Float>.random(shape: [16, 2], in: -2...2, seed: 7)
        let g = try CUDATensor(try Tensor<Float>.random(shape: [8, 16, 33, 35], seed: 8))
        let first = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect)
        let firstInput = try first.input.host().elements
        for run in 0..<3 {
            let again = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect)
            outcome.expect(try again.input.host().elements == firstInput, "gradInput bitwise equal, run \(run)")
            outcome.expect(try again.shifts!.host().elements == first.shifts!.host().elements, "gradShifts bitwise equal, run \(run)")
        }
    }

    /// A tensor past 2^31 elements, where 32-bit index math would wrap.
    static func largeIndices(_ outcome: inout Outcome, progress: (String) -> Void) throws {
        let backend = try CUDABackend.shared()
        let count = (1 << 31) + 4096
        guard backend.memoryBytes > 3 * count * MemoryLayout<Float>.stride else {
            progress("skipped the 2^31-element check: \(backend.memoryBytes >> 30) GiB of GPU memory is too little")
            return
        }
        var host = try Tensor<Float>(shape: [1, 1, count], repeating: 0)
        host[0, 0, count - 1] = 7
        let y = try shift1d(CUDATensor(host), shifts: Tensor<Float>(shape: [1, 1], elements: [-1])).host()
        outcome.expect(y[0, 0, count - 2] == 7 && y[0, 0, count - 1] == 0 && y[0, 0, 0] == 0, "2^31-element shift")
    }
}
#endif

import Foundation
import Testing
import ShiftOps

/// The Swift samples of README.md and the ShiftOps catalog, word for word (the samples of one
/// page in its order, sharing its variables), each followed by checks of what the page says about
/// it. `DocumentationSampleTests` fails when a page's sample is not found here as it is written.
@Suite struct DocumentationExampleTests {
    /// README "Example"; the landing page; Getting started: "A first shift", "Writing into an
    /// existing output", "Threads", "Errors".
    @Test(.tags(.slow), .skippedInFastLane) func gettingStarted() throws {
        // x: [N, C, H, W]; shifts: [C, 2], columns [dy, dx]. Positive shifts move content down/right.
        let x = try Tensor<Float>.random(shape: [8, 64, 56, 56], seed: 1)
        let shifts = try Tensor<Float>.random(shape: [64, 2], in: -1.5...1.5, seed: 2)

        let y = try shift2d(x, shifts: shifts, mode: .active, padding: .reflect)        // [8, 64, 56, 56]
        let g = try Tensor<Float>.random(shape: y.shape, seed: 3)                       // dL/dy
        let grads = try shift2dBackward(gradOutput: g, input: x, shifts: shifts,
                                        mode: .active, padding: .reflect)
        // grads.input: [8, 64, 56, 56] (dL/dx); grads.shifts: [64, 2] (dL/ds)

        // Stride 2 with the output shape of a 3x3, padding-1, stride-2 depthwise convolution:
        let geometry = try ShiftGeometry.convolution(kernelSize: 3, padding: 1, stride: 2, inputSize: [56, 56])
        let z = try shift2d(x, shifts: shifts, geometry: geometry)                      // [8, 64, 28, 28]

        // Quantized inference: integer shifts of Int8 data, zero padding reads the zero point.
        let q = try Tensor<Int8>(shape: [1, 64, 56, 56])
        let qy = try shift2d(q, shifts: shifts, mode: .sparse, fill: -3)

        #expect(y.shape == [8, 64, 56, 56] && grads.input.shape == x.shape && grads.shifts?.shape == [64, 2])
        #expect(z.shape == [8, 64, 28, 28])
        // Zero padding of the Int8 input reads the fill value, and a positive shift moves content
        // down: with channel 0's rounded dy > 0 its first row is all fill.
        #expect(qy.shape == q.shape && qy.elements.contains(-3) && Set(qy.elements).isSubset(of: [0, -3]))
        // Positive shifts move content down/right: an integer shift of (1, 2) puts x[i, j] at [i + 1, j + 2].
        let moved = try shift2d(x, shifts: try Tensor<Float>(shape: [64, 2], repeating: 0).adding(columns: [1, 2]),
                                mode: .grouped)
        #expect(moved[0, 5, 10, 20] == x[0, 5, 9, 18] && moved[0, 5, 0, 20] == 0)

        var out = try Tensor<Float>(shape: [8, 64, 56, 56])
        try shift2d(x, shifts: shifts, mode: .active, padding: .zeros, into: &out)

        #expect(out.elements == (try shift2d(x, shifts: shifts, mode: .active, padding: .zeros)).elements)

        var batch = try Tensor<Float>(shape: [16, 64, 56, 56])
        try batch.withMutableRegion([8..<16, 0..<64, 0..<56, 0..<56]) { half in
            try shift2d(x, shifts: shifts, mode: .active, padding: .zeros, into: &half)   // fills batch[8...]
        }

        #expect(try batch.sliced(axis: 0, range: 8..<16).elements == out.elements)
        #expect(try batch.sliced(axis: 0, range: 0..<8).elements.allSatisfy { $0 == 0 })

        let pixels = x.elements                                   // [Float], row-major
        var result = [Float](repeating: 0, count: pixels.count)
        try pixels.withUnsafeBufferPointer { input in
            try result.withUnsafeMutableBufferPointer { output in
                try Tensor.withBorrowed(input, shape: [8, 64, 56, 56]) { borrowedX in
                    try Tensor.withBorrowed(mutating: output, shape: [8, 64, 56, 56]) { borrowedY in
                        try shift2d(borrowedX, shifts: shifts, mode: .active, padding: .zeros, into: &borrowedY)
                    }
                }
            }
        }
        let clips = try x.reshaped([2, 4, 64, 56, 56])           // [N, T, C, H, W], a view

        #expect(result == out.elements)
        #expect(clips.shape == [2, 4, 64, 56, 56] && clips[1, 3, 5, 6, 7] == x[7, 5, 6, 7])

        let single = try Parallelism.$threadLimit.withValue(1) {
            try shift2d(x, shifts: shifts, mode: .active, padding: .reflect)
        }
        // single.elements == y.elements

        #expect(single.elements == y.elements)

        do {
            _ = try shift2d(x, shifts: try Tensor<Float>(shape: [3, 2]))
        } catch let error as ShiftOpsError {
            print(error)   // shifts: has 3 channels but input has 64 (shape [8, 64, 56, 56])
        }

        #expect {
            try shift2d(x, shifts: try Tensor<Float>(shape: [3, 2]))
        } throws: { error in
            "\(error)" == "shifts: has 3 channels but input has 64 (shape [8, 64, 56, 56])"
        }
    }

    /// Getting started: "Tensors".
    @Test func tensors() throws {
        let images = try Tensor<Float>.random(shape: [4, 3, 32, 32], seed: 7)     // uniform in -1...1
        let zeros = try Tensor<Double>(shape: [2, 8, 16])                          // all 0
        let ramp = try Tensor<Float>(shape: [2, 3], elements: [0, 1, 2, 3, 4, 5])  // row-major
        let nhwc = try images.channelsLast()          // same shape and indices, channels innermost in memory
        let crop = try images.sliced(axis: 2, range: 8..<24)                       // [4, 3, 16, 32], a view
        let value = ramp[1, 2]                                                     // 5

        #expect(images.elements.allSatisfy { (-1...1).contains($0) })
        #expect(zeros.elements.allSatisfy { $0 == 0 } && zeros.count == 256)
        #expect(nhwc.shape == images.shape && nhwc.dimensionOrder == [0, 2, 3, 1] && nhwc.elements == images.elements)
        #expect(crop.shape == [4, 3, 16, 32] && crop.sharesStorage(with: images) && crop[1, 2, 0, 5] == images[1, 2, 8, 5])
        #expect(value == 5)
    }

    /// The shift contract: the TSM conversion and the padding example.
    @Test func contract() throws {
        // A batch of 2 clips of 8 frames, 16 channels, 14x14, laid out as [N, C, T, H, W].
        let clips = try Tensor<Float>.random(shape: [2, 16, 8, 14, 14], seed: 1)
        let fold = 16 / 8
        var tsm = try Tensor<Float>(shape: [16, 3])                 // [dt, dy, dx] per channel
        for c in 0..<fold { tsm[c, 0] = -1 }                        // frame t reads frame t + 1
        for c in fold..<(2 * fold) { tsm[c, 0] = 1 }                // frame t reads frame t - 1
        let shifted = try shift3d(clips, shifts: tsm, mode: .grouped, padding: .zeros)

        // TSM's own definition, element by element: the first fold takes the next frame, the
        // second the previous one, zeros beyond the clip's ends, the rest unchanged.
        for n in 0..<2 {
            for c in 0..<16 {
                for t in 0..<8 {
                    for (h, w) in [(0, 0), (5, 9), (13, 13)] {
                        let expected: Float
                        if c < fold { expected = t + 1 < 8 ? clips[n, c, t + 1, h, w] : 0 }
                        else if c < 2 * fold { expected = t >= 1 ? clips[n, c, t - 1, h, w] : 0 }
                        else { expected = clips[n, c, t, h, w] }
                        #expect(shifted[n, c, t, h, w] == expected, "n \(n) c \(c) t \(t)")
                    }
                }
            }
        }

        let row = try Tensor<Float>(shape: [1, 1, 5], elements: [1, 2, 3, 4, 5])
        let three = try Tensor<Float>(shape: [1, 1], elements: [3])
        let reflected = try shift1d(row, shifts: three, mode: .grouped, padding: .reflect)
        // reflected.elements == [4, 3, 2, 1, 2]

        #expect(reflected.elements == [4, 3, 2, 1, 2])
    }

    /// Replacing a depthwise convolution.
    @Test func replacingADepthwiseConvolution() throws {
        let x = try Tensor<Float>.random(shape: [8, 32, 28, 28], seed: 1)

        // Before: a 3x3 depthwise convolution, padding 1, stride 2: 9 weights per channel.
        let weight = try Tensor<Float>.random(shape: [32, 3, 3], seed: 2)
        let convolved = try depthwiseConv2d(x, weight: weight, padding: 1, stride: 2)      // [8, 32, 14, 14]

        // After: a shift with the same output shape and 2 learned numbers per channel.
        let layer = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 32, spatialRank: 2, kernelSize: 3,
                                          stride: 2, convolutionPadding: 1, padding: .zeros, mode: .active, seed: 3)
        let shifted = try layer(x)                                                         // [8, 32, 14, 14]

        // The same geometry for the op itself:
        let geometry = try ShiftGeometry.convolution(kernelSize: 3, padding: 1, stride: 2, inputSize: [28, 28])
        let direct = try shift2d(x, shifts: layer.shifts, mode: .active, padding: .zeros, geometry: geometry)

        #expect(convolved.shape == [8, 32, 14, 14] && shifted.shape == convolved.shape)
        #expect(direct.elements == shifted.elements)
        // Shifts start within the kernel's reach.
        #expect(layer.shifts.elements.allSatisfy { abs($0) <= 1 })
        // A zero shift at this geometry samples the convolution's centre tap: a kernel that is 1
        // at its centre gives the same output.
        var centre = try Tensor<Float>(shape: [32, 3, 3])
        for c in 0..<32 { centre[c, 1, 1] = 1 }
        let still = try shift2d(x, shifts: try Tensor<Float>(shape: [32, 2]), geometry: geometry)
        #expect(still.elements == (try depthwiseConv2d(x, weight: centre, padding: 1, stride: 2)).elements)
    }

    /// Training with ShiftLayer and SGD: one step, other parameters, other layers, shift tables.
    @Test func trainingWithShiftLayerAndSGD() throws {
        // The shifts the layer below starts from (same arguments, same seed).
        let before = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 64, spatialRank: 2, kernelSize: 3,
                                           convolutionPadding: 1, padding: .zeros, mode: .active, seed: 42).shifts

        // Replaces a 3x3, padding-1, stride-1 depthwise convolution: same output shape, shifts in [-1, 1].
        var shift = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 64, spatialRank: 2,
                                          kernelSize: 3, convolutionPadding: 1, padding: .zeros, mode: .active, seed: 42)
        shift.gradientOptions = ShiftGradientOptions(sparsity: 1e-4, scaling: .normalize)
        var optimizer = SGD<Float>(learningRate: 0.01, momentum: 0.9, weightDecay: 0)

        let x = try Tensor<Float>.random(shape: [8, 64, 32, 32], seed: 1)   // a batch
        let y = try shift(x)                                               // [8, 64, 32, 32]
        let gradY = try Tensor<Float>.random(shape: y.shape, seed: 2)       // dL/dy from the layers above
        shift.zeroGradient()
        let gradX = try shift.backward(gradOutput: gradY, input: x)         // dL/dx, for the layers below
        try optimizer.step(&shift, path: "shift")                           // shifts -= lr * velocity

        #expect(y.shape == [8, 64, 32, 32] && gradX.shape == x.shape)
        #expect(before.elements.allSatisfy { abs($0) <= 1 })
        // Normalised gradients move each channel by exactly the learning rate on the first step.
        for c in 0..<64 {
            let dy = shift.shifts[c, 0] - before[c, 0], dx = shift.shifts[c, 1] - before[c, 1]
            #expect(abs((dy * dy + dx * dx).squareRoot() - 0.01) < 1e-4)
        }

        var pointwise = try Tensor<Float>.random(shape: [64, 64], in: -0.1...0.1, seed: 3)
        let pointwiseGradient = try Tensor<Float>.random(shape: [64, 64], seed: 4)
        optimizer.learningRateMultipliers["shift"] = 10
        try optimizer.update(&pointwise, gradient: pointwiseGradient, path: "conv2.weight")

        // First step of a new path: a zero velocity plus the gradient, at multiplier 1.
        let start = try Tensor<Float>.random(shape: [64, 64], in: -0.1...0.1, seed: 3)
        #expect(optimizer.velocities["conv2.weight"]?.elements == pointwiseGradient.elements)
        #expect(pointwise.elements == zip(start.elements, pointwiseGradient.elements).map { $0 - 0.01 * $1 })

        let temporal = try ShiftLayer<Double>(channels: 16, spatialRank: 1, mode: .sparse, padding: .border,
                                              initialization: .signedMagnitude(bound: 2), seed: 5)
        let q = try Tensor<Int8>(shape: [1, 16, 100])
        let qy = try temporal(q, zeroPoint: 0)          // integer forward of a sparse layer, for inference

        #expect(temporal.shifts.shape == [16, 1] && temporal.shifts.elements.allSatisfy { abs($0) <= 2 })
        #expect(qy.shape == [1, 16, 100] && qy.elements.allSatisfy { $0 == 0 })

        let theirs = try exportShifts(shift.shifts, layout: .activeShift, convention: .contentMovesAgainstShift)
        let back = try importShifts(theirs, layout: .activeShift, convention: .contentMovesAgainstShift)
        // back.elements == shift.shifts.elements

        #expect(back.elements == shift.shifts.elements)
        // Active-Shift's table is [k, C], x row first, with the opposite sign.
        #expect(theirs.shape == [2, 64])
        for c in 0..<64 {
            #expect(theirs[0, c] == -shift.shifts[c, 1] && theirs[1, c] == -shift.shifts[c, 0])
        }
    }
}

private extension Tensor where Element == Float {
    /// `self` (a `[C, k]` table) with `columns[j]` added to every entry of column `j`.
    func adding(columns: [Float]) throws -> Tensor<Float> {
        var result = self
        for c in 0..<shape[0] { for j in 0..<shape[1] { result[c, j] += columns[j] } }
        return result
    }
}

import Testing
import ShiftOps
import ShiftOpsTestSupport
#if CUDA
import ShiftCUDA

/// Runs `body`, which must fail with `code` naming `argument`.
func expectError(_ code: ShiftOpsError.Code, _ argument: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    let problem = ExpectedError.mismatch(code, argument, body)
    #expect(problem == nil, "\(problem ?? "")", sourceLocation: sourceLocation)
}

/// Runs `body`, whose arguments are valid: it succeeds where a GPU is present, and elsewhere
/// fails only for want of one (the backend loads after the checks), never with an argument error.
func expectValid(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
    } catch let error as ShiftOpsError {
        #expect(error.code == .cuda && !gpuAvailable, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// The CUDA ops check their arguments before they load the backend or touch the GPU, so these
/// run on any machine: empty device tensors own no device memory, and every op sees its shapes.
@Suite struct CUDAValidationTests {
    /// Device shifts are checked by shape (no host copy), with the CPU's errors, in every door.
    @Test func deviceShiftsAreCheckedByShape() throws {
        let x = try CUDATensor<Float>(shape: [1, 0, 4, 4])
        let wrongAxes = try CUDATensor<Float>(shape: [0, 3])
        expectError(.shapeMismatch, "shifts") { _ = try shift2d(x, shifts: wrongAxes) }
        expectError(.shapeMismatch, "shifts") { _ = try shift(x, shifts: wrongAxes) }
        expectError(.shapeMismatch, "shifts") { try shift2d(x, shifts: wrongAxes, into: CUDATensor<Float>(shape: [1, 0, 4, 4])) }
        expectError(.shapeMismatch, "shifts") { _ = try shift2dBackward(gradOutput: x, input: x, shifts: wrongAxes) }
        // Three channels, no images: the table's zero rows are the wrong count.
        let noImages = try CUDATensor<Float>(shape: [0, 3, 4, 4])
        expectError(.shapeMismatch, "shifts") { _ = try shift2d(noImages, shifts: CUDATensor<Float>(shape: [0, 2])) }
        expectError(.invalidRank, "input") { _ = try shift3d(x, shifts: CUDATensor<Float>(shape: [0, 3])) }
        expectError(.invalidGeometry, "geometry.stride") {
            _ = try shift2d(x, shifts: CUDATensor<Float>(shape: [0, 2]), geometry: ShiftGeometry(stride: 0))
        }
        // Right shapes pass, a column-major table included (it is read at its strides).
        expectValid { _ = try shift2d(x, shifts: CUDATensor<Float>(shape: [0, 2])) }
        expectValid { _ = try shift2d(x, shifts: CUDATensor<Float>(shape: [0, 2], order: [1, 0])) }
        expectValid { _ = try shift1d(CUDATensor<Double>(shape: [3, 0, 5]), shifts: CUDATensor<Double>(shape: [0, 1])) }
        expectValid { _ = try shift3d(CUDATensor<Float16>(shape: [2, 0, 3, 4, 5]), shifts: CUDATensor<Float>(shape: [0, 3])) }
    }

    /// The rank-generic door reads the rank from the input and names it when it is wrong.
    @Test func rankGenericFormsReadTheRank() throws {
        expectError(.invalidRank, "input") { _ = try shift(CUDATensor<Float>(shape: [2, 0]), shifts: CUDATensor<Float>(shape: [0, 1])) }
        expectError(.invalidRank, "input") {
            _ = try shiftBackward(gradOutput: CUDATensor<Float>(shape: [1, 0, 1, 1, 1, 1]), input: CUDATensor<Float>(shape: [1, 0, 1, 1, 1, 1]),
                                  shifts: CUDATensor<Float>(shape: [0, 4]))
        }
        for shape in [[2, 0, 5], [2, 0, 5, 6], [2, 0, 4, 5, 6]] {
            let x = try CUDATensor<Float>(shape: shape)
            let s = try CUDATensor<Float>(shape: [0, shape.count - 2])
            expectValid { _ = try shift(x, shifts: s) }
            expectValid { _ = try shiftBackward(gradOutput: x, input: x, shifts: s) }
            expectValid {
                try shiftBackward(gradOutput: x, input: x, shifts: s,
                                  into: CUDAShiftGradients(input: CUDATensor(shape: shape), shifts: CUDATensor(shape: [0, shape.count - 2])))
            }
        }
    }

    /// The `into:` forms name the output at fault: a wrong shape, memory shared with what the call
    /// reads, a shift gradient for grouped shifts (which do not learn), a column-major one.
    @Test func intoFormsNameTheOutputAtFault() throws {
        let x = try CUDATensor<Float>(shape: [2, 0, 3, 3]), s = try CUDATensor<Float>(shape: [0, 2])
        expectError(.shapeMismatch, "output") { try shift2d(x, shifts: s, into: CUDATensor(shape: [2, 0, 3, 4])) }
        expectError(.aliasedOutput, "output") { try shift2d(x, shifts: s, into: x) }
        let alias = x
        expectError(.aliasedOutput, "output") { try shift(x, shifts: s, into: alias) }
        let gx = try CUDATensor<Float>(shape: [2, 0, 3, 3]), gs = try CUDATensor<Float>(shape: [0, 2])
        expectError(.shapeMismatch, "gradients.input") {
            try shift2dBackward(gradOutput: x, input: x, shifts: s, into: CUDAShiftGradients(input: CUDATensor(shape: [2, 0, 3, 2]), shifts: gs))
        }
        expectError(.shapeMismatch, "gradients.shifts") {
            try shift2dBackward(gradOutput: x, input: x, shifts: s, mode: .grouped, into: CUDAShiftGradients(input: gx, shifts: gs))
        }
        expectError(.shapeMismatch, "gradients.shifts") {
            try shift2dBackward(gradOutput: x, input: x, shifts: s,
                                into: CUDAShiftGradients(input: gx, shifts: CUDATensor(shape: [0, 2], order: [1, 0])))
        }
        expectError(.aliasedOutput, "gradients.input") {
            try shift2dBackward(gradOutput: gx, input: x, shifts: s, into: CUDAShiftGradients(input: gx, shifts: gs))
        }
        expectError(.aliasedOutput, "gradients.shifts") {
            try shift2dBackward(gradOutput: x, input: x, shifts: s, into: CUDAShiftGradients(input: gx, shifts: s))
        }
        expectValid { try shift2dBackward(gradOutput: x, input: x, shifts: s, mode: .grouped, into: CUDAShiftGradients(input: gx, shifts: nil)) }
        expectValid { try shift2dBackward(gradOutput: x, input: x, shifts: s, into: CUDAShiftGradients(input: gx, shifts: gs)) }
    }

    /// The depthwise convolution checks its device weight and gradient as the CPU checks them.
    @Test func depthwiseArgumentsAreChecked() throws {
        let x = try CUDATensor<Float>(shape: [1, 0, 5, 5]), w = try CUDATensor<Float>(shape: [0, 3, 3])
        expectError(.shapeMismatch, "weight") { _ = try depthwiseConv2d(x, weight: CUDATensor(shape: [0, 2, 3])) }
        expectError(.invalidRank, "input") { _ = try depthwiseConv2d(CUDATensor(shape: [1, 0, 5, 5], order: [0, 2, 3, 1]), weight: w) }
        expectError(.invalidGeometry, "padding") { _ = try depthwiseConv2d(x, weight: w, padding: -1) }
        expectError(.invalidGeometry, "stride") { _ = try depthwiseConv2d(x, weight: w, stride: 0) }
        expectError(.invalidGeometry, "input") { _ = try depthwiseConv2d(CUDATensor(shape: [1, 0, 1, 5]), weight: w, padding: 0) }
        expectError(.shapeMismatch, "gradOutput") {
            _ = try depthwiseConv2dBackward(gradOutput: CUDATensor(shape: [1, 0, 4, 5]), input: x, weight: w)
        }
        expectValid { _ = try depthwiseConv2d(x, weight: w) }
        expectValid {
            let grads = try depthwiseConv2dBackward(gradOutput: CUDATensor(shape: [1, 0, 5, 5]), input: x, weight: w)
            // Both gradients stay on the device.
            let _: (CUDATensor<Float>, CUDATensor<Float>) = (grads.input, grads.weight)
            #expect(grads.weight.shape == [0, 3, 3])
        }
    }
}
#endif

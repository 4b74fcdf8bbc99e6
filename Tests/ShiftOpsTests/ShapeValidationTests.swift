import Testing
@testable import ShiftOps

/// Shape arithmetic is checked once, in validation: a shape whose non-zero extents overflow is an
/// error even with a zero axis, and an empty call returns at once, before any kernel, loop or
/// allocation sized by its other axes. Buffers sized from the input come from the throwing path.
@Suite struct ShapeValidationTests {
    /// A tensor of `shape` that owns one element: enough for calls that validation refuses or
    /// that must return before reading any element (`Tensor` cannot allocate these shapes).
    func view<T: TensorElement>(_ shape: [Int], of _: T.Type = Float.self) throws -> Tensor<T> {
        var tensor = try Tensor<T>(shape: [1])
        tensor.shape = shape
        tensor.strides = Array(repeating: 0, count: shape.count)
        return tensor
    }

    func expectSizeOverflow(argument: String, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected sizeOverflow on \(argument)", sourceLocation: sourceLocation)
        } catch let error as ShiftOpsError {
            #expect(error.code == .sizeOverflow, "\(error)", sourceLocation: sourceLocation)
            #expect(error.argument == argument, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains("overflows Int"), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// A zero-element input whose other axes multiply past `Int` (a 128-byte `.npy` can declare
    /// one) is refused by every entry point instead of trapping in a kernel.
    @Test func zeroElementInputsWhoseOtherAxesOverflowAreRefused() throws {
        let flat = try view([0, 1, 1 << 40, 1 << 40])
        let cube = try view([0, 1, 1 << 21, 1 << 21, 1 << 21])
        let s2 = try Tensor<Float>(shape: [1, 2]), s3 = try Tensor<Float>(shape: [1, 3])
        expectSizeOverflow(argument: "input") { _ = try shift2d(flat, shifts: s2) }
        expectSizeOverflow(argument: "input") { _ = try shift(cube, shifts: s3, mode: .sparse) }
        expectSizeOverflow(argument: "input") { _ = try shift2dBackward(gradOutput: flat, input: flat, shifts: s2) }
        expectSizeOverflow(argument: "input") {
            _ = try shift2d(try view([0, 1, 1 << 40, 1 << 40], of: Int8.self), shifts: s2, mode: .grouped)
        }
        // The element size counts: 2^61 Doubles overflow the byte count.
        expectSizeOverflow(argument: "input") {
            _ = try shift1d(try view([0, 1, 1 << 61], of: Double.self), shifts: try Tensor<Double>(shape: [1, 1]))
        }
        // The same rule for the output a geometry asks for.
        let empty = try Tensor<Float>(shape: [0, 1, 4, 5])
        expectSizeOverflow(argument: "geometry.outputSize") {
            _ = try shift2d(empty, shifts: s2, geometry: ShiftGeometry(outputSize: [1 << 40, 1 << 40]))
        }
    }

    /// Empty calls return before any kernel: no kernel loop runs.
    @Test func emptyCallsRunNoKernelLoop() throws {
        let trace = ParallelTrace()
        try ParallelTrace.$current.withValue(trace) {
            // Small ones, which the row loops would otherwise walk (3 empty rows, 4 empty planes).
            let rows = try Tensor<Float>(shape: [1, 1, 3, 0])
            #expect(try shift2d(rows, shifts: Tensor<Float>(shape: [1, 2], repeating: 0.5)).shape == [1, 1, 3, 0])
            let planes = try Tensor<Float>(shape: [4, 1, 1, 0])
            let gradients = try shift2dBackward(gradOutput: planes, input: planes,
                                                shifts: Tensor<Float>(shape: [1, 2], repeating: 0.5))
            #expect(gradients.input.shape == [4, 1, 1, 0])
            #expect(gradients.shifts?.elements == [0, 0])
            #expect(try shift2d(try Tensor<Int8>(shape: [1, 1, 3, 0]), shifts: Tensor<Float>(shape: [1, 2])).shape
                    == [1, 1, 3, 0])
            var into = try Tensor<Float>(shape: [1, 1, 3, 0])
            try shift2d(rows, shifts: Tensor<Float>(shape: [1, 2], repeating: 0.5), into: &into)
        }
        #expect(trace.runs.isEmpty, "kernel loops ran for empty calls: \(trace.runs)")
    }

    /// The largest shapes around an empty axis that fit are served at once.
    @Test func emptyCallsWithHugeAxesReturnAtOnce() throws {
        // The shapes that looped for days (2^51 empty rows) or aborted allocating 13 TB of partial
        // sums (2^40 planes).
        let tall = try view([1, 1, 1 << 51, 0])
        #expect(try shift2d(tall, shifts: Tensor<Float>(shape: [1, 2], repeating: 0.25)).shape == [1, 1, 1 << 51, 0])
        let many = try view([1 << 40, 1, 1, 0])
        let gradients = try shift2dBackward(gradOutput: many, input: many, shifts: Tensor<Float>(shape: [1, 2], repeating: 0.25))
        #expect(gradients.input.shape == [1 << 40, 1, 1, 0])
        #expect(gradients.shifts?.elements == [0, 0])
    }

    /// An output that is empty while the input is not: the input gradient is all zeros, the
    /// shift gradient zero.
    @Test func emptyOutputGivesZeroGradients() throws {
        let x = try Tensor<Float>.random(shape: [2, 3, 4, 5], seed: 3)
        let s = try Tensor<Float>(shape: [3, 2], repeating: 0.5)
        let geometry = ShiftGeometry(stride: [1], origin: [0], outputSize: [4, 0])
        let g = try Tensor<Float>(shape: [2, 3, 4, 0])
        let gradients = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect, geometry: geometry)
        #expect(gradients.input.shape == x.shape && gradients.input.elements.allSatisfy { $0 == 0 && $0.sign == .plus })
        #expect(gradients.shifts?.elements == [0, 0, 0, 0, 0, 0])
    }

    /// The partial sums of the backward are allocated through the throwing path.
    @Test func scratchLargerThanMemoryIsAnError() {
        #expect(throws: ShiftOpsError(.outOfMemory, argument: "input",
                                      "cannot allocate \(3 << 60) bytes for \(3 << 58) elements of sums")) {
            _ = try ScratchBuffer<Float>(planes: 1 << 58, perPlane: 3, argument: "input", purpose: "sums")
        }
        #expect(throws: ShiftOpsError.self) {
            _ = try ScratchBuffer<Float>(planes: 1 << 62, perPlane: 3, argument: "input", purpose: "sums")
        }
        let small = try? ScratchBuffer<Double>(planes: 4, perPlane: 3, argument: "input", purpose: "sums")
        #expect(small?.byteCount == 96)
    }

    /// An `[N, H, W, C]` array passed as it is gets a layout hint; a plain mismatch does not.
    @Test func channelsLastShapedInputGetsALayoutHint() throws {
        let nhwc = try Tensor<Float>(shape: [2, 4, 5, 3])
        let s = try Tensor<Float>(shape: [3, 2])
        do {
            _ = try shift2d(nhwc, shifts: s)
            Issue.record("expected a shape mismatch")
        } catch let error as ShiftOpsError {
            #expect(error.code == .shapeMismatch && error.argument == "shifts")
            #expect(error.message.contains("has 3 channels but input has 4"), "\(error)")
            #expect(error.message.contains("looks channels-last") && error.message.contains("permuted([0, 3, 1, 2])"),
                    "\(error)")
        }
        do {
            _ = try shift1d(try Tensor<Float>(shape: [2, 7, 3]), shifts: try Tensor<Float>(shape: [3, 1]))
            Issue.record("expected a shape mismatch")
        } catch let error as ShiftOpsError {
            #expect(error.message.contains("permuted([0, 2, 1])"), "\(error)")
        }
        do {
            _ = try shift2d(try Tensor<Float>(shape: [2, 4, 5, 6]), shifts: s)
            Issue.record("expected a shape mismatch")
        } catch let error as ShiftOpsError {
            #expect(error.code == .shapeMismatch && !error.message.contains("channels-last"), "\(error)")
        }
    }
}

import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// SPEC §7: every bad input is a thrown ShiftOpsError naming the argument, and a failed call
/// leaves its outputs untouched.
@Suite struct ErrorTests {
    let x = try! Tensor<Float>.random(shape: [2, 3, 4, 5], seed: 1)
    let s = try! Tensor<Float>(shape: [3, 2], repeating: 0.5)

    func expectError(_ code: ShiftOpsError.Code, argument: String, containing text: String,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        let problem = ExpectedError.mismatch(code, argument, containing: text, body)
        #expect(problem == nil, "\(problem ?? "")", sourceLocation: sourceLocation)
    }

    @Test func wrongRank() {
        expectError(.invalidRank, argument: "input", containing: "expected rank 3") {
            _ = try shift1d(x, shifts: s)
        }
        expectError(.invalidRank, argument: "input", containing: "expected rank 5") {
            _ = try shift3d(x, shifts: s)
        }
    }

    @Test func shiftTableShape() throws {
        expectError(.shapeMismatch, argument: "shifts", containing: "has 4 channels but input has 3") {
            _ = try shift2d(x, shifts: Tensor<Float>(shape: [4, 2]))
        }
        expectError(.shapeMismatch, argument: "shifts", containing: "expected shape [C, 2]") {
            _ = try shift2d(x, shifts: Tensor<Float>(shape: [3, 3]))
        }
        expectError(.shapeMismatch, argument: "shifts", containing: "expected shape [C, 2]") {
            _ = try shift2d(x, shifts: Tensor<Float>(shape: [6]))
        }
    }

    @Test func geometry() {
        expectError(.invalidGeometry, argument: "geometry.stride", containing: "expected >= 1") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(stride: 0))
        }
        expectError(.invalidGeometry, argument: "geometry.stride", containing: "expected 1 or 2 values") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(stride: [1, 1, 1]))
        }
        expectError(.invalidGeometry, argument: "geometry.outputSize", containing: "expected lengths >= 0") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(outputSize: [3, -1]))
        }
        expectError(.invalidGeometry, argument: "geometry.origin", containing: "|origin| <= 2^52") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(stride: [1], origin: [Int.min]))
        }
        expectError(.sizeOverflow, argument: "geometry.outputSize", containing: "2^52") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(stride: [Int.max], origin: [0], outputSize: [2, 2]))
        }
        expectError(.sizeOverflow, argument: "geometry.outputSize", containing: "overflows Int") {
            _ = try shift2d(x, shifts: s, geometry: ShiftGeometry(outputSize: [1 << 40, 1 << 40]))
        }
        expectError(.invalidGeometry, argument: "kernelSize", containing: "expected >= 1") {
            _ = try ShiftGeometry.convolution(kernelSize: 0, inputSize: [5])
        }
    }

    @Test func tensorElementCountOverflow() {
        expectError(.sizeOverflow, argument: "shape", containing: "overflows Int") {
            _ = try Tensor<Float>(shape: [1 << 32, 1 << 32])
        }
        expectError(.invalidArgument, argument: "shape", containing: ">= 0") {
            _ = try Tensor<Float>(shape: [2, -1])
        }
        // The element count fits, its size in bytes does not.
        expectError(.sizeOverflow, argument: "shape", containing: "byte count") {
            _ = try Tensor<Double>(shape: [1 << 61])
        }
        expectError(.sizeOverflow, argument: "geometry.outputSize", containing: "byte count") {
            _ = try shift2d(Tensor<Double>(shape: [1, 1, 4, 4]), shifts: Tensor<Double>(shape: [1, 2]),
                            geometry: ShiftGeometry(outputSize: [1 << 31, 1 << 30]))
        }
    }

    /// More memory than any machine has is an error, not a crash.
    @Test func tensorsLargerThanMemoryAreAnError() {
        expectError(.outOfMemory, argument: "shape", containing: "cannot allocate") {
            _ = try Tensor<Float>(shape: [1 << 28, 1 << 24])
        }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteShift(value: Float) {
        var bad = s
        bad[2, 1] = value
        expectError(.nonFiniteShift, argument: "shifts", containing: "shift [2, 1] is") {
            _ = try shift2d(x, shifts: bad)
        }
        expectError(.nonFiniteShift, argument: "shifts", containing: "must be finite") {
            _ = try shift2dBackward(gradOutput: x, input: x, shifts: bad)
        }
        expectError(.nonFiniteShift, argument: "shifts", containing: "must be finite") {
            _ = try shift2d(Tensor<Int8>(shape: [2, 3, 4, 5]), shifts: bad)
        }
    }

    @Test func groupedShiftsMustBeIntegers() {
        expectError(.nonIntegerShift, argument: "shifts", containing: "must be integers") {
            _ = try shift2d(x, shifts: s, mode: .grouped)
        }
    }

    @Test func gradientShape() throws {
        let g = try Tensor<Float>(shape: [2, 3, 4, 4])
        expectError(.shapeMismatch, argument: "gradOutput", containing: "expected the output's shape [2, 3, 4, 5]") {
            _ = try shift2dBackward(gradOutput: g, input: x, shifts: s)
        }
    }

    @Test func activeIntegerTensorsAreRefused() throws {
        let q = try Tensor<Int8>(shape: [2, 3, 4, 5])
        expectError(.unsupportedMode, argument: "mode", containing: "use .sparse or .grouped") {
            _ = try shift2d(q, shifts: s, mode: .active)
        }
    }

    @Test func emptyAxisNeedsZeroPaddingToReadBeyondIt() throws {
        let empty = try Tensor<Float>(shape: [1, 3, 0, 5])
        expectError(.invalidGeometry, argument: "input", containing: "reflect padding needs non-empty") {
            _ = try shift2d(empty, shifts: s, padding: .reflect, geometry: ShiftGeometry(outputSize: [2, 5]))
        }
        let zeros = try shift2d(empty, shifts: s, padding: .zeros, geometry: ShiftGeometry(outputSize: [2, 5]))
        #expect(zeros.shape == [1, 3, 2, 5] && zeros.elements.allSatisfy { $0 == 0 })
    }

    @Test func failedCallsLeaveOutputsUntouched() throws {
        var output = try Tensor<Float>(shape: [2, 3, 4, 5], repeating: 7)
        var bad = s
        bad[0, 0] = .nan
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: bad, into: &output) }
        #expect(output.elements.allSatisfy { $0 == 7 })
        var wrongShape = try Tensor<Float>(shape: [2, 3, 4, 4], repeating: 7)
        expectError(.shapeMismatch, argument: "output", containing: "expected shape [2, 3, 4, 5]") {
            try shift2d(x, shifts: s, into: &wrongShape)
        }
        #expect(wrongShape.elements.allSatisfy { $0 == 7 })
        // The forward into an existing output of any layout gives the allocating form's numbers.
        var channelsLast = try output.channelsLast()
        try shift2d(x, shifts: s, into: &channelsLast)
        #expect(channelsLast.elements == (try shift2d(x, shifts: s)).elements)
    }

    @Test func outputAliasingAnInputIsRefused() throws {
        var alias = x
        expectError(.aliasedOutput, argument: "output", containing: "shares storage with an input") {
            try shift2d(x, shifts: s, into: &alias)
        }
        #expect(alias.elements == x.elements)
        var overlapping = try Tensor<Float>(shape: [2, 3, 4, 5])
        overlapping.strides = [60, 20, 5, 0]
        expectError(.aliasedOutput, argument: "output", containing: "overlapping elements") {
            try shift2d(x, shifts: s, into: &overlapping)
        }
    }
}

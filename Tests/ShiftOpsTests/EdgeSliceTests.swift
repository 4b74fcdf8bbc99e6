import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// 3-D depth slices whose depth taps leave the volume run as flattened spans, each such tap
/// reading one whole input slice through the padding (or left out, for zero padding). These
/// cases make the input and output depths differ, which the golden set does not, and check the
/// spans against the independent reference for every padding.
@Suite struct EdgeSliceTests {
    /// Depth shifts that put one or both depth taps outside a 4-slice volume at its first and
    /// last output slices, beside ordinary ones.
    let shifts = try! Tensor<Float>(shape: [4, 3], elements: [1.5, 0.25, -0.5, -2.5, 0.5, 1, 3.25, -1, 0, -0.75, 0, 0.5])

    @Test(arguments: ShiftPadding.allCases, [1, 3, -2])
    func spansOverEdgeSlicesMatchTheReference(padding: ShiftPadding, extraDepth: Int) throws {
        let x = try Tensor<Float>.random(shape: [2, 4, 4, 9, 11], seed: 41)
        let geometry = ShiftGeometry(stride: [1], origin: [0], outputSize: [4 + extraDepth, 9, 11])
        // The spans serve both directions (the row path would give the same values, not test them).
        #expect(try CPUPlan.forward(x, shifts: shifts, geometry: geometry).path == .flatPlanes)
        let y = try shift3d(x, shifts: shifts, padding: padding, geometry: geometry)
        let expected = ReferenceShift.forward(x, shifts: shifts, padding: padding, geometry: geometry)
        #expect(Tolerance.relativeError(y, expected) <= Tolerance.result(Float.self))

        let g = try Tensor<Float>.random(shape: y.shape, seed: 42)
        #expect(try CPUPlan.backward(gradOutput: g, input: x, shifts: shifts, geometry: geometry).path == .densePlanes)
        let gradients = try shift3dBackward(gradOutput: g, input: x, shifts: shifts, padding: padding, geometry: geometry)
        let reference = ReferenceShift.backward(gradOutput: g, input: x, shifts: shifts, padding: padding, geometry: geometry)
        #expect(Tolerance.relativeError(gradients.input, reference.input) <= Tolerance.result(Float.self))
        #expect(Tolerance.relativeError(gradients.shifts!, reference.shifts!) <= Tolerance.shiftGradient(Float.self))
    }
}

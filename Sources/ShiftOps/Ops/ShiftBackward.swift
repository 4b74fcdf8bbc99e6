/// The gradients of a shift with respect to its input and its shifts.
public struct ShiftGradients<T: ShiftFloatingPoint>: Sendable {
    /// `dL/dx`, the input's shape, dense in the input's dimension order.
    public var input: Tensor<T>
    /// `dL/ds`, shape `[C, k]`; nil for grouped shifts, which do not learn.
    public var shifts: Tensor<T>?

    /// Both gradients, as the backward ops return them.
    public init(input: Tensor<T>, shifts: Tensor<T>?) {
        self.input = input
        self.shifts = shifts
    }
}

extension ShiftOp {
    @inlinable
    static func backward<T: ShiftFloatingPoint>(
        gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, spatialRank: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> ShiftGradients<T> {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank,
                                            mode: mode, padding: padding, geometry: geometry)
        try problem.checkGradOutput(gradOutput)
        let k = spatialRank
        if problem.hasNoOutput {
            // Nothing reads an input element: both gradients are zero.
            return ShiftGradients(input: try Tensor<T>(shape: input.shape, order: input.dimensionOrder),
                                  shifts: mode.learnsShifts ? try Tensor<T>(shape: [problem.channels, k]) : nil)
        }
        let gradInput = try Tensor<T>(uninitializedShape: input.shape, order: input.dimensionOrder)
        let gradShifts = mode.learnsShifts ? try Tensor<T>(uninitializedShape: [problem.channels, k]) : nil
        let planes = problem.batch * problem.channels
        // One slot of three partial sums per plane, reduced below in batch order: deterministic
        // for any thread count.
        let partials = mode.learnsShifts
            ? try ScratchBuffer<T>(planes: planes, perPlane: 3, argument: "input",
                                   purpose: "partial shift-gradient sums (3 per (n, c) plane of shape \(input.shape))")
            : nil
        // The kernels and the reduction hold raw pointers into it.
        defer { withExtendedLifetime(partials) {} }
        let (xs, gs, gxs) = (LiftedStrides(input), LiftedStrides(gradOutput), LiftedStrides(gradInput))
        let plan = CPUPlan.backward(problem, xs, gs, gxs, learnsShifts: mode.learnsShifts, elementSize: MemoryLayout<T>.stride)
        BackwardKernel.run(
            problem, plan: plan, input: input.storage.base + input.offset, xs,
            gradOutput: gradOutput.storage.base + gradOutput.offset, gs,
            shifts: ShiftTable(shifts),
            gradInput: SendablePointer(gradInput.storage.base), gxs,
            partials: partials.map { SendablePointer($0.base) })
        if let gradShifts, let partials {
            let (out, sums) = (gradShifts.storage.base, partials.base)
            for c in 0..<problem.channels {
                for j in 0..<k {
                    var sum: T = 0
                    for n in 0..<problem.batch { sum += sums[(n * problem.channels + c) * 3 + (3 - k) + j] }
                    out[c * k + j] = sum
                }
            }
        }
        return ShiftGradients(input: gradInput, shifts: gradShifts)
    }
}

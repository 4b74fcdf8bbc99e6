/// The rank-generic implementations behind `shift1d`/`shift2d`/`shift3d` and their backward.
@usableFromInline
enum ShiftOp {
    /// Validates, allocates the output dense in the input's dimension order, and runs the kernel.
    @inlinable
    static func forward<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, shifts: Tensor<T>, spatialRank: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> Tensor<T> {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank,
                                            mode: mode, padding: padding, geometry: geometry)
        let output = try Tensor<T>(uninitializedShape: problem.outputShape, order: input.dimensionOrder)
        if problem.hasNoOutput { return output }
        let table = ShiftTable(shifts)
        let plan = CPUPlan.forward(problem, LiftedStrides(input), LiftedStrides(output),
                                   elementSize: MemoryLayout<T>.stride, bitwiseCopyable: true, interpolates: true, shifts: table)
        plan.runForward(problem, input: StridedPointer(input), shifts: table, output: StridedPointer(output))
        return output
    }

    /// Like `forward`, writing into an existing output of the right shape (any strides).
    @inlinable
    static func forward<T: ShiftFloatingPoint>(
        _ input: Tensor<T>, shifts: Tensor<T>, spatialRank: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry, into output: inout Tensor<T>
    ) throws {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank,
                                            mode: mode, padding: padding, geometry: geometry)
        try problem.checkOutput(output, notSharingWith: input, shifts)
        if problem.hasNoOutput { return }
        output.makeUnique()
        let table = ShiftTable(shifts)
        let plan = CPUPlan.forward(problem, LiftedStrides(input), LiftedStrides(output),
                                   elementSize: MemoryLayout<T>.stride, bitwiseCopyable: true, interpolates: true, shifts: table)
        plan.runForward(problem, input: StridedPointer(input), shifts: table, output: StridedPointer(output))
    }

    /// Integer-shift forward of any element type: validates and moves data.
    @inlinable
    static func forward<Element: TensorElement, S: ShiftFloatingPoint>(
        _ input: Tensor<Element>, shifts: Tensor<S>, spatialRank: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry, fill: Element
    ) throws -> Tensor<Element> {
        guard mode != .active else {
            throw ShiftOpsError(.unsupportedMode, argument: "mode",
                                "active (interpolating) shifts need Float or Double tensors; use .sparse or .grouped for \(Element.self)")
        }
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank,
                                            mode: mode, padding: padding, geometry: geometry)
        let output = try Tensor<Element>(uninitializedShape: problem.outputShape, order: input.dimensionOrder)
        if problem.hasNoOutput { return output }
        let (xs, ys) = (LiftedStrides(input), LiftedStrides(output))
        let table = ShiftTable(shifts)
        let plan = CPUPlan.forward(problem, xs, ys, elementSize: MemoryLayout<Element>.stride,
                                   bitwiseCopyable: _isPOD(Element.self), interpolates: false, shifts: table)
        plan.runIntegerForward(problem, input: StridedPointer(input), shifts: table,
                               output: StridedPointer(output), fill: fill)
        return output
    }
}

#if CUDA
import CCUDART
import CShiftCUDA
import ShiftOps

/// The shift ops on device tensors: the CPU API with `CUDATensor` data (SPEC §8). Shifts stay a
/// small host table, validated by the same code as on the CPU and copied to the GPU per call.
/// Kernels run asynchronously on the default stream; errors of a launch are thrown at once,
/// errors during execution at the next copy back or ``CUDABackend/synchronize()``.
enum CUDAShiftOp {
    /// The C problem for a validated call.
    static func problem<T>(_ p: ShiftProblem, input: CUDATensor<T>, output: [Int], outputOrder: [Int],
                           gradInput: [Int]?, shiftStrides: [Int]) -> shiftcuda_problem {
        var c = shiftcuda_problem()
        c.batch = Int64(p.batch)
        c.channels = Int64(p.channels)
        c.in_size = tuple3(p.inputSize)
        c.out_size = tuple3(p.outputSize)
        c.step = tuple3(p.step)
        c.origin = tuple3(p.origin)
        c.x_stride = lifted(input.strides)
        c.y_stride = lifted(output)
        c.gx_stride = lifted(gradInput ?? input.strides)
        c.shift_stride = (Int64(shiftStrides[0]), Int64(shiftStrides[1]))
        // Lifted axes (length 1) go outermost; the rest follow the output's memory order.
        let k = p.spatialRank, lift = 3 - k
        let mapped = outputOrder.map { $0 < 2 ? $0 : $0 + lift }
        let order = (0..<lift).map { 2 + $0 } + mapped
        c.order = (Int32(order[0]), Int32(order[1]), Int32(order[2]), Int32(order[3]), Int32(order[4]))
        c.spatial_rank = Int32(k)
        switch p.mode {
        case .active: c.mode = Int32(SHIFTCUDA_ACTIVE)
        case .sparse: c.mode = Int32(SHIFTCUDA_SPARSE)
        case .grouped: c.mode = Int32(SHIFTCUDA_GROUPED)
        }
        switch p.padding {
        case .zeros: c.padding = Int32(SHIFTCUDA_ZEROS)
        case .border: c.padding = Int32(SHIFTCUDA_BORDER)
        case .periodic: c.padding = Int32(SHIFTCUDA_PERIODIC)
        case .reflect: c.padding = Int32(SHIFTCUDA_REFLECT)
        case .symmetric: c.padding = Int32(SHIFTCUDA_SYMMETRIC)
        }
        return c
    }

    static func tuple3(_ v: [Int]) -> (Int64, Int64, Int64) { (Int64(v[0]), Int64(v[1]), Int64(v[2])) }

    /// `[N, C, spatial...]` strides as `[n, c, d, h, w]`, lifted axes 0.
    static func lifted(_ s: [Int]) -> (Int64, Int64, Int64, Int64, Int64) {
        let full = [s[0], s[1]] + Array(repeating: 0, count: 5 - s.count) + s.dropFirst(2)
        return (Int64(full[0]), Int64(full[1]), Int64(full[2]), Int64(full[3]), Int64(full[4]))
    }

    static func forward<T: CUDAFloatingPoint>(_ input: CUDATensor<T>, shifts: Tensor<T>, spatialRank: Int,
                                              mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry) throws -> CUDATensor<T> {
        let backend = try CUDABackend.shared()
        let p = try ShiftProblem.make(inputShape: input.shape, shifts: shifts, spatialRank: spatialRank,
                                      mode: mode, padding: padding, geometry: geometry)
        let output = try CUDATensor<T>(shape: p.outputShape, dimensionOrder: input.dimensionOrder)
        let table = try CUDATensor<T>(shifts.contiguous())
        var c = problem(p, input: input, output: output.strides, outputOrder: output.dimensionOrder,
                        gradInput: nil, shiftStrides: [spatialRank, 1])
        let status: Int32
        if T.self == Float.self {
            status = backend.functions.forward_f32(&c, raw(input.pointer, Float.self), raw(table.pointer, Float.self),
                                                   raw(output.pointer, Float.self), nil)
        } else {
            status = backend.functions.forward_f64(&c, raw(input.pointer, Double.self), raw(table.pointer, Double.self),
                                                   raw(output.pointer, Double.self), nil)
        }
        try checkKernel(status, "shift forward")
        return output
    }

    static func backward<T: CUDAFloatingPoint>(gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: Tensor<T>,
                                               spatialRank: Int, mode: ShiftMode, padding: ShiftPadding,
                                               geometry: ShiftGeometry) throws -> (input: CUDATensor<T>, shifts: Tensor<T>?) {
        let backend = try CUDABackend.shared()
        let p = try ShiftProblem.make(inputShape: input.shape, shifts: shifts, spatialRank: spatialRank,
                                      mode: mode, padding: padding, geometry: geometry)
        guard gradOutput.shape == p.outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                                "expected the output's shape \(p.outputShape), got \(gradOutput.shape)")
        }
        let gradInput = try CUDATensor<T>(shape: input.shape, dimensionOrder: input.dimensionOrder)
        let table = try CUDATensor<T>(shifts.contiguous())
        var c = problem(p, input: input, output: gradOutput.strides, outputOrder: input.dimensionOrder,
                        gradInput: gradInput.strides, shiftStrides: [spatialRank, 1])
        let learns = mode.learnsShifts
        let gradShifts = learns ? try CUDATensor<T>(shape: [p.channels, spatialRank], dimensionOrder: [0, 1]) : nil
        let workspace = try CUDATensor<T>(shape: [Int(backend.functions.backward_workspace(&c))], dimensionOrder: [0])
        let status: Int32
        if T.self == Float.self {
            status = backend.functions.backward_f32(&c, raw(input.pointer, Float.self), raw(table.pointer, Float.self),
                                                    raw(gradOutput.pointer, Float.self), raw(gradInput.pointer, Float.self),
                                                    learns ? raw(gradShifts!.pointer, Float.self) : nil,
                                                    raw(workspace.pointer, Float.self), nil)
        } else {
            status = backend.functions.backward_f64(&c, raw(input.pointer, Double.self), raw(table.pointer, Double.self),
                                                    raw(gradOutput.pointer, Double.self), raw(gradInput.pointer, Double.self),
                                                    learns ? raw(gradShifts!.pointer, Double.self) : nil,
                                                    raw(workspace.pointer, Double.self), nil)
        }
        try checkKernel(status, "shift backward")
        return (gradInput, try gradShifts?.host())
    }
}

/// A typed device pointer as the C interface's element type (the caller checked `T`).
func raw<T, U>(_ pointer: UnsafeMutablePointer<T>?, _: U.Type) -> UnsafeMutablePointer<U>? {
    pointer.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: U.self) }
}
#endif

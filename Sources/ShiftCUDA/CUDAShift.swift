#if CUDA
import CCUDART
import CShiftCUDA
import ShiftOps

/// Where a call's shifts live: a host table (validated like the CPU's, then uploaded on the op's
/// stream) or a device tensor (used in place; not read back unless `SHIFTOPS_CUDA_SYNC` is on).
enum CUDAShiftSource<T: CUDAFloatingPoint> {
    case host(Tensor<T>)
    case device(CUDATensor<T>)

    var shape: [Int] {
        switch self {
        case .host(let t): t.shape
        case .device(let t): t.shape
        }
    }
}

/// The shift ops on device tensors: the CPU API with `CUDATensor` data (SPEC §8). Kernels run
/// asynchronously on ``CUDABackend/stream``: an op validates, enqueues and returns.
enum CUDAShiftOp {
    /// The C problem for a validated call.
    static func problem(_ p: ShiftProblem, input: [Int], output: [Int], outputOrder: [Int],
                        gradInput: [Int]?) -> shiftcuda_problem {
        var c = shiftcuda_problem()
        c.batch = Int64(p.batch)
        c.channels = Int64(p.channels)
        c.in_size = tuple3(p.inputSize)
        c.out_size = tuple3(p.outputSize)
        c.step = tuple3(p.step)
        c.origin = tuple3(p.origin)
        c.x_stride = lifted(input)
        c.y_stride = lifted(output)
        c.gx_stride = lifted(gradInput ?? input)
        c.shift_stride = (Int64(p.spatialRank), 1)  // device shift tables are dense [C, k]
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

    /// Validates a call with the CPU's checks and gives the shifts as a dense device table.
    ///
    /// Host shifts are checked as on the CPU. Device shifts are checked for shape only; their
    /// values are read back and checked only with `SHIFTOPS_CUDA_SYNC` on (SPEC §7), otherwise a
    /// non-finite one makes its channel NaN in the kernels.
    static func prepare<T: CUDAFloatingPoint>(inputShape: [Int], shifts: CUDAShiftSource<T>, spatialRank: Int,
                                              mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry) throws
        -> (ShiftProblem, CUDATensor<T>) {
        switch shifts {
        case .host(let table):
            let p = try ShiftProblem.make(inputShape: inputShape, shifts: table, spatialRank: spatialRank,
                                          mode: mode, padding: padding, geometry: geometry)
            return (p, try CUDATensor(table.contiguous()))
        case .device(let table):
            let values: Tensor<T>
            if CUDABackend.synchronousChecks {
                values = try table.host()
            } else {
                // The CPU's checks on the shape alone: a stand-in table of zeros passes the value
                // checks, which the device shifts skip.
                guard table.shape.count == 2 else {
                    throw ShiftOpsError(.shapeMismatch, argument: "shifts",
                                        "expected shape [C, \(spatialRank)] (one shift per channel and spatial axis), got \(table.shape)")
                }
                values = try Tensor<T>(shape: table.shape, repeating: 0)
            }
            let p = try ShiftProblem.make(inputShape: inputShape, shifts: values, spatialRank: spatialRank,
                                          mode: mode, padding: padding, geometry: geometry)
            guard table.dimensionOrder == [0, 1] else {
                throw ShiftOpsError(.invalidArgument, argument: "shifts", "expected a row-major [C, k] device tensor")
            }
            return (p, table)
        }
    }

    static func forward<T: CUDAElement>(_ input: CUDATensor<T>, shifts: CUDAShiftSource<T.Compute>, spatialRank: Int,
                                              mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry,
                                              into target: CUDATensor<T>? = nil) throws -> CUDATensor<T> {
        let backend = try CUDABackend.shared()
        let (p, table) = try prepare(inputShape: input.shape, shifts: shifts, spatialRank: spatialRank,
                                     mode: mode, padding: padding, geometry: geometry)
        let output: CUDATensor<T>
        if let target {
            guard target.shape == p.outputShape else {
                throw ShiftOpsError(.shapeMismatch, argument: "output", "expected shape \(p.outputShape), got \(target.shape)")
            }
            guard !target.sharesMemory(with: input) && !target.sharesMemory(with: table) else {
                throw ShiftOpsError(.aliasedOutput, argument: "output", "shares device memory with the input or the shifts")
            }
            output = target
        } else {
            output = try CUDATensor<T>(shape: p.outputShape, dimensionOrder: input.dimensionOrder)
        }
        var c = problem(p, input: input.strides, output: output.strides, outputOrder: output.dimensionOrder, gradInput: nil)
        let status: Int32
        if T.self == Float.self {
            status = backend.functions.forward_f32(&c, raw(input.pointer, Float.self), raw(table.pointer, Float.self),
                                                   raw(output.pointer, Float.self), CUDABackend.streamArgument)
        } else if T.self == Double.self {
            status = backend.functions.forward_f64(&c, raw(input.pointer, Double.self), raw(table.pointer, Double.self),
                                                   raw(output.pointer, Double.self), CUDABackend.streamArgument)
        } else {
            status = backend.functions.forward_f16(&c, raw(input.pointer, UInt16.self), raw(table.pointer, Float.self),
                                                   raw(output.pointer, UInt16.self), CUDABackend.streamArgument)
        }
        try checkKernel(status, "shift forward")
        try backend.finish("shift forward")
        return output
    }

    static func backward<T: CUDAElement>(gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDAShiftSource<T.Compute>,
                                               spatialRank: Int, mode: ShiftMode, padding: ShiftPadding,
                                               geometry: ShiftGeometry,
                                               into target: CUDAShiftGradients<T>? = nil) throws -> CUDAShiftGradients<T> {
        let backend = try CUDABackend.shared()
        let (p, table) = try prepare(inputShape: input.shape, shifts: shifts, spatialRank: spatialRank,
                                     mode: mode, padding: padding, geometry: geometry)
        guard gradOutput.shape == p.outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                                "expected the output's shape \(p.outputShape), got \(gradOutput.shape)")
        }
        let learns = mode.learnsShifts
        let gradInput: CUDATensor<T>, gradShifts: CUDATensor<T.Compute>?
        if let target {
            guard target.input.shape == input.shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "gradients.input", "expected shape \(input.shape), got \(target.input.shape)")
            }
            guard (target.shifts?.shape ?? []) == (learns ? [p.channels, spatialRank] : []),
                  target.shifts?.dimensionOrder ?? [0, 1] == [0, 1] else {
                throw ShiftOpsError(.shapeMismatch, argument: "gradients.shifts",
                                    learns ? "expected a row-major [\(p.channels), \(spatialRank)] tensor" : "expected nil: \(mode) shifts do not learn")
            }
            func aliases<U>(_ tensor: CUDATensor<U>) -> Bool {
                tensor.sharesMemory(with: input) || tensor.sharesMemory(with: gradOutput) || tensor.sharesMemory(with: table)
            }
            if aliases(target.input) {
                throw ShiftOpsError(.aliasedOutput, argument: "gradients.input", "shares device memory with an input")
            }
            if let shifts = target.shifts, aliases(shifts) {
                throw ShiftOpsError(.aliasedOutput, argument: "gradients.shifts", "shares device memory with an input")
            }
            if let shifts = target.shifts, shifts.sharesMemory(with: target.input) {
                throw ShiftOpsError(.aliasedOutput, argument: "gradients.shifts", "shares device memory with gradients.input")
            }
            (gradInput, gradShifts) = (target.input, target.shifts)
        } else {
            gradInput = try CUDATensor<T>(shape: input.shape, dimensionOrder: input.dimensionOrder)
            gradShifts = learns ? try CUDATensor<T.Compute>(shape: [p.channels, spatialRank], dimensionOrder: [0, 1]) : nil
        }
        var c = problem(p, input: input.strides, output: gradOutput.strides, outputOrder: gradInput.dimensionOrder,
                        gradInput: gradInput.strides)
        // Stream-ordered scratch for the per-(plane, tile) partial sums: back to the pool when
        // this call returns, after the kernels queued before its free.
        let workspace = try CUDATensor<T.Compute>(shape: [learns ? Int(backend.functions.backward_workspace(&c)) : 0],
                                                  dimensionOrder: [0])
        let status: Int32
        if T.self == Float.self {
            status = backend.functions.backward_f32(&c, raw(input.pointer, Float.self), raw(table.pointer, Float.self),
                                                    raw(gradOutput.pointer, Float.self), raw(gradInput.pointer, Float.self),
                                                    raw(gradShifts?.pointer, Float.self),
                                                    raw(workspace.pointer, Float.self), CUDABackend.streamArgument)
        } else if T.self == Double.self {
            status = backend.functions.backward_f64(&c, raw(input.pointer, Double.self), raw(table.pointer, Double.self),
                                                    raw(gradOutput.pointer, Double.self), raw(gradInput.pointer, Double.self),
                                                    raw(gradShifts?.pointer, Double.self),
                                                    raw(workspace.pointer, Double.self), CUDABackend.streamArgument)
        } else {
            status = backend.functions.backward_f16(&c, raw(input.pointer, UInt16.self), raw(table.pointer, Float.self),
                                                    raw(gradOutput.pointer, UInt16.self), raw(gradInput.pointer, UInt16.self),
                                                    raw(gradShifts?.pointer, Float.self),
                                                    raw(workspace.pointer, Float.self), CUDABackend.streamArgument)
        }
        try checkKernel(status, "shift backward")
        try backend.finish("shift backward")
        return CUDAShiftGradients(input: gradInput, shifts: gradShifts)
    }
}

/// The gradients of a GPU shift, both on the GPU: the device form of ShiftOps' `ShiftGradients`,
/// with the same field names. For `Float16` data the shift gradient is `Float` (`T.Compute`).
public struct CUDAShiftGradients<T: CUDAElement>: Sendable {
    /// `dL/dx`, the input's shape and dimension order.
    public var input: CUDATensor<T>
    /// `dL/ds`, shape `[C, k]`, row-major; nil for grouped shifts, which do not learn.
    public var shifts: CUDATensor<T.Compute>?

    /// Both gradients, as the backward ops return them.
    public init(input: CUDATensor<T>, shifts: CUDATensor<T.Compute>?) {
        self.input = input
        self.shifts = shifts
    }
}

extension CUDAShiftGradients where T: CUDAFloatingPoint {
    /// Both gradients copied to the host, as the CPU's backward returns them.
    public func host() throws -> ShiftGradients<T> {
        ShiftGradients(input: try input.host(), shifts: try shifts?.host())
    }
}

extension CUDAShiftGradients where T == Float16 {
    /// Both gradients copied to the host, the input gradient widened to `Float`.
    public func host() throws -> ShiftGradients<Float> {
        ShiftGradients(input: try input.host(), shifts: try shifts?.host())
    }
}

/// A typed device pointer as the C interface's element type (the caller checked `T`).
func raw<T, U>(_ pointer: UnsafeMutablePointer<T>?, _: U.Type) -> UnsafeMutablePointer<U>? {
    pointer.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: U.self) }
}
#endif

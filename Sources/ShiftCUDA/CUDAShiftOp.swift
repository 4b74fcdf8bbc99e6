#if CUDA
import CCUDART
import CShiftCUDA
import ShiftOps

/// The shift ops on device tensors behind the public functions: the CPU's validation, then the
/// element type's entry points of the kernels library. Kernels run asynchronously on
/// ``CUDABackend``'s stream: an op validates, enqueues and returns.
///
/// Every check comes before the backend is loaded, so that a bad argument gets the same error on
/// a machine without a GPU (where the tests of the checks run) as on one with a GPU.
enum CUDAShiftOp {
    /// The C problem for a validated call.
    static func problem(_ p: ShiftProblem, input: [Int], output: [Int], outputOrder: [Int],
                        gradInput: [Int]?, shiftStrides: [Int]) -> shiftcuda_problem {
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

    /// The input's spatial rank (its rank minus 2), or the CPU's error naming `input`.
    static func spatialRank<T>(of input: CUDATensor<T>) throws -> Int {
        let k = input.shape.count - 2
        guard (1...3).contains(k) else {
            throw ShiftOpsError(.invalidRank, argument: "input",
                                "expected rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W]), got rank \(input.shape.count) with shape \(input.shape)")
        }
        return k
    }

    /// Validates a call with the CPU's checks and gives the shifts as a device table.
    ///
    /// Host shifts are checked in full and uploaded. Device shifts are checked for shape without
    /// any host allocation; their values only with `SHIFTOPS_CUDA_SYNC` on.
    static func prepare<T: CUDAFloatingPoint>(inputShape: [Int], shifts: CUDAShiftTable<T>, spatialRank: Int,
                                              mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry) throws
        -> (ShiftProblem, CUDATensor<T>) {
        switch shifts.place {
        case .host(let table):
            let p = try ShiftProblem.make(inputShape: inputShape, shifts: table, spatialRank: spatialRank,
                                          mode: mode, padding: padding, geometry: geometry)
            return (p, try CUDATensor(table))
        case .device(let table):
            let p = try ShiftProblem.make(inputShape: inputShape, shiftsShape: table.shape, of: T.self,
                                          spatialRank: spatialRank, mode: mode, padding: padding, geometry: geometry)
            if CUDABackend.synchronousChecks {
                try ShiftProblem.checkValues(of: try table.host(), mode: mode)
            }
            return (p, table)
        }
    }

    static func forward<T: CUDAElement>(_ input: CUDATensor<T>, shifts: CUDAShiftTable<T.Compute>, spatialRank: Int?,
                                        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry,
                                        into target: CUDATensor<T>? = nil) throws -> CUDATensor<T> {
        let k = try spatialRank ?? Self.spatialRank(of: input)
        let (p, table) = try prepare(inputShape: input.shape, shifts: shifts, spatialRank: k,
                                     mode: mode, padding: padding, geometry: geometry)
        let output: CUDATensor<T>
        if let target {
            guard target.shape == p.outputShape else {
                throw ShiftOpsError(.shapeMismatch, argument: "output", "expected shape \(p.outputShape), got \(target.shape)")
            }
            guard !target.sharesStorage(with: input) && !target.sharesStorage(with: table) else {
                throw ShiftOpsError(.aliasedOutput, argument: "output", "shares device memory with the input or the shifts")
            }
            try target.checkWritable(argument: "output")
            output = target
        } else {
            output = try CUDATensor<T>(shape: p.outputShape, order: input.dimensionOrder)
        }
        var c = problem(p, input: input.strides, output: output.strides, outputOrder: output.dimensionOrder,
                        gradInput: nil, shiftStrides: table.strides)
        let backend = try CUDABackend.shared()
        let status = T.cudaKernels.forward(backend.functions, &c, input.pointer, table.pointer, output.pointer,
                                           CUDABackend.streamArgument)
        try checkKernel(status, "shift forward")
        try backend.finish("shift forward")
        return output
    }

    static func backward<T: CUDAElement>(gradOutput: CUDATensor<T>, input: CUDATensor<T>, shifts: CUDAShiftTable<T.Compute>,
                                         spatialRank: Int?, mode: ShiftMode, padding: ShiftPadding,
                                         geometry: ShiftGeometry,
                                         into target: CUDAShiftGradients<T>? = nil) throws -> CUDAShiftGradients<T> {
        let k = try spatialRank ?? Self.spatialRank(of: input)
        let (p, table) = try prepare(inputShape: input.shape, shifts: shifts, spatialRank: k,
                                     mode: mode, padding: padding, geometry: geometry)
        guard gradOutput.shape == p.outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                                "expected the output's shape \(p.outputShape), got \(gradOutput.shape)")
        }
        let learns = mode.learnsShifts
        let gradInput: CUDATensor<T>, gradShifts: CUDATensor<T.Compute>?
        if let target {
            try check(target, input: input, gradOutput: gradOutput, table: table, channels: p.channels,
                      spatialRank: k, mode: mode)
            (gradInput, gradShifts) = (target.input, target.shifts)
        } else {
            gradInput = try CUDATensor<T>(shape: input.shape, order: input.dimensionOrder)
            gradShifts = learns ? try CUDATensor<T.Compute>(shape: [p.channels, k], order: [0, 1]) : nil
        }
        var c = problem(p, input: input.strides, output: gradOutput.strides, outputOrder: gradInput.dimensionOrder,
                        gradInput: gradInput.strides, shiftStrides: table.strides)
        let backend = try CUDABackend.shared()
        // Stream-ordered scratch for the per-(plane, tile) partial sums: back to the pool when
        // this call returns, after the kernels queued before its free.
        let workspace = try CUDATensor<T.Compute>(shape: [learns ? Int(backend.functions.backward_workspace(&c)) : 0],
                                                  order: [0])
        let status = T.cudaKernels.backward(backend.functions, &c, input.pointer, table.pointer, gradOutput.pointer,
                                            gradInput.pointer, gradShifts?.pointer, workspace.pointer,
                                            CUDABackend.streamArgument)
        try checkKernel(status, "shift backward")
        try backend.finish("shift backward")
        return CUDAShiftGradients(input: gradInput, shifts: gradShifts)
    }

    /// The checks of the gradients a backward writes into: shapes, and no memory shared with
    /// what the call reads or with each other.
    static func check<T: CUDAElement>(_ target: CUDAShiftGradients<T>, input: CUDATensor<T>, gradOutput: CUDATensor<T>,
                                      table: CUDATensor<T.Compute>, channels: Int, spatialRank k: Int,
                                      mode: ShiftMode) throws {
        guard target.input.shape == input.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradients.input", "expected shape \(input.shape), got \(target.input.shape)")
        }
        // The kernels write the shift gradient dense and row-major.
        let learns = mode.learnsShifts
        guard (target.shifts?.shape ?? []) == (learns ? [channels, k] : []),
              target.shifts.map({ $0.dimensionOrder == [0, 1] && $0.isDense }) ?? true else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradients.shifts",
                                learns ? "expected a row-major [\(channels), \(k)] tensor" : "expected nil: \(mode) shifts do not learn")
        }
        func aliases<U>(_ tensor: CUDATensor<U>) -> Bool {
            tensor.sharesStorage(with: input) || tensor.sharesStorage(with: gradOutput) || tensor.sharesStorage(with: table)
        }
        if aliases(target.input) {
            throw ShiftOpsError(.aliasedOutput, argument: "gradients.input", "shares device memory with an input")
        }
        if let shifts = target.shifts, aliases(shifts) {
            throw ShiftOpsError(.aliasedOutput, argument: "gradients.shifts", "shares device memory with an input")
        }
        if let shifts = target.shifts, shifts.sharesStorage(with: target.input) {
            throw ShiftOpsError(.aliasedOutput, argument: "gradients.shifts", "shares device memory with gradients.input")
        }
        try target.input.checkWritable(argument: "gradients.input")
        try target.shifts?.checkWritable(argument: "gradients.shifts")
    }
}
#endif

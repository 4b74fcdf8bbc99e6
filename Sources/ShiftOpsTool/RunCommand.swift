import ShiftOps

/// `shiftops run`: one op on `.npy` files, so results can be compared with NumPy or PyTorch.
enum RunCommand {
    static let help = """
        usage: shiftops run --mode active|sparse|grouped --padding zeros|border|periodic|reflect|symmetric
                            --input x.npy --shifts s.npy --output y.npy
                            [--stride S|S,S,..] [--origin O|O,O,..] [--output-size L,L,..]
                            [--grad-output g.npy --grad-input gx.npy [--grad-shifts gs.npy]] [--device cpu]
          The input is [N, C, L], [N, C, H, W] or [N, C, D, H, W] (float32 or float64); the shifts
          [C, k] of the same element type. Positive shifts move content toward higher indices.
        """

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let options = try Options(arguments, valued: [
            "mode", "padding", "input", "shifts", "output", "stride", "origin", "output-size",
            "grad-output", "grad-input", "grad-shifts", "device",
        ])
        let device = options.string("device") ?? "cpu"
        guard device == "cpu" else {
            throw UsageError("--device expects cpu (this build has no CUDA backend), got '\(device)'")
        }
        let request = try Request(options)
        let header = try NumPyFile.header(atPath: request.input)
        switch header.typeCode {
        case Float.numpyTypeCode: try request.perform(Float.self)
        case Double.numpyTypeCode: try request.perform(Double.self)
        default:
            throw UsageError("\(request.input): expected float32 or float64 elements, found '\(header.typeCode)'")
        }
        output("wrote \(request.outputs.joined(separator: ", "))")
    }

    /// A parsed `run` invocation.
    struct Request {
        var mode: ShiftMode
        var padding: ShiftPadding
        var input, shifts, output: String
        var geometry: ShiftGeometry
        var gradOutput, gradInput, gradShifts: String?

        init(_ options: Options) throws {
            mode = try options.choice("mode", as: ShiftMode.self) ?? .active
            padding = try options.choice("padding", as: ShiftPadding.self) ?? .zeros
            input = try options.required("input")
            shifts = try options.required("shifts")
            output = try options.required("output")
            geometry = ShiftGeometry(stride: try options.integers("stride") ?? [1],
                                     origin: try options.integers("origin") ?? [0],
                                     outputSize: try options.integers("output-size"))
            gradOutput = options.string("grad-output")
            gradInput = options.string("grad-input")
            gradShifts = options.string("grad-shifts")
            if (gradOutput == nil) != (gradInput == nil) {
                throw UsageError("--grad-output and --grad-input go together")
            }
            if gradShifts != nil && gradOutput == nil {
                throw UsageError("--grad-shifts needs --grad-output and --grad-input")
            }
        }

        var outputs: [String] {
            var files = [output]
            if let gradInput { files.append(gradInput) }
            if let gradShifts, mode.learnsShifts { files.append(gradShifts) }
            return files
        }

        /// Computes everything first and writes files only when all of it succeeded.
        func perform<T: ShiftFloatingPoint>(_: T.Type) throws {
            let x = try Tensor<T>(npyFile: input)
            let s = try Tensor<T>(npyFile: shifts)
            let k = x.rank - 2
            guard (1...3).contains(k) else {
                throw UsageError("\(input): expected rank 3, 4 or 5 ([N, C, spatial...]), got shape \(x.shape)")
            }
            let y: Tensor<T>
            switch k {
            case 1: y = try shift1d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            case 2: y = try shift2d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            default: y = try shift3d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            }
            var gradients: ShiftGradients<T>?
            if let gradOutput {
                let g = try Tensor<T>(npyFile: gradOutput)
                switch k {
                case 1: gradients = try shift1dBackward(gradOutput: g, input: x, shifts: s, mode: mode,
                                                        padding: padding, geometry: geometry)
                case 2: gradients = try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode,
                                                        padding: padding, geometry: geometry)
                default: gradients = try shift3dBackward(gradOutput: g, input: x, shifts: s, mode: mode,
                                                         padding: padding, geometry: geometry)
                }
            }
            try y.save(npyFile: output)
            if let gradients, let gradInput {
                try gradients.input.save(npyFile: gradInput)
                if let gradShifts, let table = gradients.shifts { try table.save(npyFile: gradShifts) }
            }
        }
    }
}

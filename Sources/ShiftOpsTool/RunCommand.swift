import Foundation
import ShiftOps

/// `shiftops run`: one op on `.npy` files, so results can be compared with NumPy or PyTorch.
enum RunCommand {
    static let help = """
        usage: shiftops run --mode active|sparse|grouped --padding zeros|border|periodic|reflect|symmetric
                            --input x.npy --shifts s.npy --output y.npy
                            [--stride S|S,S,..] [--origin O|O,O,..] [--output-size L,L,..]
                            [--grad-output g.npy --grad-input gx.npy [--grad-shifts gs.npy]] [--device cpu|cuda]
          The input is [N, C, L], [N, C, H, W] or [N, C, D, H, W] (float32 or float64); the shifts
          [C, k] of the same element type. Positive shifts move content toward higher indices.
          Each output is written atomically, all or none; an output path must be new or a regular
          file (not a FIFO, device or directory), and no two outputs may name the same file.
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
        guard device == "cpu" || device == "cuda" else {
            throw UsageError("--device expects cpu or cuda, got '\(device)'")
        }
        #if !CUDA
        guard device == "cpu" else {
            throw UsageError("--device cuda: this build has no CUDA backend; build with 'swift build --traits CUDA'")
        }
        #endif
        var request = try Request(options)
        request.onGPU = device == "cuda"
        try checkOutputs(request.namedOutputs)
        // One open per input: the header picks the element type, the same reader then reads the data.
        let input = try NumPyFile.Reader(path: request.input)
        switch input.header.typeCode {
        case Float.numpyTypeCode: try request.perform(Float.self, input: input)
        case Double.numpyTypeCode: try request.perform(Double.self, input: input)
        default:
            throw UsageError("\(request.input): expected float32 or float64 elements, found '\(input.header.typeCode)'")
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
        var onGPU = false

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

        /// Every output path given, with its option, written or not.
        var namedOutputs: [(option: String, path: String)] {
            [("output", output)] + [("grad-input", gradInput), ("grad-shifts", gradShifts)].compactMap { option, path in
                path.map { (option, $0) }
            }
        }

        var outputs: [String] {
            var files = [output]
            if let gradInput { files.append(gradInput) }
            if let gradShifts, mode.learnsShifts { files.append(gradShifts) }
            return files
        }

        /// Computes everything first, then writes every file or none (``writeAll(_:)``).
        func perform<T: ShiftFloatingPoint>(_: T.Type, input file: NumPyFile.Reader) throws {
            let x: Tensor<T> = try file.tensor()
            let s = try Tensor<T>(npyFile: shifts)
            let k = x.rank - 2
            guard (1...3).contains(k) else {
                throw UsageError("\(input): expected rank 3, 4 or 5 ([N, C, spatial...]), got shape \(x.shape)")
            }
            // The input given again as the output gradient is not read a second time.
            let g = try gradOutput.map { $0 == input ? x : try Tensor<T>(npyFile: $0) }
            let (y, gradients) = onGPU ? try onDevice(x, s, g) : try onHost(x, s, g)
            var files: [(path: String, tensor: Tensor<T>)] = [(output, y)]
            if let gradients, let gradInput {
                files.append((gradInput, gradients.input))
                if let gradShifts, let table = gradients.shifts { files.append((gradShifts, table)) }
            }
            try RunCommand.writeAll(files.map { file in (file.path, { try file.tensor.save(npyFile: $0) }) })
        }

        func onHost<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>, _ g: Tensor<T>?) throws
            -> (Tensor<T>, ShiftGradients<T>?) {
            let y = try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            return (y, try g.map {
                try shiftBackward(gradOutput: $0, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
            })
        }

        func onDevice<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>, _ g: Tensor<T>?) throws
            -> (Tensor<T>, ShiftGradients<T>?) {
            #if CUDA
            if let x = x as? Tensor<Float>, let s = s as? Tensor<Float> {
                let (y, gradients) = try GPURun.apply(x, s, g as? Tensor<Float>, mode, padding, geometry)
                return (y as! Tensor<T>, gradients.map { ShiftGradients(input: $0.input as! Tensor<T>, shifts: $0.shifts as! Tensor<T>?) })
            }
            if let x = x as? Tensor<Double>, let s = s as? Tensor<Double> {
                let (y, gradients) = try GPURun.apply(x, s, g as? Tensor<Double>, mode, padding, geometry)
                return (y as! Tensor<T>, gradients.map { ShiftGradients(input: $0.input as! Tensor<T>, shifts: $0.shifts as! Tensor<T>?) })
            }
            #endif
            throw UsageError("--device cuda: this build has no CUDA backend; build with 'swift build --traits CUDA'")
        }
    }

    /// Refuses, before anything is read or computed, an output path that names an existing
    /// file other than a regular one (a FIFO, a device such as `/dev/null`, a directory: the
    /// atomic rename would replace it), and two options naming the same file (only the last
    /// write would survive). Paths are compared after resolving the folder's symbolic links,
    /// and existing files by identity, so `y.npy`, `./y.npy` and a hard link all collide.
    static func checkOutputs(_ outputs: [(option: String, path: String)]) throws {
        var seenPaths: [String: String] = [:]
        var seenFiles: [(device: UInt64, inode: UInt64, option: String)] = []
        for (option, path) in outputs {
            var info = stat()
            if stat(path, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFREG else {
                    throw UsageError("--\(option) \(path): is \(NumPyFile.kind(of: info.st_mode)), not a regular file; refusing to replace it")
                }
                let identity = (UInt64(info.st_dev), UInt64(info.st_ino))
                if let other = seenFiles.first(where: { $0.device == identity.0 && $0.inode == identity.1 }) {
                    throw UsageError("--\(other.option) and --\(option) name the same file (\(path)); each output needs its own")
                }
                seenFiles.append((identity.0, identity.1, option))
            }
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let key = url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
            if let other = seenPaths[key] {
                throw UsageError("--\(other) and --\(option) name the same file (\(path)); each output needs its own")
            }
            seenPaths[key] = option
        }
    }

    /// Writes every file or none: each goes to a temporary file beside its target, and the
    /// temporaries are renamed over the targets only once all of them were written. On a failed
    /// write the temporaries are removed and no target has changed. (A rename within one folder
    /// fails only if the folder changes under us; that is reported too.)
    static func writeAll(_ files: [(path: String, write: (String) throws -> Void)]) throws {
        var written: [(temporary: String, path: String)] = []
        do {
            // Checked again here, for callers that skipped checkOutputs and for a path that
            // became special since.
            try checkOutputs(files.map { (option: "output", path: $0.path) })
            for file in files {
                let url = URL(fileURLWithPath: file.path)
                let temporary = url.deletingLastPathComponent()
                    .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
                try file.write(temporary)
                written.append((temporary, file.path))
            }
        } catch {
            for file in written { try? FileManager.default.removeItem(atPath: file.temporary) }
            throw error
        }
        for file in written where rename(file.temporary, file.path) != 0 {
            let reason = String(cString: strerror(errno))
            for file in written { try? FileManager.default.removeItem(atPath: file.temporary) }
            throw ShiftOpsError(.invalidFile, argument: file.path, "cannot move the finished file into place (\(reason))")
        }
    }
}

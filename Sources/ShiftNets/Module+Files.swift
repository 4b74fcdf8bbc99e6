import Foundation
import ShiftOps

extension Module {
    /// Writes every parameter and buffer as `<path>.npy` in `directory` (PyTorch's `state_dict`
    /// names, e.g. `stage1.block0.conv1.weight.npy`), replacing the folder as a whole.
    ///
    /// The files are written into a new folder beside `directory`, flushed to disk, and that
    /// folder then takes `directory`'s place in one rename: a reader, or a later
    /// ``load(from:strict:checkingValues:)``, finds the old checkpoint or the new one, never a
    /// mix, even when the save fails or the process is killed part way. A symbolic link to a
    /// folder is kept; the folder it points to is replaced. Saves of one folder from several
    /// threads of one process at once each put a whole checkpoint in place in turn, and the last
    /// to do so stays; saves from several processes at once are not coordinated.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `module` for a bad layer name or two tensors under one
    ///   path (checked before anything is written), or `directory` when it is not a folder, holds
    ///   anything but `.npy` files (which the save would delete), or a file or folder cannot be
    ///   written. On a throw the old checkpoint is unchanged and no temporary folder is left.
    public func save(to directory: String) throws {
        let tensors = try checkedTensors(forFiles: true)
        try CheckpointWriter.write(tensors.map { entry in
            let value = entry.parameter.value
            return (name: entry.path + ".npy", write: { path in
                do {
                    try value.save(npyFile: path)
                } catch let error as ShiftOpsError {
                    throw ShiftOpsError(error.code, argument: "directory", "\(entry.path).npy: \(error.message)")
                }
            })
        }, to: directory)
    }

    /// Reads every parameter and buffer from `<path>.npy` in `directory`. Every file is checked
    /// and read before any value changes.
    ///
    /// Checkpoints written by any version of ``save(to:)`` load, and so do plain sets of `.npy`
    /// files (as exported from PyTorch's `state_dict`). When a save was interrupted after moving
    /// the old checkpoint aside, that old checkpoint is read.
    ///
    /// - Parameters:
    ///   - strict: when true (the default), a file the model has no tensor for, or a tensor with
    ///     no file, is an error; when false, extra files are ignored and tensors without a file
    ///     keep their values (PyTorch's `strict=False`).
    ///   - checkingValues: also refuse NaN or infinite values and a negative `running_var`.
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `module` for a bad layer name or two tensors under one
    ///   path (checked before anything is read), or `directory` for the first problem in network
    ///   order: a missing file, one that is not a regular file, a malformed or truncated file,
    ///   another element type, a shape other than the model's ("model has [32], file has [96]"), a
    ///   non-finite value; then for files the model does not have. Nothing changes on a throw.
    public func load(from directory: String, strict: Bool = true, checkingValues: Bool = false) throws {
        let tensors = try checkedTensors(forFiles: true)
        let folder = try CheckpointFolder(directory)
        guard let source = folder.readablePath() else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "\(directory) does not exist")
        }
        guard fileKind(source) == .directory else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "\(directory) is not a folder")
        }
        func failure(_ code: ShiftOpsError.Code, _ file: String, _ message: String) -> ShiftOpsError {
            ShiftOpsError(code, argument: "directory", "\(file) in \(directory): \(message)")
        }
        // Every header first, in network order, so that the first mismatch is named before any
        // data is read.
        var present: [NamedTensor<T>] = []
        for entry in tensors {
            let file = entry.path + ".npy", path = source + "/" + file
            switch fileKind(path) {
            case nil:
                if strict || fileKind(path, following: false) != nil {
                    throw failure(.invalidFile, file, "missing\(fileKind(path, following: false) != nil ? " (a broken symbolic link)" : "")")
                }
                continue
            case .regular: break
            default: throw failure(.invalidFile, file, "not a regular file")
            }
            let header: NumPyFile.Header
            do {
                header = try NumPyFile.header(atPath: path)
            } catch let error as ShiftOpsError {
                throw failure(error.code, file, error.message)
            }
            guard header.typeCode == T.numpyTypeCode else {
                throw failure(.invalidFile, file, "model has \(T.self) ('\(T.numpyTypeCode)') elements, file has '\(header.typeCode)'")
            }
            let shape = entry.parameter.value.shape
            guard header.shape == shape else {
                throw failure(.shapeMismatch, file, "model has \(shape), file has \(header.shape)")
            }
            let bytes = entry.parameter.value.count * MemoryLayout<T>.stride
            if let size = fileSize(path), size != header.dataOffset + bytes {
                throw failure(.invalidFile, file, "holds \(size) bytes, its header implies \(header.dataOffset + bytes) (truncated or padded)")
            }
            present.append(entry)
        }
        if strict {
            let expected = Set(tensors.map { $0.path + ".npy" })
            let entries: [String]
            do {
                entries = try FileManager.default.contentsOfDirectory(atPath: source)
            } catch {
                throw ShiftOpsError(.invalidFile, argument: "directory", "cannot list \(directory): \(error.localizedDescription)")
            }
            let unexpected = entries.filter { !expected.contains($0) }.sorted()
            if !unexpected.isEmpty {
                throw ShiftOpsError(.invalidFile, argument: "directory",
                                    "\(directory) holds \(unexpected.count) file(s) the model does not have: \(unexpected.prefix(8).joined(separator: ", "))\(unexpected.count > 8 ? ", ..." : "") (load with strict: false to ignore them)")
            }
        }
        var values: [Tensor<T>] = []
        for entry in present {
            let file = entry.path + ".npy"
            let value: Tensor<T>
            do {
                value = try Tensor<T>(npyFile: source + "/" + file)
            } catch let error as ShiftOpsError {
                throw failure(error.code, file, error.message)
            }
            // The file may have changed since its header was read.
            guard value.shape == entry.parameter.value.shape else {
                throw failure(.shapeMismatch, file, "model has \(entry.parameter.value.shape), file has \(value.shape)")
            }
            if checkingValues { try checkValues(value, of: entry, file: file, failure: failure) }
            values.append(value)
        }
        for (entry, value) in zip(present, values) { entry.parameter.value = value }
    }

    /// Refuses NaN, infinities, and a negative running variance (which BN would take the square
    /// root of).
    private func checkValues(_ value: Tensor<T>, of entry: NamedTensor<T>, file: String,
                             failure: (ShiftOpsError.Code, String, String) -> ShiftOpsError) throws {
        let isVariance = entry.path == "running_var" || entry.path.hasSuffix(".running_var")
        let bad: (index: Int, value: T)? = value.withDenseBuffer { x in
            x.firstIndex { !$0.isFinite || (isVariance && $0 < 0) }.map { ($0, x[$0]) }
        }
        guard let bad else { return }
        let expected = isVariance ? "finite values >= 0" : "finite values"
        throw failure(.invalidArgument, file, "expected \(expected), found \(bad.value) at element \(bad.index)")
    }
}

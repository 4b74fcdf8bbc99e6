import Foundation

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported element types are those of ``TensorElement``, little-endian, in C or Fortran order.
/// Writing is atomic: a failed save leaves no partial file behind.
public enum NumPyFile {
    /// Reads the header of the `.npy` file at `path`, and only the header: the file's size is
    /// checked against the one the header implies, but no data is read.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming `path`, for the reasons
    ///   ``Reader`` lists.
    public static func header(atPath path: String) throws -> Header {
        try Reader(path: path).header
    }

    /// Throws unless `path` is absent or an existing regular file (after symbolic links): an
    /// atomic write renames a new file over its target, which would turn a FIFO or device into
    /// a plain file, or fail late on a directory.
    static func refuseSpecialFile(atPath path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ShiftOpsError(.invalidFile, argument: path,
                                "is \(kind(of: info.st_mode)), not a regular file; refusing to replace it")
        }
    }
}

extension Tensor {
    /// Loads a `.npy` file whose element type is `Element`.
    ///
    /// The file is opened once, its header checked before any data is read (see
    /// ``NumPyFile/Reader``), and its data read straight into the tensor's storage.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming the path when the file is missing, not
    ///   a regular file, malformed, truncated or longer than its header says, big-endian,
    ///   structured or of another element type; ``ShiftOpsError/Code/outOfMemory`` naming the
    ///   path when its data does not fit in memory.
    public init(npyFile path: String) throws {
        self = try NumPyFile.Reader(path: path).tensor()
    }

    /// Saves the tensor as a C-order `.npy` file (format 1.0, or 2.0 for a very long header).
    ///
    /// The write is atomic: on failure no file, or the old one, is left at `path`. The file is
    /// written beside `path` and renamed over it, so an existing FIFO, device or directory at
    /// `path` would be replaced: that is refused instead.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming `path` when it names an existing file
    ///   that is not a regular file (a symbolic link is followed), when the rank exceeds
    ///   ``NumPyFile/maximumRank`` (the reader would refuse the file), or when the write fails.
    public func save(npyFile path: String) throws {
        try NumPyFile.refuseSpecialFile(atPath: path)
        guard rank <= NumPyFile.maximumRank else {
            throw ShiftOpsError(.invalidFile, argument: path,
                                "rank \(rank) exceeds the limit of \(NumPyFile.maximumRank) axes of a .npy file")
        }
        let dense = contiguous()
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let byteOrder = MemoryLayout<Element>.size == 1 ? "|" : "<"
        var dict = "{'descr': '\(byteOrder)\(Element.numpyTypeCode)', 'fortran_order': False, 'shape': \(shapeText), }"
        let version: UInt8 = dict.utf8.count + 12 < 65_536 ? 1 : 2
        let prefix = version == 1 ? 10 : 12
        let padded = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: padded - prefix - dict.utf8.count - 1) + "\n"
        var bytes = NumPyFile.magic + [version, 0]
        let length = dict.utf8.count
        bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                              : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        bytes += Array(dict.utf8)
        let byteCount = count * MemoryLayout<Element>.stride
        var data = Data(bytes)
        data.append(UnsafeBufferPointer(start: UnsafeRawPointer(dense.storage.base + dense.offset)
            .assumingMemoryBound(to: UInt8.self), count: byteCount))
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ShiftOpsError(.invalidFile, argument: path, "cannot write the file (\(error.localizedDescription))")
        }
    }
}

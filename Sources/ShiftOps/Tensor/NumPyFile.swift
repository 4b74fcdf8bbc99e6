import Foundation

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported element types are those of ``TensorElement``, little-endian, in C or Fortran order.
/// Reading is bounded: only regular files, a header of at most ``maximumHeaderLength`` bytes
/// parsed as the Python dict it is, and a file size checked against the header before any data
/// is read (``Reader``). Writing is atomic: a failed save leaves no partial file behind.
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

    /// Saves the tensor as a C-order `.npy` file (format 1.0).
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
        // At most 64 axes keep the header far below format 1.0's 65,535 bytes.
        let padded = (10 + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: padded - 10 - dict.utf8.count - 1) + "\n"
        let length = dict.utf8.count
        let header = NumPyFile.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
        try NumPyFile.writeAtomically(path, header: header, data: UnsafeRawPointer(dense.storage.base + dense.offset),
                                      byteCount: count * MemoryLayout<Element>.stride)
    }
}

extension NumPyFile {
    /// Writes `header` then `byteCount` bytes from `data` to a new file beside `path`, flushes it
    /// to the disk, and renames it over `path`: readers see the old file or the whole new one.
    /// The data is written from the tensor's own memory, never copied into a buffer first.
    static func writeAtomically(_ path: String, header: [UInt8], data: UnsafeRawPointer, byteCount: Int) throws {
        let name = (path as NSString).lastPathComponent
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).\(UUID().uuidString).tmp"
        func failure(_ what: String) -> ShiftOpsError {
            ShiftOpsError(.invalidFile, argument: path, "cannot write the file (\(what): \(String(cString: strerror(errno))))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure("create") }
        func writeAll(_ pointer: UnsafeRawPointer, _ count: Int) throws {
            var done = 0
            while done < count {
                let written = write(descriptor, pointer + done, min(count - done, 1 << 30))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write")
                }
                done += written
            }
        }
        do {
            try header.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
            try writeAll(data, byteCount)
            guard fsync(descriptor) == 0 else { throw failure("flush") }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        // A failed close can report a failed write (on network file systems): the file is not used.
        guard close(descriptor) == 0 else {
            let error = failure("close")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename")
            unlink(temporary)
            throw error
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension NumPyFile {
    /// An open `.npy` file whose header has been read and checked; its data is read by
    /// ``tensor(of:)``.
    ///
    /// Opening reads only the header, and refuses the file before reading any data when:
    /// - it is not a regular file (a FIFO, a device such as `/dev/zero` or a symbolic link to one,
    ///   a directory), so nothing blocks and nothing grows without bound;
    /// - its header is longer than ``NumPyFile/maximumHeaderLength``, is not a dictionary with
    ///   `descr`, `fortran_order` and `shape`, or lists more than ``NumPyFile/maximumRank`` axes;
    /// - its size is not the header's plus the bytes the shape and element type imply (a
    ///   truncated file, or extra data after the array), the implied size checked for overflow.
    ///   Types whose element size the code does not spell are left to ``tensor(of:)`` to refuse.
    ///
    /// Use it to look at the element type and then read the data with one open of the file:
    ///
    /// ```swift
    /// let file = try NumPyFile.Reader(path: "x.npy")
    /// if file.header.typeCode == "f8" { let x: Tensor<Double> = try file.tensor() }
    /// ```
    ///
    /// The descriptor is closed when the reader is released. A reader is not meant to be shared
    /// between threads.
    public final class Reader {
        /// The path the file was opened at.
        public let path: String
        /// The checked header.
        public let header: Header
        /// The file's size when it was opened; the data is `size - header.dataOffset` bytes.
        public let size: Int
        private let descriptor: Int32

        /// Opens the file at `path` and reads its header.
        ///
        /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming `path` when the file cannot be
        ///   opened, is not a regular file, has a malformed, oversized or unsupported header, or
        ///   a size other than its header implies.
        public init(path: String) throws {
            self.path = path
            // Non-blocking, so that opening a FIFO with no writer returns at once instead of
            // waiting for one; the type check below then refuses it.
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                throw ShiftOpsError(.invalidFile, argument: path, "cannot read the file (\(String(cString: strerror(errno))))")
            }
            self.descriptor = descriptor
            var info = stat()
            guard fstat(descriptor, &info) == 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw ShiftOpsError(.invalidFile, argument: path, "cannot read the file (\(reason))")
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                close(descriptor)
                throw ShiftOpsError(.invalidFile, argument: path,
                                    "is \(NumPyFile.kind(of: info.st_mode)), not a regular file; a .npy file must be one")
            }
            size = Int(info.st_size)
            do {
                header = try NumPyFile.readHeader(descriptor, size: size, path: path)
            } catch {
                close(descriptor)
                throw error
            }
        }

        deinit { close(descriptor) }

        /// Reads the data into a new dense tensor (row-major, or column-major for a Fortran-order
        /// file), straight into its storage: the file is read once and held once.
        ///
        /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming the path when the file holds
        ///   another element type or changed size since it was opened;
        ///   ``ShiftOpsError/Code/outOfMemory`` naming the path when there is no memory for it.
        public func tensor<Element: TensorElement>(of _: Element.Type = Element.self) throws -> Tensor<Element> {
            guard header.typeCode == Element.numpyTypeCode else {
                throw ShiftOpsError(.invalidFile, argument: path,
                                    "holds '\(header.typeCode)' elements, expected '\(Element.numpyTypeCode)' (\(Element.self))")
            }
            // Fortran order is row-major order of the reversed axes.
            let order = header.fortranOrder ? Array(header.shape.indices.reversed()) : Array(header.shape.indices)
            let tensor: Tensor<Element>
            do {
                tensor = try Tensor(uninitializedShape: header.shape, order: order)
            } catch let error as ShiftOpsError {
                throw ShiftOpsError(error.code, argument: path, error.message)
            }
            try NumPyFile.read(descriptor, into: UnsafeMutableRawPointer(tensor.storage.base),
                               byteCount: tensor.count * MemoryLayout<Element>.stride,
                               at: header.dataOffset, path: path)
            return tensor
        }
    }

    /// Words for a file type that is not a regular file.
    package static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    /// Reads exactly `byteCount` bytes at `offset`, or throws naming `path` (a file that ended
    /// early changed after it was opened).
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, byteCount: Int, at offset: Int,
                     path: String) throws {
        var done = 0
        while done < byteCount {
            // One call moves at most about 2 GiB on Linux; larger reads are split.
            let count = pread(descriptor, buffer + done, min(byteCount - done, 1 << 30), off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw ShiftOpsError(.invalidFile, argument: path, "cannot read the file (\(String(cString: strerror(errno))))")
            }
            guard count > 0 else {
                throw ShiftOpsError(.invalidFile, argument: path,
                                    "the file ended after \(offset + done) bytes while being read (it changed after it was opened)")
            }
            done += count
        }
    }

    /// Reads and checks the header of the open regular file `descriptor` of `size` bytes.
    static func readHeader(_ descriptor: Int32, size: Int, path: String) throws -> Header {
        func bad(_ why: String) -> ShiftOpsError {
            ShiftOpsError(.invalidFile, argument: path, "not a valid .npy file: \(why)")
        }
        func bytes(_ count: Int, at offset: Int) throws -> [UInt8] {
            var result = [UInt8](repeating: 0, count: count)
            try result.withUnsafeMutableBytes { try read(descriptor, into: $0.baseAddress!, byteCount: count, at: offset, path: path) }
            return result
        }
        guard size >= 10 else { throw bad("\(size) bytes, shorter than the smallest header") }
        let start = try bytes(10, at: 0)
        guard Array(start[0..<6]) == magic else { throw bad("missing the \\x93NUMPY magic") }
        let (major, minor) = (start[6], start[7])
        let headerLength: Int
        let textStart: Int
        switch (major, minor) {
        case (1, 0):
            headerLength = Int(start[8]) | Int(start[9]) << 8
            textStart = 10
        case (2, 0), (3, 0):
            guard size >= 12 else { throw bad("truncated header") }
            let length = start[8...] + (try bytes(2, at: 10))
            headerLength = length.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            textStart = 12
        default:
            throw bad("unsupported format version \(major).\(minor)")
        }
        guard headerLength <= maximumHeaderLength else {
            throw bad("a header of \(headerLength) bytes exceeds the limit of \(maximumHeaderLength)")
        }
        guard textStart + headerLength <= size else {
            throw bad("truncated header (\(headerLength) bytes announced, \(size - textStart) in the file)")
        }
        let dataOffset = textStart + headerLength
        let header = try parseHeader(bytes(headerLength, at: textStart), major: major, dataOffset: dataOffset, path: path)
        if let itemSize = itemSize(of: header.typeCode) {
            let expected = try dataByteCount(header.shape, itemSize: itemSize, path: path)
            guard size - dataOffset == expected else {
                throw ShiftOpsError(.invalidFile, argument: path,
                                    "expected \(expected) data bytes for shape \(header.shape) of '\(header.typeCode)', found \(size - dataOffset)"
                                        + (size - dataOffset < expected ? " (truncated)" : " (extra data after the array)"))
            }
        }
        return header
    }

    /// The data bytes of `shape`: zero when an axis is zero, but even then the other extents
    /// must multiply (with the element size) within `Int`, as for any tensor shape.
    static func dataByteCount(_ shape: [Int], itemSize: Int, path: String) throws -> Int {
        do {
            // The element count times the item size: ShapeArithmetic has checked that product too.
            return try ShapeArithmetic.elementCount(of: shape, elementSize: itemSize, argument: path) &* itemSize
        } catch let error as ShiftOpsError {
            throw ShiftOpsError(.invalidFile, argument: path, error.message)
        }
    }
}

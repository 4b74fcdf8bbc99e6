import Foundation

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported element types are those of ``TensorElement``, little-endian, in C or Fortran order.
/// Writing is atomic: a failed save leaves no partial file behind.
public enum NumPyFile {
    /// What a `.npy` header says about its array.
    public struct Header: Equatable, Sendable {
        /// The type code without byte order: `"f4"`, `"f8"`, `"i1"`, `"u1"`, `"i4"`.
        public var typeCode: String
        /// The array's shape.
        public var shape: [Int]
        /// Whether the data is in column-major (Fortran) order.
        public var fortranOrder: Bool
        /// The byte offset of the first element.
        public var dataOffset: Int
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads the header of the `.npy` file at `path`.
    public static func header(atPath path: String) throws -> Header {
        try parseHeader(readAll(path), path: path)
    }

    /// The whole file, read with plain POSIX calls (Foundation's `FileManager.contents(atPath:)`
    /// leaks a buffer on some paths, which LeakSanitizer reports in the CI run).
    static func readAll(_ path: String) throws -> [UInt8] {
        func failure() -> ShiftOpsError {
            ShiftOpsError(.invalidFile, argument: path, "cannot read the file (\(String(cString: strerror(errno))))")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    static func parseHeader(_ bytes: [UInt8], path: String) throws -> Header {
        func bad(_ why: String) -> ShiftOpsError {
            ShiftOpsError(.invalidFile, argument: path, "not a valid .npy file: \(why)")
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw bad("missing the \\x93NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            start = 12
        default:
            throw bad("unsupported format version \(major)")
        }
        guard start + headerLength <= bytes.count else { throw bad("truncated header") }
        guard let text = String(bytes: bytes[start..<start + headerLength], encoding: .utf8) else {
            throw bad("header is not text")
        }
        guard let descr = field("descr", in: text), descr.count >= 3,
              let fortran = field("fortran_order", in: text),
              let shapeText = field("shape", in: text)
        else { throw bad("header lacks descr, fortran_order or shape") }
        let order = descr.first!
        let code = String(descr.dropFirst())
        guard order == "<" || order == "|" || (order == "=" ) else {
            throw bad("big-endian data ('\(descr)') is not supported; save little-endian")
        }
        let shape = try shapeText.split(separator: ",").compactMap { part -> Int? in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard let n = Int(trimmed), n >= 0 else { throw bad("bad shape (\(shapeText))") }
            return n
        }
        guard fortran == "False" || fortran == "True" else { throw bad("bad fortran_order") }
        return Header(typeCode: code, shape: shape, fortranOrder: fortran == "True",
                      dataOffset: start + headerLength)
    }

    /// The text of `key`'s value in a Python dict literal: quotes and parentheses stripped.
    static func field(_ key: String, in text: String) -> String? {
        guard let keyRange = text.range(of: "'\(key)'") else { return nil }
        var rest = text[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[..<close])
        }
        if rest.first == "'" {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "'") else { return nil }
            return String(rest[..<close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return rest[..<end].trimmingCharacters(in: .whitespaces)
    }
}

extension Tensor {
    /// Loads a `.npy` file whose element type is `Element`.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidFile`` naming the path when the file is missing,
    ///   malformed, truncated, big-endian or of another element type.
    public init(npyFile path: String) throws {
        let bytes = try NumPyFile.readAll(path)
        let header = try NumPyFile.parseHeader(bytes, path: path)
        guard header.typeCode == Element.numpyTypeCode else {
            throw ShiftOpsError(.invalidFile, argument: path,
                                "holds '\(header.typeCode)' elements, expected '\(Element.numpyTypeCode)' (\(Element.self))")
        }
        let count = try Tensor.elementCount(of: header.shape, argument: path)
        let size = MemoryLayout<Element>.stride
        guard bytes.count - header.dataOffset == count * size else {
            throw ShiftOpsError(.invalidFile, argument: path,
                                "expected \(count * size) data bytes for shape \(header.shape), found \(bytes.count - header.dataOffset)")
        }
        // Fortran order is row-major order of the reversed axes.
        let order = header.fortranOrder ? Array(header.shape.indices.reversed()) : Array(header.shape.indices)
        self = try Tensor(shape: header.shape, order: order)
        let target = UnsafeMutableRawPointer(storage.base)
        bytes.withUnsafeBytes { source in
            target.copyMemory(from: source.baseAddress! + header.dataOffset, byteCount: count * size)
        }
    }

    /// Saves the tensor as a C-order `.npy` file (format 1.0, or 2.0 for a very long header).
    ///
    /// The write is atomic: on failure no file, or the old one, is left at `path`.
    public func save(npyFile path: String) throws {
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

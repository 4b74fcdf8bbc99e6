extension NumPyFile {
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

    /// The longest header accepted, as NumPy's own reader limits it by default: a real header
    /// (three keys, at most ``maximumRank`` axes) is far shorter, and a longer one is refused
    /// before it is read.
    public static let maximumHeaderLength = 10_000

    /// The most axes a header may list (NumPy's own limit).
    public static let maximumRank = 64

    /// The bytes one element of `typeCode` takes, for the kinds whose size the code spells
    /// (`b`, `i`, `u`, `f`, `c`, `S`, `V`: the digits; `U`: four per character); `nil` otherwise.
    static func itemSize(of typeCode: String) -> Int? {
        guard let kind = typeCode.first, let digits = Int(typeCode.dropFirst()), digits >= 0 else { return nil }
        switch kind {
        case "b", "i", "u", "f", "c", "S", "V": return digits
        case "U": return digits.multipliedReportingOverflow(by: 4).overflow ? nil : digits * 4
        default: return nil
        }
    }

    /// Parses the header dictionary `text` (the bytes after the prefix) of a format `major` file.
    ///
    /// NumPy writes the dictionary with Python's `repr`; it is parsed as a Python literal, so a
    /// repeated key takes its last value (as Python does) and a key inside a string value is
    /// only text. Keys other than `descr`, `fortran_order` and `shape` are ignored.
    static func parseHeader(_ text: [UInt8], major: UInt8, dataOffset: Int, path: String) throws -> Header {
        func bad(_ why: String) -> ShiftOpsError {
            ShiftOpsError(.invalidFile, argument: path, "not a valid .npy file: \(why)")
        }
        let literal: PythonLiteral
        do {
            literal = try PythonLiteralParser.parse(text, utf8: major >= 3)
        } catch {
            throw bad("header is not a Python dict literal (\(error.message))")
        }
        guard case .dict(let pairs) = literal else { throw bad("header is \(literal.kind), not a dict") }
        var fields: [String: PythonLiteral] = [:]
        for (key, value) in pairs {
            guard case .string(let name) = key else { throw bad("header has a key that is \(key.kind), not a string") }
            fields[name] = value
        }
        guard let descr = fields["descr"], let fortran = fields["fortran_order"], let shapeValue = fields["shape"] else {
            throw bad("header lacks descr, fortran_order or shape")
        }
        let typeCode = try elementType(descr, bad: bad)
        guard case .bool(let fortranOrder) = fortran else { throw bad("bad fortran_order: expected True or False, got \(fortran.kind)") }
        guard case .tuple(let axes) = shapeValue else { throw bad("bad shape: expected a tuple of integers, got \(shapeValue.kind)") }
        guard axes.count <= maximumRank else { throw bad("rank \(axes.count) exceeds the limit of \(maximumRank) axes") }
        let shape = try axes.map { axis -> Int in
            switch axis {
            case .integer(let n) where n >= 0: return n
            case .integer(let n): throw bad("bad shape: negative extent \(n)")
            case .largeInteger(let text): throw bad("bad shape: extent \(text) does not fit in Int")
            default: throw bad("bad shape: expected integers, got \(axis.kind)")
            }
        }
        return Header(typeCode: typeCode, shape: shape, fortranOrder: fortranOrder, dataOffset: dataOffset)
    }

    /// The type code of `descr` without its byte order, after refusing what cannot be read:
    /// structured dtypes (a list of fields) and big-endian data of more than one byte.
    private static func elementType(_ descr: PythonLiteral, bad: (String) -> ShiftOpsError) throws -> String {
        switch descr {
        case .string(let text):
            var code = Substring(text)
            var order: Character = "="
            if let first = code.first, "<>|=".contains(first) {
                order = first
                code = code.dropFirst()
            }
            guard !code.isEmpty, code.count <= 32 else { throw bad("bad descr '\(text.prefix(40))'") }
            let typeCode = String(code)
            if order == ">" && itemSize(of: typeCode) != 1 {
                throw bad("big-endian data ('\(text)') is not supported; save little-endian")
            }
            return typeCode
        case .list:
            throw bad("structured dtypes (descr is a list of fields) are not supported; save a plain array")
        default:
            throw bad("bad descr: expected a type string such as '<f4', got \(descr.kind)")
        }
    }
}

/// A value of the Python literal subset that `.npy` headers are written in (`repr` of a dict).
///
/// The header is parsed, not pattern-searched, so that a key spelled inside a string value is
/// never taken for a key, and a repeated key resolves as Python resolves it (the last one wins).
enum PythonLiteral {
    case string(String)
    case integer(Int)
    /// An integer literal too large for `Int`, kept as written so an error can show it.
    case largeInteger(String)
    case float(Double)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    /// The pairs in the order written; duplicates are kept here and resolved by the reader.
    case dict([(key: PythonLiteral, value: PythonLiteral)])

    /// A short description for error messages (never the whole value: a header can be long).
    var kind: String {
        switch self {
        case .string: "a string"
        case .integer, .largeInteger: "an integer"
        case .float: "a float"
        case .bool: "a bool"
        case .none: "None"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        }
    }
}

/// Why a header's text is not a Python literal.
struct PythonLiteralError: Error {
    let message: String
}

/// A recursive-descent parser of one Python literal from bytes: dicts, tuples, lists, strings
/// (single or double quoted, the common escapes), integers (an old `L` suffix allowed), floats,
/// `True`, `False` and `None`. Nesting is bounded so a hostile header cannot exhaust the stack.
struct PythonLiteralParser {
    /// Deeper nesting than any real header needs (a structured dtype nests three or four levels).
    static let maximumDepth = 16

    private let bytes: [UInt8]
    /// Strings are UTF-8 in format 3.0 headers and Latin-1 before.
    private let utf8: Bool
    private var position = 0

    /// Parses `bytes` as exactly one literal, surrounded by optional white space.
    static func parse(_ bytes: [UInt8], utf8: Bool) throws(PythonLiteralError) -> PythonLiteral {
        var parser = PythonLiteralParser(bytes: bytes, utf8: utf8)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected text after the dictionary") }
        return value
    }

    private init(bytes: [UInt8], utf8: Bool) {
        self.bytes = bytes
        self.utf8 = utf8
    }

    private func failure(_ why: String) -> PythonLiteralError {
        PythonLiteralError(message: "\(why) at byte \(position) of the header")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
            position += 1
        }
    }

    /// Skips white space, then consumes `byte` if it comes next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        position += 1
        return true
    }

    private mutating func value(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        skipSpace()
        guard let byte = current else { throw failure("unexpected end") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
            position += 1
            if byte == UInt8(ascii: "{") { return try dict(depth: depth + 1) }
            return try sequence(closing: byte == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]"),
                                isTuple: byte == UInt8(ascii: "("), depth: depth + 1)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string(quote: byte))
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return try number()
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
            let start = position
            while let c = current, c == UInt8(ascii: "_") || (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z")
                    || c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                position += 1
            }
            switch String(decoding: bytes[start..<position], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                position = start
                throw failure("unexpected name (only True, False and None are literals)")
            }
        default:
            throw failure("unexpected character \(byte < 0x20 || byte > 0x7E ? "0x" + String(byte, radix: 16) : "'\(Character(Unicode.Scalar(byte)))'")")
        }
    }

    /// After `{`: `key: value` pairs separated by commas, a trailing comma allowed.
    private mutating func dict(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        var pairs: [(key: PythonLiteral, value: PythonLiteral)] = []
        while true {
            if consume(UInt8(ascii: "}")) { return .dict(pairs) }
            let key = try value(depth: depth)
            guard consume(UInt8(ascii: ":")) else { throw failure("expected ':' after a key") }
            pairs.append((key, try value(depth: depth)))
            if consume(UInt8(ascii: "}")) { return .dict(pairs) }
            guard consume(UInt8(ascii: ",")) else { throw failure("expected ',' or '}' in the dictionary") }
        }
    }

    /// After `(` or `[`: items separated by commas. In parentheses, one item without a comma is
    /// that item (Python's grouping), not a tuple: `(2)` is the integer 2, `(2,)` a tuple.
    private mutating func sequence(closing: UInt8, isTuple: Bool, depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            if consume(closing) { break }
            items.append(try value(depth: depth))
            if consume(closing) { break }
            guard consume(UInt8(ascii: ",")) else {
                throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
            }
            sawComma = true
        }
        if !isTuple { return .list(items) }
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    private mutating func string(quote: UInt8) throws(PythonLiteralError) -> String {
        position += 1
        var text: [UInt8] = []
        while true {
            guard let byte = current, byte != 0x0A else { throw failure("unterminated string") }
            position += 1
            if byte == quote { break }
            guard byte == UInt8(ascii: "\\") else {
                text.append(byte)
                continue
            }
            guard let escaped = current else { throw failure("unterminated string") }
            position += 1
            switch escaped {
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): text.append(escaped)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "0"): text.append(0)
            default: throw failure("unsupported escape in a string")
            }
        }
        if utf8 {
            guard let decoded = String(validating: text, as: UTF8.self) else { throw failure("a string that is not UTF-8") }
            return decoded
        }
        return String(String.UnicodeScalarView(text.map { Unicode.Scalar($0) }))
    }

    /// An integer (optionally signed, optionally with Python 2's `L`) or a decimal float.
    private mutating func number() throws(PythonLiteralError) -> PythonLiteral {
        let start = position
        if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") { position += 1 }
        var isFloat = false
        while let c = current {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                position += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isFloat = true
                position += 1
                if c != UInt8(ascii: "."), current == UInt8(ascii: "-") || current == UInt8(ascii: "+") { position += 1 }
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isFloat {
            guard let value = Double(text) else { throw failure("malformed number '\(text.prefix(24))'") }
            return .float(value)
        }
        if current == UInt8(ascii: "L") || current == UInt8(ascii: "l") { position += 1 }
        let digits = text.drop { $0 == "-" || $0 == "+" }
        guard !digits.isEmpty else { throw failure("malformed number '\(text)'") }
        if let value = Int(text) { return .integer(value) }
        return .largeInteger(String(text.prefix(24)) + (text.count > 24 ? "..." : ""))
    }
}

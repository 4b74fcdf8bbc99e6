import Foundation

/// Hand-written `--name value` parsing: every option takes one value, except flags listed as such.
struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ arguments: [String], valued: Set<String>, flags allowedFlags: Set<String> = []) throws {
        var i = 0
        while i < arguments.count {
            let name = arguments[i]
            guard name.hasPrefix("--") else { throw UsageError("unexpected argument '\(name)'") }
            let key = String(name.dropFirst(2))
            if allowedFlags.contains(key) {
                flags.insert(key)
                i += 1
                continue
            }
            guard valued.contains(key) else { throw UsageError("unknown option '\(name)'") }
            guard i + 1 < arguments.count else { throw UsageError("option '\(name)' needs a value") }
            guard values[key] == nil else { throw UsageError("option '\(name)' given twice") }
            values[key] = arguments[i + 1]
            i += 2
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func string(_ key: String) -> String? { values[key] }

    func required(_ key: String) throws -> String {
        guard let value = values[key] else { throw UsageError("missing --\(key)") }
        return value
    }

    /// A comma-separated list of integers, e.g. `2` or `1,2`.
    func integers(_ key: String) throws -> [Int]? {
        guard let text = values[key] else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, !numbers.isEmpty else {
            throw UsageError("--\(key) expects integers separated by commas, got '\(text)'")
        }
        return numbers
    }

    func integer(_ key: String) throws -> Int? {
        guard let list = try integers(key) else { return nil }
        guard list.count == 1 else { throw UsageError("--\(key) expects one integer, got '\(values[key]!)'") }
        return list[0]
    }

    /// One of the raw values of `E`.
    func choice<E: RawRepresentable & CaseIterable>(_ key: String, as: E.Type) throws -> E? where E.RawValue == String {
        guard let text = values[key] else { return nil }
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: "|")
            throw UsageError("--\(key) expects \(allowed), got '\(text)'")
        }
        return value
    }

    /// A comma-separated list of raw values of `E`, e.g. `active,sparse`.
    func choices<E: RawRepresentable & CaseIterable>(_ key: String, as: E.Type) throws -> [E]? where E.RawValue == String {
        guard let text = values[key] else { return nil }
        return try text.split(separator: ",").map {
            guard let item = E(rawValue: String($0)) else {
                let allowed = E.allCases.map(\.rawValue).joined(separator: "|")
                throw UsageError("--\(key) expects a comma-separated list of \(allowed), got '\(text)'")
            }
            return item
        }
    }
}

import Foundation
import ShiftOps

/// One tensor of a tree with its path and whether it is a buffer (saved, not learned).
struct NamedTensor<T: NetScalar> {
    var path: String
    var parameter: Parameter<T>
    var isBuffer: Bool
}

extension Module {
    /// Every parameter and buffer in network order (each module's parameters, then its buffers,
    /// then its children in turn, as PyTorch's `state_dict`), after checking names and paths.
    ///
    /// With `forFiles`, paths that differ only in letter case are refused too: a case-insensitive
    /// file system would store them as one file.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `module` for a bad name or a path shared by two tensors.
    func checkedTensors(forFiles: Bool = false) throws -> [NamedTensor<T>] {
        var result: [NamedTensor<T>] = []
        try collectTensors(prefix: "", into: &result)
        var seen: [String: Int] = [:]
        for (i, entry) in result.enumerated() {
            let key = forFiles ? entry.path.lowercased() : entry.path
            if let first = seen[key] {
                let other = result[first].path
                let why = other == entry.path ? "\"\(other)\" names two tensors"
                                              : "\"\(other)\" and \"\(entry.path)\" differ only in letter case, which a case-insensitive file system would merge"
                throw ShiftOpsError(.invalidArgument, argument: "module", "\(why); give the layers distinct names")
            }
            seen[key] = i
        }
        return result
    }

    private func collectTensors(prefix: String, into result: inout [NamedTensor<T>]) throws {
        for (name, parameter) in ownParameters {
            try checkName(name, of: "parameter", under: prefix)
            result.append(NamedTensor(path: joinPath(prefix, name), parameter: parameter, isBuffer: false))
        }
        for (name, parameter) in ownBuffers {
            try checkName(name, of: "buffer", under: prefix)
            result.append(NamedTensor(path: joinPath(prefix, name), parameter: parameter, isBuffer: true))
        }
        for (name, child) in children {
            try checkName(name, of: "layer", under: prefix)
            try child.collectTensors(prefix: joinPath(prefix, name), into: &result)
        }
    }
}

/// Refuses a name that would make paths ambiguous (`.` joins names) or leave the checkpoint
/// folder (`/`, `..`), an empty one, and NUL, which no file name can hold.
func checkName(_ name: String, of kind: String, under prefix: String) throws {
    let place = prefix.isEmpty ? "at the top level" : "under \"\(prefix)\""
    if name.isEmpty {
        throw ShiftOpsError(.invalidArgument, argument: "module", "a \(kind) \(place) has an empty name; names are non-empty")
    }
    if let bad = name.first(where: { $0 == "." || $0 == "/" || $0 == "\0" }) {
        let shown = bad == "\0" ? "NUL" : "\"\(bad)\""
        throw ShiftOpsError(.invalidArgument, argument: "module",
                            "\(kind) name \"\(name.replacingOccurrences(of: "\0", with: "\\0"))\" \(place) holds \(shown); names hold no \".\", \"/\" or NUL")
    }
}

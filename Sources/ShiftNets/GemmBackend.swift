import Foundation

/// Which matrix product the network layers use: the platform's BLAS when the process finds one,
/// the package's own portable product otherwise.
///
/// The BLAS is looked up when the process first needs a product, never linked: Accelerate on Apple
/// platforms; on Linux a CBLAS shared library (`libopenblas.so.0` from Debian's `libopenblas0`,
/// then `libblas.so.3` or `libcblas.so.3`). The environment variable `SHIFTOPS_BLAS` chooses:
/// `auto` (the default: the first one found), `openblas`, `blas`, `accelerate`, a library's path
/// or file name (`libopenblas.so.0`, `/opt/lib/libcblas.so`), or `portable` (also `off`, `none`)
/// for the package's own product.
///
/// Threads: the layers own the cores. They run one product per image (or per fixed block of
/// columns) on each of their threads, and the BLAS runs single-threaded inside each (OpenBLAS
/// through `openblas_set_num_threads(1)`, which is process-wide; Accelerate per thread). The split
/// depends only on the problem, so for a given backend the bits do not depend on the thread
/// count. Different backends round differently (a BLAS blocks the sum over `k` and uses fused
/// multiply-adds): results agree within rounding, not bitwise.
public struct GemmBackend: Sendable, CustomStringConvertible {
    /// The kinds of product.
    public enum Kind: String, Sendable, CaseIterable {
        /// The package's own blocked loops (always there).
        case portable
        /// OpenBLAS's CBLAS.
        case openBLAS = "openblas"
        /// Another CBLAS (`libblas.so.3`, `libcblas.so.3`, or a library named by path).
        case blas
        /// Apple's Accelerate.
        case accelerate
    }

    /// What runs the products.
    public let kind: Kind
    /// The library loaded, for a BLAS.
    public let library: String?
    /// Why the portable product runs when a BLAS was asked for (or none was found); nil otherwise.
    public let note: String?
    let cblas: CBLAS?

    /// The portable product.
    public static let portable = GemmBackend(kind: .portable, library: nil, note: nil, cblas: nil)

    /// `openblas`, `blas`, `accelerate` or `portable`.
    public var name: String { kind.rawValue }

    /// One line: the name, the library and the threading (`openblas (libopenblas.so.0, single-threaded
    /// products)`), or why the portable product runs.
    public var description: String {
        guard let library else { return note.map { "portable (\($0))" } ?? "portable" }
        let threads = cblas?.singleThreaded == true ? "single-threaded products" : "the library's own threads"
        return "\(name) (\(library), \(threads))"
    }

    /// The backend chosen for this process from `SHIFTOPS_BLAS` (see the type's description).
    public static let selected: GemmBackend = {
        let variable = ProcessInfo.processInfo.environment["SHIFTOPS_BLAS"] ?? ""
        let choice = variable.isEmpty ? "auto" : variable
        if let backend = named(choice) { return backend }
        let note = "SHIFTOPS_BLAS=\(choice) is not portable, off, none, auto, openblas, blas, accelerate or a library (a path or a .so/.dylib name)"
        FileHandle.standardError.write(Data("shiftops: \(note); using the portable product\n".utf8))
        return GemmBackend(kind: .portable, library: nil, note: note, cblas: nil)
    }()

    /// A backend for the current task and the parallel work it starts, in place of ``selected``:
    /// `GemmBackend.$override.withValue(.portable) { ... }`.
    @TaskLocal public static var override: GemmBackend?

    /// The backend a product starting now uses.
    public static var current: GemmBackend { override ?? selected }

    /// The backend `choice` names, with the words `SHIFTOPS_BLAS` accepts; a BLAS that is not on
    /// this machine gives the portable product with a ``note`` saying so. Nil for a word it does
    /// not know.
    public static func named(_ choice: String) -> GemmBackend? {
        switch choice.lowercased() {
        case "portable", "off", "none":
            return GemmBackend(kind: .portable, library: nil, note: "SHIFTOPS_BLAS=\(choice)", cblas: nil)
        case "auto":
            for kind in [Kind.accelerate, .openBLAS, .blas] {
                if let found = load(kind) { return found }
            }
            return GemmBackend(kind: .portable, library: nil,
                               note: "no BLAS found (tried \(Kind.allCases.flatMap(candidates).joined(separator: ", ")))", cblas: nil)
        case "openblas", "blas", "accelerate":
            let kind = Kind(rawValue: choice.lowercased())!
            if let found = load(kind) { return found }
            let tried = candidates(kind)
            return GemmBackend(kind: .portable, library: nil,
                               note: "SHIFTOPS_BLAS=\(choice): " + (tried.isEmpty ? "not available on this platform"
                                                                    : "none of \(tried.joined(separator: ", ")) loads with cblas_sgemm"),
                               cblas: nil)
        default:
            guard choice.contains("/") || choice.contains(".so") || choice.hasSuffix(".dylib") else { return nil }
            if let cblas = CBLAS.open(choice) { return GemmBackend(kind: .blas, library: choice, note: nil, cblas: cblas) }
            return GemmBackend(kind: .portable, library: nil, note: "SHIFTOPS_BLAS=\(choice) does not load with cblas_sgemm",
                               cblas: nil)
        }
    }

    /// The BLAS of `kind` on this machine, if any (never the portable product).
    public static func load(_ kind: Kind) -> GemmBackend? {
        for path in candidates(kind) {
            if let cblas = CBLAS.open(path) { return GemmBackend(kind: kind, library: path, note: nil, cblas: cblas) }
        }
        return nil
    }

    /// The libraries `dlopen` tries for `kind`, in order.
    static func candidates(_ kind: Kind) -> [String] {
        switch kind {
        case .portable: return []
        case .accelerate:
            #if canImport(Accelerate)
            return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
            #else
            return []
            #endif
        case .openBLAS:
            #if canImport(Accelerate)
            return []
            #else
            return ["libopenblas.so.0", "libopenblas.so"]
            #endif
        case .blas:
            #if canImport(Accelerate)
            return []
            #else
            return ["libblas.so.3", "libcblas.so.3"]
            #endif
        }
    }
}

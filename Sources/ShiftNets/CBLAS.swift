#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CBLAS found at run time: `cblas_sgemm` and `cblas_dgemm` of a shared library opened with
/// `dlopen`, called through C function pointers, so that nothing links against a BLAS and a
/// machine without one still builds and runs the package.
///
/// The constants are the CBLAS standard's (`CblasRowMajor` 101, `CblasNoTrans` 111, `CblasTrans`
/// 112), which every implementation shares, Accelerate's included; dimensions are 32-bit `int`
/// (the LP64 interface: Debian's `libopenblas.so.0` and `libblas.so.3`, and Accelerate's
/// classic CBLAS).
struct CBLAS: @unchecked Sendable {
    typealias Sgemm = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias Dgemm = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
                                      UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias SetThreading = @convention(c) (UInt32) -> Int32

    static let rowMajor: Int32 = 101
    static let noTranspose: Int32 = 111
    static let transpose: Int32 = 112

    /// The path `dlopen` was given.
    let path: String
    let sgemm: Sgemm
    let dgemm: Dgemm
    /// Accelerate's `BLASSetThreading`, a per-thread setting, so it is applied before each product.
    let setThreading: SetThreading?
    /// Whether the library's own threads were turned off (OpenBLAS's `openblas_set_num_threads`, or
    /// Accelerate's `BLASSetThreading`).
    let singleThreaded: Bool

    /// Opens `path` and looks the products up; nil when the library is absent or lacks them.
    /// OpenBLAS is set to one thread: the layers run one product per image on each of their own
    /// threads, which keeps the cores busy without oversubscribing them and keeps every result
    /// independent of the thread count.
    static func open(_ path: String) -> CBLAS? {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let s = dlsym(handle, "cblas_sgemm"), let d = dlsym(handle, "cblas_dgemm") else {
            dlclose(handle)
            return nil
        }
        var single = false
        if let threads = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(threads, to: SetThreads.self)(1)
            single = true
        }
        let threading = dlsym(handle, "BLASSetThreading").map { unsafeBitCast($0, to: SetThreading.self) }
        // The library stays open for the life of the process: its function pointers are kept.
        return CBLAS(path: path, sgemm: unsafeBitCast(s, to: Sgemm.self), dgemm: unsafeBitCast(d, to: Dgemm.self),
                     setThreading: threading, singleThreaded: single || threading != nil)
    }

    /// Accelerate's single-threaded model (`BLAS_THREADING_SINGLE_THREADED`).
    private static let accelerateSingleThreaded: UInt32 = 1

    /// Row-major `C = alpha op(A) op(B) + beta C` in the element type's precision; false (nothing
    /// done) for element types other than `Float` and `Double`.
    @inline(__always)
    func gemm<T>(transposeA: Bool, transposeB: Bool, m: Int32, n: Int32, k: Int32,
                 a: UnsafePointer<T>, lda: Int32, b: UnsafePointer<T>, ldb: Int32,
                 beta: T, c: UnsafeMutablePointer<T>, ldc: Int32) -> Bool {
        if let setThreading { _ = setThreading(Self.accelerateSingleThreaded) }
        let ta = transposeA ? Self.transpose : Self.noTranspose, tb = transposeB ? Self.transpose : Self.noTranspose
        if T.self == Float.self {
            sgemm(Self.rowMajor, ta, tb, m, n, k, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                  UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb, unsafeBitCast(beta, to: Float.self),
                  UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
            return true
        }
        if T.self == Double.self {
            dgemm(Self.rowMajor, ta, tb, m, n, k, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda,
                  UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), ldb, unsafeBitCast(beta, to: Double.self),
                  UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
            return true
        }
        return false
    }
}

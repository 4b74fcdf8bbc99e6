#if CUDA
import CCUDART
import CShiftCUDA
import Foundation
import ShiftOps

/// The CUDA runtime, the GPU in use and the kernels library (`libshiftcuda.so`), loaded once.
///
/// The library is looked for, in order, at `$SHIFTOPS_CUDA_LIBRARY`, beside the executable, at
/// `CKernels/libshiftcuda.so` under the current directory, and on the loader's search path. It
/// must report the `SHIFTCUDA_VERSION` this module was built with.
///
/// Ops enqueue their kernels on one stream and return without waiting; memory comes from CUDA's
/// stream-ordered pool. A kernel that faults is then reported by a later call (the
/// next copy to the host, or ``synchronize()``). Set the environment variable
/// `SHIFTOPS_CUDA_SYNC=1` to have every op wait for its kernels and throw their error itself,
/// and to have ops check shifts that live on the GPU (finite, and integers for grouped mode)
/// before they write any output, with the same errors as host shifts. It costs a
/// synchronisation per op: for debugging, not for training.
public final class CUDABackend: @unchecked Sendable, CustomStringConvertible {
    /// Where the kernels library was loaded from.
    public let libraryPath: String
    /// The GPU's name, as the driver reports it.
    public let deviceName: String
    /// The GPU's compute capability, e.g. (9, 0) for Hopper.
    public let computeCapability: (major: Int, minor: Int)
    /// The GPU's global memory in bytes.
    public let memoryBytes: Int
    let functions: shiftcuda_functions

    init(libraryPath: String, functions: shiftcuda_functions) throws {
        self.libraryPath = libraryPath
        self.functions = functions
        var count: Int32 = 0
        try check(cudaGetDeviceCount(&count), "counting CUDA devices")
        guard count > 0 else {
            throw ShiftOpsError(.cuda, argument: "device", "no CUDA device is visible; the CPU ops need none")
        }
        var properties = cudaDeviceProp()
        try check(cudaGetDeviceProperties(&properties, 0), "reading device 0's properties")
        deviceName = withUnsafeBytes(of: properties.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        computeCapability = (Int(properties.major), Int(properties.minor))
        memoryBytes = Int(properties.totalGlobalMem)
        // Keep freed memory in the pool instead of returning it to the driver at each
        // synchronisation, so steady-state ops allocate without a system call.
        var pool: cudaMemPool_t?
        try check(cudaDeviceGetDefaultMemPool(&pool, 0), "opening the device's memory pool")
        var threshold = UInt64.max
        try check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold), "configuring the memory pool")
    }

    /// The stream every op, copy and allocation runs on: the caller's inside
    /// ``withStream(_:_:)``, else the legacy default stream, which orders the ops with the user's
    /// own synchronous CUDA calls. Everything passes this, never a literal stream.
    static var stream: cudaStream_t? { callerStream?.stream }

    /// A caller's stream as a task-local value can hold it: CUDA streams may be used from any
    /// thread.
    struct CallerStream: @unchecked Sendable {
        let stream: cudaStream_t?
    }

    /// The stream of the innermost ``withStream(_:_:)`` scope of this task, if any.
    @TaskLocal static var callerStream: CallerStream?

    /// Runs `body` with every CUDA op, copy and allocation it makes enqueued on `stream`, a
    /// `cudaStream_t` the caller created (another library's current stream, say); nil is the
    /// legacy default stream, the ops' stream outside any scope.
    ///
    /// The scope is task-local: it covers what `body` calls on this thread and the child tasks it
    /// starts, not other threads. Scopes nest; the innermost wins.
    ///
    /// The ordering contract, as CUDA streams define it:
    /// - Before: work the caller enqueued on `stream` before an op (the kernel that wrote its
    ///   input, say) runs before the op's kernels. Work on other streams is not ordered with the
    ///   op: record an event there and make `stream` wait for it (`cudaStreamWaitEvent`) first.
    /// - After: ops return once their kernels are enqueued, not done. Work the caller enqueues
    ///   on `stream` afterwards sees their results; to read an output on another stream or on the
    ///   host, synchronise `stream` or wait for an event recorded on it. `host()` waits for the
    ///   stream itself.
    /// - Memory: outputs and workspaces an op allocates come from CUDA's stream-ordered pool on
    ///   `stream` and are freed on it when their last reference goes, so the stream must outlive
    ///   the tensors allocated in the scope (or write into existing tensors with the `into:`
    ///   forms). Borrowed memory (``CUDATensor/withBorrowed(devicePointer:count:shape:strides:offset:_:)``)
    ///   must stay allocated until the kernels that use it are done: free it on `stream`, or
    ///   after synchronising it.
    /// - Errors: a kernel fault surfaces at a later synchronisation of `stream` (or at once with
    ///   `SHIFTOPS_CUDA_SYNC=1`, which synchronises `stream` after each op).
    ///
    /// - Parameters:
    ///   - stream: A `cudaStream_t` of the current device (device 0), or nil. It must stay valid
    ///     while `body` runs and while tensors allocated in the scope live.
    ///   - body: The work to run on `stream`.
    /// - Returns: What `body` returns.
    /// - Throws: Whatever `body` throws.
    public static func withStream<R>(_ stream: OpaquePointer?, _ body: () throws -> R) rethrows -> R {
        try $callerStream.withValue(CallerStream(stream: stream), operation: body)
    }

    /// ``stream`` as the kernels library's `void *stream` argument.
    static var streamArgument: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(stream) }

    /// Whether `SHIFTOPS_CUDA_SYNC` asks every op to synchronise and check (see above).
    public static let synchronousChecks: Bool = {
        guard let value = ProcessInfo.processInfo.environment["SHIFTOPS_CUDA_SYNC"] else { return false }
        return !["", "0", "false", "no"].contains(value.lowercased())
    }()

    /// After an op's launches: with `SHIFTOPS_CUDA_SYNC` on, waits for them and throws what they
    /// raised, naming the op.
    func finish(_ what: String) throws {
        guard Self.synchronousChecks else { return }
        try check(cudaStreamSynchronize(Self.stream), what)
        try check(cudaGetLastError(), what)
    }

    public var description: String {
        "\(deviceName) (compute \(computeCapability.major).\(computeCapability.minor), "
            + "\(memoryBytes >> 20) MiB), kernels \(libraryPath) v\(functions.version())"
    }

    private static let loaded = Result { try load(libraryPath: nil) }

    /// The backend, loaded on first use.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` naming what is missing (the library, a device, a
    ///   driver) and what to do.
    public static func shared() throws -> CUDABackend { try loaded.get() }

    /// Loads the kernels library from `libraryPath` (or the default places) and opens device 0.
    public static func load(libraryPath: String?) throws -> CUDABackend {
        let candidates = libraryPath.map { [$0] } ?? defaultLibraryPaths()
        var reasons = [String]()
        for path in candidates {
            var functions = shiftcuda_functions()
            var message = [CChar](repeating: 0, count: 512)
            if shiftcuda_load(path, &functions, &message, Int32(message.count)) == 0 {
                let version = functions.version()
                guard version == SHIFTCUDA_VERSION else {
                    throw ShiftOpsError(.cuda, argument: "library",
                                        "\(path) is version \(version), this build needs \(SHIFTCUDA_VERSION); rebuild it with 'make -C CKernels'")
                }
                return try CUDABackend(libraryPath: path, functions: functions)
            }
            reasons.append(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        throw ShiftOpsError(.cuda, argument: "library",
                            "cannot load libshiftcuda.so (\(reasons.joined(separator: "; "))); build it with 'make -C CKernels' or set SHIFTOPS_CUDA_LIBRARY")
    }

    static func defaultLibraryPaths() -> [String] {
        var paths = [String]()
        if let path = ProcessInfo.processInfo.environment["SHIFTOPS_CUDA_LIBRARY"] { paths.append(path) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        paths.append(executable.appendingPathComponent("libshiftcuda.so").path)
        paths.append(FileManager.default.currentDirectoryPath + "/CKernels/libshiftcuda.so")
        paths.append("libshiftcuda.so")
        return paths
    }

    /// Waits for the GPU to finish, turning any error of earlier launches into a thrown error.
    public func synchronize() throws {
        try check(cudaDeviceSynchronize(), "waiting for the GPU")
        try check(cudaGetLastError(), "waiting for the GPU")
    }
}

/// Turns a CUDA runtime status into a thrown ``ShiftOps/ShiftOpsError`` with CUDA's message.
func check(_ status: cudaError_t, _ what: String) throws {
    guard status != cudaSuccess else { return }
    let text = String(cString: cudaGetErrorString(status))
    let hint: String
    switch status {
    case cudaErrorMemoryAllocation: hint = "; free device memory or use smaller batches"
    case cudaErrorNoDevice, cudaErrorInsufficientDriver: hint = "; this machine needs an NVIDIA GPU and driver for the CUDA backend"
    default: hint = ""
    }
    throw ShiftOpsError(.cuda, argument: "device", "\(what) failed: \(text) (cudaError \(status.rawValue))\(hint)")
}

/// Turns a status of libshiftcuda into a thrown error.
func checkKernel(_ status: Int32, _ what: String) throws {
    if status == 0 { return }
    if status == SHIFTCUDA_ERROR_INVALID_ARGUMENT {
        throw ShiftOpsError(.cuda, argument: "library", "\(what): the kernels library refused its arguments (a ShiftCUDA bug)")
    }
    try check(cudaError_t(rawValue: UInt32(status)), what)
}
#endif

#if CUDA
import CCUDART
import ShiftOps

/// The element types of the CUDA backend: `Float`, and `Double` for gradient checks.
public protocol CUDAFloatingPoint: ShiftFloatingPoint {}
extension Float: CUDAFloatingPoint {}
extension Double: CUDAFloatingPoint {}

/// A dense tensor in GPU memory, in any dimension order (NCHW, channels-last, ...).
///
/// Created from a host ``Tensor`` (copied in that tensor's memory order), empty with a shape (for
/// the ops' `into:` forms), or by an op; read back with ``host()``. Ops never write into their
/// inputs; an `into:` form writes into the tensor it is given.
public struct CUDATensor<T: CUDAFloatingPoint>: @unchecked Sendable {
    let buffer: CUDABuffer
    /// The length of each axis.
    public let shape: [Int]
    /// The axes from outermost to innermost in memory.
    public let dimensionOrder: [Int]

    /// An uninitialised device tensor of `shape`, laid out in `dimensionOrder` (default row-major).
    /// - Throws: ``ShiftOpsError/Code/sizeOverflow`` when the element or byte count overflows
    ///   `Int`, ``ShiftOpsError/Code/invalidArgument`` for an order that is not a permutation,
    ///   and ``ShiftOpsError/Code/cuda`` when the GPU is out of memory.
    public init(shape: [Int], dimensionOrder: [Int]? = nil) throws {
        let order = dimensionOrder ?? Array(shape.indices)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "dimensionOrder",
                                "expected a permutation of 0..<\(shape.count), got \(order)")
        }
        self.shape = shape
        self.dimensionOrder = order
        buffer = try CUDABuffer(byteCount: Self.byteCount(of: shape))
    }

    /// The bytes `shape` needs, or a thrown error (not a trap) when that overflows `Int`.
    static func byteCount(of shape: [Int]) throws -> Int {
        let count = try Tensor<T>.elementCount(of: shape, argument: "shape")
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: "shape",
                                "\(count) elements of \(MemoryLayout<T>.stride) bytes overflow Int")
        }
        return bytes
    }

    /// Copies `host` to the GPU, keeping its dimension order.
    public init(_ host: Tensor<T>) throws {
        try self.init(shape: host.shape, dimensionOrder: host.dimensionOrder)
        guard let base = buffer.base else { return }
        try host.withDenseElements(order: dimensionOrder) { elements in
            // From pageable memory, cudaMemcpyAsync returns once CUDA has staged the bytes, so the
            // host buffer (perhaps a temporary) may go at once, and the device is not synchronised.
            try check(cudaMemcpyAsync(base, elements.baseAddress, elements.count * MemoryLayout<T>.stride,
                                      cudaMemcpyHostToDevice, CUDABackend.stream), "copying to the GPU")
        }
    }

    /// The number of elements (the product of `shape`, checked at creation).
    public var count: Int { shape.reduce(1, *) }

    /// The strides in elements of this dense layout.
    public var strides: [Int] { Tensor<T>.denseStrides(shape: shape, order: dimensionOrder) }

    var pointer: UnsafeMutablePointer<T>? { buffer.base?.assumingMemoryBound(to: T.self) }

    /// Copies the tensor back to host memory, in the same dimension order. Waits for the work
    /// queued before it, so errors of earlier launches surface here (or at once with
    /// `SHIFTOPS_CUDA_SYNC=1`, see ``CUDABackend``).
    public func host() throws -> Tensor<T> {
        try Tensor(shape: shape, order: dimensionOrder) { elements in
            guard let base = buffer.base else { return }
            try check(cudaMemcpyAsync(elements.baseAddress, base, elements.count * MemoryLayout<T>.stride,
                                      cudaMemcpyDeviceToHost, CUDABackend.stream), "copying from the GPU")
            try check(cudaStreamSynchronize(CUDABackend.stream), "copying from the GPU")
        }
    }

    /// Whether `other` uses the same device memory.
    func sharesMemory<U>(with other: CUDATensor<U>) -> Bool { buffer === other.buffer }
}
#endif

#if CUDA
import CCUDART
import ShiftOps

/// What a device tensor can hold: `Float`, `Double` (for gradient checks) and `Float16` storage.
///
/// `Compute` is the type the kernels compute in and the type of shifts and shift gradients:
/// `Float` for `Float` and `Float16`, `Double` for `Double` (SPEC §8).
public protocol CUDAElement: Sendable {
    /// The arithmetic, shift and shift-gradient type for this storage.
    associatedtype Compute: CUDAFloatingPoint
}

/// The element types the CUDA kernels compute in, which host `Tensor`s hold: `Float`, `Double`.
public protocol CUDAFloatingPoint: ShiftFloatingPoint, CUDAElement where Compute == Self {}
extension Float: CUDAFloatingPoint {
    public typealias Compute = Float
}
extension Double: CUDAFloatingPoint {
    public typealias Compute = Double
}
extension Float16: CUDAElement {
    public typealias Compute = Float
}

/// A dense tensor in GPU memory, in any dimension order (NCHW, channels-last, ...).
///
/// Created from a host ``Tensor`` (copied in that tensor's memory order; a `Float` tensor rounded
/// for `Float16` storage), empty with a shape (for the ops' `into:` forms), or by an op; read back
/// with `host()`. Ops never write into their inputs; an `into:` form writes into the tensor it is
/// given.
public struct CUDATensor<T: CUDAElement>: @unchecked Sendable {
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
        let count = try Tensor<Float>.elementCount(of: shape, argument: "shape")
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: "shape",
                                "\(count) elements of \(MemoryLayout<T>.stride) bytes overflow Int")
        }
        return bytes
    }

    /// Copies `host` to the GPU, keeping its dimension order.
    public init(_ host: Tensor<T>) throws where T: CUDAFloatingPoint {
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
    public var strides: [Int] { Tensor<Float>.denseStrides(shape: shape, order: dimensionOrder) }

    var pointer: UnsafeMutablePointer<T>? { buffer.base?.assumingMemoryBound(to: T.self) }

    /// Copies the tensor back to host memory, in the same dimension order. Waits for the work
    /// queued before it, so errors of earlier launches surface here (or at once with
    /// `SHIFTOPS_CUDA_SYNC=1`, see ``CUDABackend``).
    public func host() throws -> Tensor<T> where T: CUDAFloatingPoint {
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

extension CUDATensor where T == Float16 {
    /// Copies `host` to the GPU as `Float16` (each element rounded to nearest, ties to even),
    /// keeping its dimension order: storage for mixed-precision training.
    public init(rounding host: Tensor<Float>) throws {
        try self.init(shape: host.shape, dimensionOrder: host.dimensionOrder)
        let bits = try host.withDenseElements(order: dimensionOrder) { elements in elements.map { Float16($0).bitPattern } }
        guard let base = buffer.base else { return }
        try bits.withUnsafeBytes { bytes in
            // Staged by CUDA before the call returns (pageable source), so `bits` may go at once.
            try check(cudaMemcpyAsync(base, bytes.baseAddress, bytes.count, cudaMemcpyHostToDevice, CUDABackend.stream),
                      "copying to the GPU")
        }
    }

    /// Copies the tensor back to the host, widened to `Float` (exactly), in the same dimension order.
    public func host() throws -> Tensor<Float> {
        var bits = [UInt16](repeating: 0, count: count)
        if let base = buffer.base {
            try bits.withUnsafeMutableBytes { bytes in
                try check(cudaMemcpyAsync(bytes.baseAddress, base, bytes.count, cudaMemcpyDeviceToHost, CUDABackend.stream),
                          "copying from the GPU")
                try check(cudaStreamSynchronize(CUDABackend.stream), "copying from the GPU")
            }
        }
        return try Tensor(shape: shape, order: dimensionOrder) { elements in
            for i in elements.indices { elements[i] = Float(Float16(bitPattern: bits[i])) }
        }
    }
}
#endif

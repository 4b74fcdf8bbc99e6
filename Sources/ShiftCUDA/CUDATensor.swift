#if CUDA
import CCUDART
import ShiftOps

/// A dense tensor in GPU memory, in any dimension order (NCHW, channels-last, ...).
///
/// `CUDATensor` is a reference, as a GPU array is in most frameworks: `let b = a` names the same
/// device memory, and an op's `into:` form writes into the tensor it is given, which every
/// reference to it then sees. That is what lets a training loop reuse its device buffers without
/// copying them. Ops never write into their inputs; call ``copy()`` for an independent tensor.
/// (The host ``ShiftOps/Tensor`` is a copy-on-write value instead: its copies never share a write.)
///
/// Made from a host `Tensor` (copied in that tensor's memory order; a `Float` tensor may be
/// rounded for `Float16` storage), uninitialised with a shape (for the `into:` forms), or by an
/// op; read back with `host()`. The memory returns to CUDA's stream-ordered pool when the last
/// reference goes, after the work queued before then.
public final class CUDATensor<T: CUDAElement>: Sendable {
    let buffer: CUDABuffer
    /// The length of each axis.
    public let shape: [Int]
    /// The axes from outermost to innermost in memory, as the host `Tensor`'s `dimensionOrder`.
    public let dimensionOrder: [Int]

    /// An uninitialised device tensor of `shape`, laid out in the memory order `order` lists from
    /// outermost to innermost axis (default row-major), as the host tensor's `init(shape:order:)`.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/invalidArgument`` for a negative length or an `order` that
    ///   is not a permutation of the axes, ``ShiftOps/ShiftOpsError/Code/sizeOverflow`` when the element
    ///   or byte count overflows `Int`, and ``ShiftOps/ShiftOpsError/Code/cuda`` when the GPU is out of
    ///   memory.
    public init(shape: [Int], order: [Int]? = nil) throws {
        let order = order ?? Array(shape.indices)
        let bytes = try Self.byteCount(of: shape)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "order",
                                "expected a permutation of 0..<\(shape.count), got \(order)")
        }
        self.shape = shape
        dimensionOrder = order
        buffer = try CUDABuffer(byteCount: bytes)
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

    /// The number of elements (the product of `shape`, checked at creation).
    public var count: Int { shape.reduce(1, *) }

    /// The strides in elements of this dense layout.
    public var strides: [Int] { Tensor<Float>.denseStrides(shape: shape, order: dimensionOrder) }

    var pointer: UnsafeMutablePointer<T>? { buffer.base?.assumingMemoryBound(to: T.self) }

    /// Whether both tensors use the same device memory (an op refuses to write into memory it
    /// reads).
    public func sharesStorage<Other>(with other: CUDATensor<Other>) -> Bool { buffer === other.buffer }

    /// A device-to-device copy into a new tensor of the same shape and dimension order, enqueued
    /// on the ops' stream.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` when the GPU is out of memory.
    public func copy() throws -> CUDATensor {
        let result = try CUDATensor(shape: shape, order: dimensionOrder)
        try copy(into: result)
        return result
    }

    /// Enqueues a device-to-device copy of this tensor into `target`, which has the same shape
    /// and dimension order (`cudaMemcpyAsync` on the ops' stream).
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` when `target` differs in shape or order.
    package func copy(into target: CUDATensor) throws {
        guard target.shape == shape, target.dimensionOrder == dimensionOrder else {
            throw ShiftOpsError(.shapeMismatch, argument: "target",
                                "expected shape \(shape) in order \(dimensionOrder), got \(target.shape) in \(target.dimensionOrder)")
        }
        if let destination = target.buffer.base, let source = buffer.base, destination != source {
            try check(cudaMemcpyAsync(destination, source, buffer.byteCount, cudaMemcpyDeviceToDevice, CUDABackend.stream),
                      "copying on the GPU")
        }
    }
}

extension CUDATensor where T: CUDAFloatingPoint {
    /// Copies `host` to the GPU, keeping its dimension order.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` when the GPU is out of memory or the copy fails.
    public convenience init(_ host: Tensor<T>) throws {
        try self.init(shape: host.shape, order: host.dimensionOrder)
        guard let base = buffer.base else { return }
        try host.withDenseElements(order: dimensionOrder) { elements in
            // From pageable memory, cudaMemcpyAsync returns once CUDA has staged the bytes, so the
            // host buffer (perhaps a temporary) may go at once, and the device is not synchronised.
            try check(cudaMemcpyAsync(base, elements.baseAddress, elements.count * MemoryLayout<T>.stride,
                                      cudaMemcpyHostToDevice, CUDABackend.stream), "copying to the GPU")
        }
    }

    /// Copies the tensor back to host memory, in the same dimension order. Waits for the work
    /// queued before it, so errors of earlier launches surface here (or at once with
    /// `SHIFTOPS_CUDA_SYNC=1`, see ``CUDABackend``).
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
    public func host() throws -> Tensor<T> {
        try Tensor(shape: shape, order: dimensionOrder) { elements in
            guard let base = buffer.base else { return }
            try check(cudaMemcpyAsync(elements.baseAddress, base, elements.count * MemoryLayout<T>.stride,
                                      cudaMemcpyDeviceToHost, CUDABackend.stream), "copying from the GPU")
            try check(cudaStreamSynchronize(CUDABackend.stream), "copying from the GPU")
        }
    }
}

extension CUDATensor where T == Float16 {
    /// Copies `host` to the GPU as `Float16` (each element rounded to nearest, ties to even),
    /// keeping its dimension order: storage for mixed-precision training.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` when the GPU is out of memory or the copy fails.
    public convenience init(rounding host: Tensor<Float>) throws {
        try self.init(shape: host.shape, order: host.dimensionOrder)
        let bits = try host.withDenseElements(order: dimensionOrder) { elements in elements.map { Float16($0).bitPattern } }
        guard let base = buffer.base else { return }
        try bits.withUnsafeBytes { bytes in
            // Staged by CUDA before the call returns (pageable source), so `bits` may go at once.
            try check(cudaMemcpyAsync(base, bytes.baseAddress, bytes.count, cudaMemcpyHostToDevice, CUDABackend.stream),
                      "copying to the GPU")
        }
    }

    /// Copies the tensor back to the host, widened to `Float` (exactly), in the same dimension
    /// order; waits as the `Float` form does.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
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

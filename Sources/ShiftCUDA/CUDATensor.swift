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
/// reference goes, after the work queued before then. A tensor over device memory another library
/// owns, at any strides, is lent for a scope by ``withBorrowed(devicePointer:count:shape:strides:offset:_:)``.
public final class CUDATensor<T: CUDAElement>: Sendable {
    let buffer: CUDABuffer
    /// The length of each axis.
    public let shape: [Int]
    /// The axes from outermost to innermost in memory, as the host `Tensor`'s `dimensionOrder`:
    /// by decreasing stride magnitude, ties in axis order.
    public let dimensionOrder: [Int]
    /// The distance in elements between neighbours along each axis: the dense strides of
    /// ``dimensionOrder`` for the tensors ShiftCUDA allocates, any strides for borrowed memory.
    public let strides: [Int]
    /// The position in ``buffer``, in elements, of the element at all-zero indices.
    let offset: Int

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
        strides = Tensor<Float>.denseStrides(shape: shape, order: order)
        offset = 0
        buffer = try CUDABuffer(byteCount: bytes)
    }

    /// A tensor over `buffer` at `strides` and `offset`, which the caller checked lie inside it.
    init(buffer: CUDABuffer, shape: [Int], strides: [Int], offset: Int) {
        self.buffer = buffer
        self.shape = shape
        self.strides = strides
        self.offset = offset
        // Magnitudes as UInt: `abs(Int.min)` would trap.
        dimensionOrder = shape.indices.sorted { a, b in
            let (sa, sb) = (strides[a].magnitude, strides[b].magnitude)
            return sa != sb ? sa > sb : a < b
        }
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

    /// The element at all-zero indices, as the kernels take it.
    ///
    /// - Precondition: the tensor is not borrowed memory used after its scope ended.
    var pointer: UnsafeMutablePointer<T>? {
        buffer.base.map { ($0 + offset * MemoryLayout<T>.stride).assumingMemoryBound(to: T.self) }
    }

    /// Whether the tensor fills its memory exactly with the strides of a dense tensor of its
    /// shape and dimension order (every tensor ShiftCUDA allocates; borrowed ones may not).
    var isDense: Bool {
        offset == 0 && strides == Tensor<Float>.denseStrides(shape: shape, order: dimensionOrder)
            && buffer.byteCount == count * MemoryLayout<T>.stride
    }

    /// Whether both tensors use the same device memory (an op refuses to write into memory it
    /// reads). Tensors over borrowed memory share it when the ranges they were lent overlap.
    public func sharesStorage<Other>(with other: CUDATensor<Other>) -> Bool { buffer.overlaps(other.buffer) }

    /// A device-to-device copy into a new tensor that owns its memory, enqueued on the ops'
    /// stream: the same shape, strides and dimension order (a borrowed tensor's copy spans the
    /// same range of elements as the memory lent). What must outlive a borrowing scope is copied so.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/cuda`` when the GPU is out of memory.
    public func copy() throws -> CUDATensor {
        let result = CUDATensor(buffer: try CUDABuffer(byteCount: buffer.byteCount), shape: shape, strides: strides,
                                offset: offset)
        try copy(into: result)
        return result
    }

    /// Enqueues a device-to-device copy of this tensor's memory into `target`, which has the same
    /// shape and layout (`cudaMemcpyAsync` on the ops' stream).
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` when `target` differs in shape or
    ///   layout, ``ShiftOps/ShiftOpsError/Code/invalidArgument`` when it is read-only borrowed memory.
    package func copy(into target: CUDATensor) throws {
        guard target.shape == shape, target.strides == strides, target.offset == offset,
              target.buffer.byteCount == buffer.byteCount else {
            throw ShiftOpsError(.shapeMismatch, argument: "target",
                                "expected shape \(shape) with strides \(strides), got \(target.shape) with \(target.strides)")
        }
        try target.checkWritable(argument: "target")
        // Both read first, so that a revoked tensor traps even when it is empty.
        let (source, destination) = (buffer.base, target.buffer.base)
        if let destination, let source, destination != source {
            try check(cudaMemcpyAsync(destination, source, buffer.byteCount, cudaMemcpyDeviceToDevice, CUDABackend.stream),
                      "copying on the GPU")
        }
    }
}

extension CUDATensor {
    /// The whole memory of the tensor (all of a borrowed range) copied to the host as `E`, a
    /// type of `T`'s size, after the work queued before it on the ops' stream.
    func downloadBuffer<E>(as _: E.Type) throws -> [E] {
        var stored = [E]()
        stored.reserveCapacity(buffer.byteCount / MemoryLayout<E>.stride)
        guard let base = buffer.base, buffer.byteCount > 0 else { return stored }
        return try [E](unsafeUninitializedCapacity: buffer.byteCount / MemoryLayout<E>.stride) { elements, initialized in
            try check(cudaMemcpyAsync(elements.baseAddress, base, buffer.byteCount, cudaMemcpyDeviceToHost,
                                      CUDABackend.stream), "copying from the GPU")
            try check(cudaStreamSynchronize(CUDABackend.stream), "copying from the GPU")
            initialized = elements.count
        }
    }

    /// The elements of a strided tensor, given its memory as `stored`, in the dense order of
    /// ``dimensionOrder`` (innermost axis fastest), as a host tensor of that order holds them.
    func gathered<E>(_ stored: [E]) -> [E] {
        let total = count
        var result = [E]()
        result.reserveCapacity(total)
        guard total > 0 else { return result }
        // An odometer over the axes in memory order, moving `position` by one stride a step.
        var walk = StrideOdometer(shape: dimensionOrder.map { shape[$0] }, strides: dimensionOrder.map { strides[$0] },
                                  position: offset)
        repeat {
            result.append(stored[walk.position])
        } while walk.advance()
        return result
    }

    /// Throws unless an op may write into this tensor (memory lent read-only may not be).
    func checkWritable(argument: String) throws {
        guard buffer.isWritable else {
            throw ShiftOpsError(.invalidArgument, argument: argument,
                                "is device memory lent read-only; lend it with withBorrowed(mutatingDevicePointer:...) to write into it")
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
        // Read first, so that a revoked tensor traps even when it is empty.
        let base = buffer.base
        if !isDense {
            let elements = gathered(try downloadBuffer(as: T.self))
            return try Tensor(shape: shape, order: dimensionOrder) { target in
                for i in target.indices { target[i] = elements[i] }
            }
        }
        return try Tensor(shape: shape, order: dimensionOrder) { elements in
            guard let base else { return }
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
        let stored = try downloadBuffer(as: UInt16.self)
        let bits = isDense ? stored : gathered(stored)
        return try Tensor(shape: shape, order: dimensionOrder) { elements in
            for i in elements.indices { elements[i] = Float(Float16(bitPattern: bits[i])) }
        }
    }
}
#endif

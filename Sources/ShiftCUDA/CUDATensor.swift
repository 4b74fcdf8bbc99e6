#if CUDA
import CCUDART
import ShiftOps

/// The element types of the CUDA backend: `Float`, and `Double` for gradient checks.
public protocol CUDAFloatingPoint: ShiftFloatingPoint {}
extension Float: CUDAFloatingPoint {}
extension Double: CUDAFloatingPoint {}

/// A dense tensor in GPU memory, in any dimension order (NCHW, channels-last, ...).
///
/// Created from a host ``Tensor`` (copied in that tensor's memory order) or by an op; read back
/// with ``host()``. Value semantics: ops never write into their inputs.
public struct CUDATensor<T: CUDAFloatingPoint>: @unchecked Sendable {
    let buffer: CUDABuffer
    /// The length of each axis.
    public let shape: [Int]
    /// The axes from outermost to innermost in memory.
    public let dimensionOrder: [Int]

    init(shape: [Int], dimensionOrder: [Int]) throws {
        self.shape = shape
        self.dimensionOrder = dimensionOrder
        let count = try Tensor<T>.elementCount(of: shape, argument: "shape")
        buffer = try CUDABuffer(byteCount: count * MemoryLayout<T>.stride)
    }

    /// Copies `host` to the GPU, keeping its dimension order.
    public init(_ host: Tensor<T>) throws {
        try self.init(shape: host.shape, dimensionOrder: host.dimensionOrder)
        guard let base = buffer.base else { return }
        try host.withDenseElements(order: dimensionOrder) { elements in
            try check(cudaMemcpy(base, elements.baseAddress, elements.count * MemoryLayout<T>.stride, cudaMemcpyHostToDevice),
                      "copying to the GPU")
        }
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The strides in elements of this dense layout.
    public var strides: [Int] { Tensor<T>.denseStrides(shape: shape, order: dimensionOrder) }

    var pointer: UnsafeMutablePointer<T>? { buffer.base?.assumingMemoryBound(to: T.self) }

    /// Copies the tensor back to host memory, in the same dimension order.
    public func host() throws -> Tensor<T> {
        try Tensor(shape: shape, order: dimensionOrder) { elements in
            guard let base = buffer.base else { return }
            try check(cudaMemcpy(elements.baseAddress, base, elements.count * MemoryLayout<T>.stride, cudaMemcpyDeviceToHost),
                      "copying from the GPU")
        }
    }
}
#endif

#if CUDA
import CShiftCUDA
import ShiftOps

/// What a device tensor can hold: `Float`, `Double` (for gradient checks) and `Float16` storage.
///
/// `Compute` is the type the kernels compute in and the type of shifts and shift gradients:
/// `Float` for `Float` and `Float16`, `Double` for `Double`. Each element type names its own
/// entry points of the kernels library (``cudaKernels``); only ShiftCUDA can make those, so the
/// three types above are the only ones that conform, and no type reaches a kernel built for
/// another.
public protocol CUDAElement: Sendable {
    /// The arithmetic, shift and shift-gradient type for this storage.
    associatedtype Compute: CUDAFloatingPoint
    /// The kernels library's shift entry points for this storage type.
    static var cudaKernels: CUDAKernels<Self> { get }
}

/// The element types the CUDA kernels compute in, which host `Tensor`s hold: `Float`, `Double`.
public protocol CUDAFloatingPoint: ShiftFloatingPoint, CUDAElement where Compute == Self {}

/// The shift entry points of the kernels library for one storage type: an opaque value that only
/// ShiftCUDA creates (see ``CUDAElement``).
public struct CUDAKernels<Element: CUDAElement>: Sendable {
    typealias Forward = @Sendable (
        _ library: shiftcuda_functions, _ problem: UnsafePointer<shiftcuda_problem>,
        _ x: UnsafePointer<Element>?, _ shifts: UnsafePointer<Element.Compute>?,
        _ y: UnsafeMutablePointer<Element>?, _ stream: UnsafeMutableRawPointer?) -> Int32
    typealias Backward = @Sendable (
        _ library: shiftcuda_functions, _ problem: UnsafePointer<shiftcuda_problem>,
        _ x: UnsafePointer<Element>?, _ shifts: UnsafePointer<Element.Compute>?, _ g: UnsafePointer<Element>?,
        _ gx: UnsafeMutablePointer<Element>?, _ gs: UnsafeMutablePointer<Element.Compute>?,
        _ workspace: UnsafeMutablePointer<Element.Compute>?, _ stream: UnsafeMutableRawPointer?) -> Int32

    let forward: Forward
    let backward: Backward
}

extension Float: CUDAFloatingPoint {
    public typealias Compute = Float
    /// The `f32` kernels.
    public static var cudaKernels: CUDAKernels<Float> {
        CUDAKernels(forward: { $0.forward_f32($1, $2, $3, $4, $5) },
                    backward: { $0.backward_f32($1, $2, $3, $4, $5, $6, $7, $8) })
    }
}

extension Double: CUDAFloatingPoint {
    public typealias Compute = Double
    /// The `f64` kernels.
    public static var cudaKernels: CUDAKernels<Double> {
        CUDAKernels(forward: { $0.forward_f64($1, $2, $3, $4, $5) },
                    backward: { $0.backward_f64($1, $2, $3, $4, $5, $6, $7, $8) })
    }
}

extension Float16: CUDAElement {
    public typealias Compute = Float
    /// The `f16` kernels: IEEE binary16 storage (passed as its bit patterns), computed in `Float`.
    public static var cudaKernels: CUDAKernels<Float16> {
        CUDAKernels(forward: { $0.forward_f16($1, bits($2), $3, bits($4), $5) },
                    backward: { $0.backward_f16($1, bits($2), $3, bits($4), bits($5), $6, $7, $8) })
    }
}

/// A Float16 pointer as the C interface's bit patterns (same size and alignment).
private func bits(_ pointer: UnsafePointer<Float16>?) -> UnsafePointer<UInt16>? {
    pointer.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt16.self) }
}

private func bits(_ pointer: UnsafeMutablePointer<Float16>?) -> UnsafeMutablePointer<UInt16>? {
    pointer.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt16.self) }
}
#endif

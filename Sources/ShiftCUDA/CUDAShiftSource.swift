#if CUDA
import ShiftOps

/// Shifts a CUDA op can read: a host `Tensor` or a device `CUDATensor`, both `[C, k]` of the
/// op's compute type (`Float` for `Float` and `Float16` data, `Double` for `Double`).
///
/// Host shifts are checked as the CPU checks them (finite, and integers in grouped mode), then
/// uploaded on the ops' stream. Device shifts, as a training loop keeps them, are used in place
/// at any strides and their values are not read back: only their shape is checked, and a
/// non-finite one makes its channel's output and gradients NaN. With `SHIFTOPS_CUDA_SYNC=1`
/// (see ``CUDABackend``) device shifts are read back and checked with the host shifts' errors.
///
/// ShiftCUDA's conformances (`Tensor` and `CUDATensor`) are the only ones: the requirement's
/// value cannot be made elsewhere.
public protocol CUDAShiftSource<Scalar>: Sendable {
    /// The shifts' element type.
    associatedtype Scalar: CUDAFloatingPoint
    /// Where the table lives, for the ops.
    var cudaShiftTable: CUDAShiftTable<Scalar> { get }
}

/// A shift table as the CUDA ops take it: on the host or on the device. Opaque; see
/// ``CUDAShiftSource``.
public struct CUDAShiftTable<Scalar: CUDAFloatingPoint>: Sendable {
    enum Place: Sendable {
        case host(Tensor<Scalar>)
        case device(CUDATensor<Scalar>)
    }

    let place: Place
}

extension Tensor: CUDAShiftSource where Element: CUDAFloatingPoint {
    /// A host table: checked like the CPU's, then uploaded.
    public var cudaShiftTable: CUDAShiftTable<Element> { CUDAShiftTable(place: .host(self)) }
}

extension CUDATensor: CUDAShiftSource where T: CUDAFloatingPoint {
    /// A device table, read in place.
    public var cudaShiftTable: CUDAShiftTable<T> { CUDAShiftTable(place: .device(self)) }
}
#endif

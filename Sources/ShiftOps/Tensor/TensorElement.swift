/// A type a ``Tensor`` can hold: a fixed-size number that `.npy` files can carry.
///
/// `Float`, `Double`, `Int8`, `UInt8` and `Int32` conform. The byte layout is the host's, which
/// ShiftOps requires to be little-endian (every platform Swift supports today).
public protocol TensorElement: Sendable, Equatable {
    /// The element used for new storage and for zero padding.
    static var zero: Self { get }
    /// The NumPy type string without its byte-order character: `"f4"`, `"f8"`, `"i1"`, `"u1"`, `"i4"`.
    static var numpyTypeCode: String { get }
}

/// A floating-point element the interpolating kernels work in: `Float` or `Double`.
public protocol ShiftFloatingPoint: BinaryFloatingPoint, SIMDScalar, TensorElement, Codable {}

extension Float: ShiftFloatingPoint {
    public static var numpyTypeCode: String { "f4" }
}

extension Double: ShiftFloatingPoint {
    public static var numpyTypeCode: String { "f8" }
}

extension Int8: TensorElement {
    public static var numpyTypeCode: String { "i1" }
}

extension UInt8: TensorElement {
    public static var numpyTypeCode: String { "u1" }
}

extension Int32: TensorElement {
    public static var numpyTypeCode: String { "i4" }
}

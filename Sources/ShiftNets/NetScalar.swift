import Foundation
import ShiftOps

/// An element type the network layers compute in: `Float` for training, `Double` for gradient
/// checks.
///
/// The two functions the layers need beyond arithmetic are requirements, so the generic layers
/// call the C library's `exp` and `log` of the concrete type.
public protocol NetScalar: ShiftFloatingPoint where RawSignificand: FixedWidthInteger {
    /// `e^x`.
    static func exponential(_ x: Self) -> Self
    /// The natural logarithm.
    static func logarithm(_ x: Self) -> Self
}

extension Float: NetScalar {
    /// `expf`.
    public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    /// `logf`.
    public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
}

extension Double: NetScalar {
    /// `exp`.
    public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    /// `log`.
    public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
}

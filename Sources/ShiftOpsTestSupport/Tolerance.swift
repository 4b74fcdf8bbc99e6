import ShiftOps

/// The one rule for "close enough": the largest difference between a result and its reference,
/// relative to the reference's largest magnitude. A per-element relative rule would demand
/// impossible accuracy of outputs that are small only because of cancellation, and a plain
/// absolute rule would mean nothing for large values.
public enum Tolerance {
    /// `max |actual - expected| / max |expected|` over all elements; the plain largest difference
    /// when the reference is all zeros.
    ///
    /// NaNs in the same place count as equal, and so do infinities of the same sign; a NaN or an
    /// infinity facing anything else, or a count mismatch, is an infinite error.
    ///
    /// - Parameters:
    ///   - actual: the values under test.
    ///   - expected: the reference values, in the same order.
    /// - Returns: the relative error, 0 when the two agree exactly.
    public static func relativeError<T: BinaryFloatingPoint>(_ actual: [T], _ expected: [T]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        var worst = 0.0, scale = 0.0
        for (a, e) in zip(actual, expected) {
            if a.isNaN || e.isNaN {
                if a.isNaN != e.isNaN { return .infinity }
                continue
            }
            if a == e {
                if e.isFinite { scale = Swift.max(scale, Double(abs(e))) }
                continue
            }
            if a.isInfinite || e.isInfinite { return .infinity }
            worst = Swift.max(worst, abs(Double(a) - Double(e)))
            scale = Swift.max(scale, Double(abs(e)))
        }
        return scale > 0 ? worst / scale : worst
    }

    /// ``relativeError(_:_:)-([T],[T])`` over two tensors' elements in logical order; infinite when
    /// their shapes differ.
    ///
    /// - Parameters:
    ///   - actual: the tensor under test, any layout.
    ///   - expected: the reference, any layout, the same shape.
    /// - Returns: the relative error.
    public static func relativeError<T: ShiftFloatingPoint>(_ actual: Tensor<T>, _ expected: Tensor<T>) -> Double {
        guard actual.shape == expected.shape else { return .infinity }
        return relativeError(actual.elements, expected.elements)
    }

    /// How close an output or an input gradient of `T` must come to the reference: 1e-6 for
    /// `Float`, 1e-12 for `Double` (and for wider types).
    ///
    /// - Parameter type: the element type the result was computed in.
    /// - Returns: the largest relative error to accept.
    public static func result<T: BinaryFloatingPoint>(_ type: T.Type) -> Double {
        T.significandBitCount <= Float.significandBitCount ? 1e-6 : 1e-12
    }

    /// How close a shift gradient of `T` must come to the reference: a sum over the batch and every
    /// output position, so looser than ``result(_:)``: 1e-4 for `Float`, 1e-10 for `Double`.
    ///
    /// - Parameter type: the element type the gradient was computed in.
    /// - Returns: the largest relative error to accept.
    public static func shiftGradient<T: BinaryFloatingPoint>(_ type: T.Type) -> Double {
        T.significandBitCount <= Float.significandBitCount ? 1e-4 : 1e-10
    }
}

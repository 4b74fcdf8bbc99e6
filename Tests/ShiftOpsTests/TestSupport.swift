import Testing
import ShiftOps
import ShiftOpsTestSupport

/// `sum(a * b)` over all elements, in Double.
func dot<T: ShiftFloatingPoint>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    zip(a.elements, b.elements).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Expects `actual` to match `expected` within `tolerance`, relative to `expected`'s largest
/// magnitude (the one rule, `Tolerance.relativeError`).
func expectClose<T: ShiftFloatingPoint>(_ actual: Tensor<T>, _ expected: Tensor<T>, tolerance: Double,
                                        _ comment: @autoclosure () -> String = "",
                                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(comment())", sourceLocation: sourceLocation)
    let difference = Tolerance.relativeError(actual, expected)
    #expect(difference <= tolerance, "max relative difference \(difference) > \(tolerance) \(comment())",
            sourceLocation: sourceLocation)
}

/// How many elements of two same-shaped tensors differ in their bits (-1 for different shapes):
/// sign, exponent and significand, so NaN payloads and signed zeros count.
func bitwiseDifferences<T: ShiftFloatingPoint>(_ a: Tensor<T>, _ b: Tensor<T>) -> Int {
    guard a.shape == b.shape else { return -1 }
    return zip(a.elements, b.elements).filter { (x: T, y: T) -> Bool in
        x.sign != y.sign || x.exponentBitPattern != y.exponentBitPattern || x.significandBitPattern != y.significandBitPattern
    }.count
}

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

/// `Float` data of `shape` drawn from +0, -0 and the smallest subnormals of either sign: products
/// with them round to zeros of either sign, so every output's sign of zero shows how its sum was
/// formed.
func signedZeroData(shape: [Int], seed: UInt64) throws -> Tensor<Float> {
    var generator = SeededGenerator(seed: seed)
    let values: [Float] = [0, -0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
    return try Tensor<Float>(shape: shape, elements: (0..<shape.reduce(1, *)).map { _ in
        values[Int.random(in: 0..<values.count, using: &generator)]
    })
}

/// Expects the channels-last forward of channels-first `x` (any spatial rank) on `geometry` to
/// take `path` (unless nil) and to give the channels-first forward's bits, on the threads in use
/// and on one.
func expectChannelsLastBits(_ x: Tensor<Float>, shifts s: Tensor<Float>, padding: ShiftPadding, geometry: ShiftGeometry,
                            path: CPUPlan.Path?, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
    let last = try x.channelsLast()
    if let path {
        #expect(try CPUPlan.forward(last, shifts: s, padding: padding, geometry: geometry).path == path, "\(label)",
                sourceLocation: sourceLocation)
    }
    let y = try shift(last, shifts: s, padding: padding, geometry: geometry)
    let first = try shift(x, shifts: s, padding: padding, geometry: geometry)
    #expect(y.shape == first.shape, "\(label)", sourceLocation: sourceLocation)
    #expect(bitwiseDifferences(y, first) == 0, "\(label)", sourceLocation: sourceLocation)
    let single = try Parallelism.$threadLimit.withValue(1) { try shift(last, shifts: s, padding: padding, geometry: geometry) }
    #expect(bitwiseDifferences(single, y) == 0, "\(label), one thread", sourceLocation: sourceLocation)
}

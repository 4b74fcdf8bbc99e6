import Testing
@testable import ShiftOps

/// One configuration of a shift op for the parameterised tests.
struct ShiftCase: CustomStringConvertible, Sendable {
    var k: Int
    var mode: ShiftMode
    var padding: ShiftPadding
    var geometry: ShiftGeometry = .identity

    var description: String { "\(k)-D \(mode) \(padding) stride \(geometry.stride) origin \(geometry.origin) size \(geometry.outputSize.map { "\($0)" } ?? "default")" }

    /// Every rank x mode x padding.
    static let all: [ShiftCase] = (1...3).flatMap { k in
        ShiftMode.allCases.flatMap { mode in ShiftPadding.allCases.map { ShiftCase(k: k, mode: mode, padding: $0) } }
    }

    /// A small input shape for this rank.
    func shape(batch: Int = 2, channels: Int = 3) -> [Int] {
        [batch, channels] + [[7], [5, 6], [3, 4, 5]][k - 1]
    }

    /// Shifts of up to +-3.5 whose fractional parts stay in [0.1, 0.9] (integers for grouped).
    func shifts<T: ShiftFloatingPoint>(channels: Int, seed: UInt64) -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<channels * k).map { _ -> T in
            let whole = T(Int.random(in: -3...3, using: &generator))
            return mode == .grouped ? whole : whole + T(Double.random(in: 0.1...0.9, using: &generator))
        }
        return try! Tensor(shape: [channels, k], elements: values)
    }

    func forward<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>) throws -> Tensor<T> {
        try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    func backward<T: ShiftFloatingPoint>(_ g: Tensor<T>, _ x: Tensor<T>, _ s: Tensor<T>) throws -> ShiftGradients<T> {
        try shiftBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    func reference<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>) -> Tensor<T> {
        ReferenceShift.forward(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    func referenceBackward<T: ShiftFloatingPoint>(_ g: Tensor<T>, _ x: Tensor<T>, _ s: Tensor<T>) -> (input: Tensor<T>, shifts: Tensor<T>?) {
        ReferenceShift.backward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }
}

/// `sum(a * b)` over all elements, in Double.
func dot<T: ShiftFloatingPoint>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    zip(a.elements, b.elements).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Expects `actual` to match `expected` within `tolerance` relative to max(|values|, 1).
func expectClose<T: ShiftFloatingPoint>(_ actual: Tensor<T>, _ expected: Tensor<T>, tolerance: T,
                                        _ comment: @autoclosure () -> String = "",
                                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(comment())", sourceLocation: sourceLocation)
    let difference = actual.maximumRelativeDifference(to: expected)
    #expect(difference <= tolerance, "max relative difference \(difference) > \(tolerance) \(comment())",
            sourceLocation: sourceLocation)
}

/// How many elements of two same-shaped tensors differ in their bits (-1 for different shapes).
func bitwiseDifferences(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Int {
    guard a.shape == b.shape else { return -1 }
    return zip(a.elements, b.elements).filter { $0.bitPattern != $1.bitPattern }.count
}

/// How many elements of two same-shaped tensors differ in their bits (-1 for different shapes).
func bitwiseDifferences(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Int {
    guard a.shape == b.shape else { return -1 }
    return zip(a.elements, b.elements).filter { $0.bitPattern != $1.bitPattern }.count
}

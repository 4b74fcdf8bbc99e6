/// A small, fast, seedable generator (SplitMix64), so that random tensors and initialisations are
/// reproducible on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Tensor where Element: ShiftFloatingPoint, Element.RawSignificand: FixedWidthInteger {
    /// A dense row-major tensor of numbers drawn uniformly from `range`, reproducibly from `seed`.
    @inlinable
    public static func random(shape: [Int], in range: ClosedRange<Element> = -1...1, seed: UInt64) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        var values = [Element]()
        let count = try elementCount(of: shape, argument: "shape")
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(Element.random(in: range, using: &generator)) }
        return try Tensor(shape: shape, elements: values)
    }
}

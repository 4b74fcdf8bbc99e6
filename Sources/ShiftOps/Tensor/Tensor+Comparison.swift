extension Tensor where Element: BinaryFloatingPoint {
    /// The largest `|a - b| / max(|a|, |b|, absoluteFloor)` over all elements, or infinity when the
    /// shapes differ. NaNs in the same place count as equal; a NaN facing a number does not.
    public func maximumRelativeDifference(to other: Tensor, absoluteFloor: Element = 1) -> Element {
        guard shape == other.shape else { return .infinity }
        var worst: Element = 0
        for (a, b) in zip(elements, other.elements) {
            if a.isNaN || b.isNaN {
                if a.isNaN != b.isNaN { return .infinity }
                continue
            }
            if a == b { continue }
            let scale = Swift.max(Swift.max(abs(a), abs(b)), absoluteFloor)
            worst = Swift.max(worst, abs(a - b) / scale)
        }
        return worst
    }

    /// Whether every element is within `tolerance` of `other`'s, relative to the larger magnitude
    /// (or to `absoluteFloor` for numbers smaller than it). Shapes must match exactly.
    public func isApproximatelyEqual(to other: Tensor, tolerance: Element, absoluteFloor: Element = 1) -> Bool {
        maximumRelativeDifference(to: other, absoluteFloor: absoluteFloor) <= tolerance
    }
}

extension Tensor where Element: BinaryFloatingPoint {
    /// The largest `|a - b| / max(|a|, |b|, absoluteFloor)` over all elements, or infinity when the
    /// shapes differ.
    ///
    /// NaNs in the same place count as equal, and so do infinities of the same sign; a NaN or an
    /// infinity facing anything else is an infinite difference. Without that rule `inf - 1`
    /// over a scale of `inf` would be NaN, which `max` drops, and a kernel that wrote an infinity
    /// where a number belongs would pass.
    public func maximumRelativeDifference(to other: Tensor, absoluteFloor: Element = 1) -> Element {
        guard shape == other.shape else { return .infinity }
        var worst: Element = 0
        for (a, b) in zip(elements, other.elements) {
            if a.isNaN || b.isNaN {
                if a.isNaN != b.isNaN { return .infinity }
                continue
            }
            if a == b { continue }
            if a.isInfinite || b.isInfinite { return .infinity }
            let scale = Swift.max(Swift.max(abs(a), abs(b)), absoluteFloor)
            worst = Swift.max(worst, abs(a - b) / scale)
        }
        return worst
    }

    /// Whether every element is within `tolerance` of `other`'s, relative to the larger magnitude
    /// (or to `absoluteFloor` for numbers smaller than it). Shapes must match exactly; NaN and
    /// infinities match only themselves (see ``maximumRelativeDifference(to:absoluteFloor:)``).
    public func isApproximatelyEqual(to other: Tensor, tolerance: Element, absoluteFloor: Element = 1) -> Bool {
        maximumRelativeDifference(to: other, absoluteFloor: absoluteFloor) <= tolerance
    }
}

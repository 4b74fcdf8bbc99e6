import CShiftTaps

/// How a shift reads beyond the edges of its input.
///
/// For an integer tap index `i` on an axis of length `n`:
/// | case | reads | `numpy.pad` name |
/// | --- | --- | --- |
/// | `zeros` | `x[i]` if `0 <= i < n`, else 0 (or the fill value of an integer tensor) | constant |
/// | `border` | `x[clamp(i, 0, n - 1)]` | edge |
/// | `periodic` | `x[i mod n]` | wrap |
/// | `reflect` | mirror about the edge samples, period `2(n - 1)`; `n = 1` reads `x[0]` | reflect |
/// | `symmetric` | mirror with the edge sample repeated, period `2n` | symmetric |
///
/// Each interpolation tap is mapped on its own.
public enum ShiftPadding: String, Sendable, CaseIterable {
    case zeros, border, periodic, reflect, symmetric

    /// The input index that tap `i` reads on an axis of length `n >= 1`, or -1 for a zero.
    @inlinable @inline(__always)
    func map(_ i: Int, length n: Int) -> Int {
        switch self {
        case .zeros:
            return i >= 0 && i < n ? i : -1
        case .border:
            return i < 0 ? 0 : (i >= n ? n &- 1 : i)
        case .periodic:
            return floorMod(i, n)
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 &* (n &- 1)
            let r = floorMod(i, period)
            return r < n ? r : period &- r
        case .symmetric:
            let period = 2 &* n
            let r = floorMod(i, period)
            return r < n ? r : period &- 1 &- r
        }
    }

    /// This padding's number in the C tap definition (`shift_taps.h`).
    @inlinable
    var tapCode: Int32 {
        switch self {
        case .zeros: Int32(SHIFT_TAPS_ZEROS)
        case .border: Int32(SHIFT_TAPS_BORDER)
        case .periodic: Int32(SHIFT_TAPS_PERIODIC)
        case .reflect: Int32(SHIFT_TAPS_REFLECT)
        case .symmetric: Int32(SHIFT_TAPS_SYMMETRIC)
        }
    }

    /// The period of the mapping on an axis of length `n`, or nil when it has none (zeros, border).
    @inlinable
    func period(length n: Int) -> Int? {
        switch self {
        case .zeros, .border: return nil
        case .periodic: return n
        case .reflect: return n == 1 ? 1 : 2 * (n - 1)
        case .symmetric: return 2 * n
        }
    }
}

/// The remainder of `a / b` with the sign of `b` (`b > 0`).
@inlinable @inline(__always)
func floorMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r < 0 ? r &+ b : r
}

/// `floor(a / b)` for `b > 0`.
@inlinable @inline(__always)
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && a < 0) ? q &- 1 : q
}

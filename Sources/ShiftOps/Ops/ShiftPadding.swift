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
}

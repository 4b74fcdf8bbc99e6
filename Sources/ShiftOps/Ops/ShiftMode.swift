/// Which of the three shift operations to apply.
public enum ShiftMode: String, Sendable, CaseIterable {
    /// Active shift (Jeon & Kim 2018): real shifts, bilinear (trilinear in 3-D) interpolation
    /// forward and backward.
    case active
    /// Sparse shift (Chen et al. 2019): the forward uses `round(s)` (half to even), an exact integer
    /// shift; the backward passes the input gradient through that integer shift and the shift
    /// gradient through the interpolation at the unrounded `s`.
    case sparse
    /// Grouped shift (Wu et al. 2017): fixed integer shifts, no shift gradient. A shift that is
    /// not an integer is an error.
    case grouped

    /// Whether the mode has a gradient with respect to the shifts.
    public var learnsShifts: Bool { self != .grouped }
}

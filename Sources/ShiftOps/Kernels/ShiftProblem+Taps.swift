import CShiftTaps

// The kernels' view of a validated call: the taps each channel reads.

extension ShiftProblem {
    /// The taps through which channel `c` reads its input, for the forward and the input
    /// gradient: interpolated for active shifts, rounded to one tap for sparse and grouped shifts
    /// (exact for their integer shifts, and what the integer forward of any element type moves).
    @inlinable @inline(__always)
    func taps<Weight: ShiftFloatingPoint>(channel c: Int, shifts: ShiftTable<Weight>) -> ChannelTaps<Weight> {
        taps(channel: c, shifts: shifts, sampling: mode == .active ? .interpolate : .round)
    }

    /// The cell whose two taps on every real axis the shift gradient differentiates, even where a
    /// shift sits on the lattice.
    @inlinable @inline(__always)
    func cellTaps<Weight: ShiftFloatingPoint>(channel c: Int, shifts: ShiftTable<Weight>) -> ChannelTaps<Weight> {
        taps(channel: c, shifts: shifts, sampling: .interpolateBothTaps)
    }

    /// The taps of channel `c` sampled as `sampling` says; lifted axes read tap 0 only.
    @inlinable
    func taps<Weight: ShiftFloatingPoint>(channel c: Int, shifts: ShiftTable<Weight>,
                                          sampling: AxisTaps<Weight>.Sampling) -> ChannelTaps<Weight> {
        let lift = 3 - spatialRank
        func axis(_ a: Int) -> AxisTaps<Weight> {
            let lifted = a < lift
            return AxisTaps(shift: lifted ? 0 : shifts[c, a - lift], origin: origin[a],
                            length: inputSize[a], count: outputSize[a], step: step[a], padding: padding,
                            sampling: lifted ? .round : sampling)
        }
        return ChannelTaps(d: axis(0), h: axis(1), w: axis(2))
    }
}

extension ShiftPadding {
    /// This padding's number in the C tap definition (`shift_taps.h`), which maps every tap.
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
}

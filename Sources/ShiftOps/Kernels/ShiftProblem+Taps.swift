// The kernels' view of a validated call: the taps each channel reads.

extension ShiftProblem {
    /// The taps of channel `c`; lifted axes read tap 0 only.
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

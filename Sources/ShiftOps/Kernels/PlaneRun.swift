/// One channel's planes in consecutive images, which the plane forward walks stage by stage: the
/// work that depends only on the channel's taps (span offsets and weights, rows outside the
/// spans, edge-column patterns) is done once for the run instead of once per plane. At
/// 8x64x56x56, runs of four took the forward from about 6,700 instructions per plane to 5,900.
///
/// A run is kept short, so that the edge columns, rewritten after the spans of all of its planes
/// (depth slice by depth slice in 3-D), are still in a core's cache when they are: at most
/// ``longest`` planes, and only as many as keep one depth slice of each of their inputs and
/// outputs within ``cacheBytes``. Larger slices go one plane at a time, where the per-plane work
/// is small beside the plane's own.
@usableFromInline
struct PlaneRun: Sendable {
    /// How many planes.
    @usableFromInline let count: Int
    /// Elements from one plane of the run to the next, in the input and in the output.
    @usableFromInline let input: Int, output: Int

    /// The most planes in a run (measured at 56x56 floats, where four output planes and their
    /// inputs are 100 KB).
    @usableFromInline static let longest = 4

    /// The most bytes of input and output depth slices a run spans: a fraction of a core's L2.
    @usableFromInline static let cacheBytes = 128 << 10

    /// `count` planes, `input` and `output` elements apart.
    @inlinable
    init(count: Int, input: Int, output: Int) {
        (self.count, self.input, self.output) = (count, input, output)
    }

    /// One plane.
    @inlinable static var single: PlaneRun { PlaneRun(count: 1, input: 0, output: 0) }

    /// Calls `body(first, run)` for runs covering `images` in order, whose planes lie `input` and
    /// `output` elements apart and whose depth slices take `sliceBytes` bytes, input and output
    /// together: each run ``longest`` planes or as many as fit ``cacheBytes`` (at least one), the
    /// last one shorter.
    @inlinable @inline(__always)
    static func split(_ images: Range<Int>, input: Int, output: Int, sliceBytes: Int, _ body: (Int, PlaneRun) -> Void) {
        let most = Swift.max(1, Swift.min(longest, cacheBytes / Swift.max(sliceBytes, 1)))
        var first = images.lowerBound
        while first < images.upperBound {
            let count = Swift.min(most, images.upperBound &- first)
            body(first, PlaneRun(count: count, input: input, output: output))
            first &+= count
        }
    }
}

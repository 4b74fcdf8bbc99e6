/// One channel's planes in consecutive images, which the plane forward walks stage by stage: the
/// work that depends only on the channel's taps (span offsets and weights, rows outside the
/// spans, edge-column patterns) is done once for the run instead of once per plane. At
/// 8x64x56x56, runs of four took the forward from about 6,700 instructions per plane to 5,900.
///
/// A run is kept short (``longest`` planes), so that the edge columns, rewritten after the spans
/// of all of its planes, are still in a core's cache when they are.
@usableFromInline
struct PlaneRun: Sendable {
    /// How many planes.
    @usableFromInline let count: Int
    /// Elements from one plane of the run to the next, in the input and in the output.
    @usableFromInline let input: Int, output: Int

    /// The most planes in a run: four output planes and their inputs are 100 KB at 56x56 floats.
    @usableFromInline static let longest = 4

    /// `count` planes, `input` and `output` elements apart.
    @inlinable
    init(count: Int, input: Int, output: Int) {
        (self.count, self.input, self.output) = (count, input, output)
    }

    /// One plane.
    @inlinable static var single: PlaneRun { PlaneRun(count: 1, input: 0, output: 0) }

    /// Calls `body(first, run)` for runs covering `images`, each at most ``longest`` planes, whose
    /// planes lie `input` and `output` elements apart.
    @inlinable @inline(__always)
    static func split(_ images: Range<Int>, input: Int, output: Int, _ body: (Int, PlaneRun) -> Void) {
        var first = images.lowerBound
        while first < images.upperBound {
            let count = Swift.min(longest, images.upperBound &- first)
            body(first, PlaneRun(count: count, input: input, output: output))
            first &+= count
        }
    }
}

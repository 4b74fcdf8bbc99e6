import Testing
import ShiftOpsTestSupport

extension Tag {
    /// Tests that take about a second or more in a debug build: training, the threading, layout
    /// and vector-level grids, the fuzz, the checkpoint crash cases, the samples that train a
    /// network. Each also carries `.skippedInFastLane`, which does the leaving out.
    @Tag static var slow: Self
}

extension Trait where Self == ConditionTrait {
    /// Skips a `slow` test in the fast lane (``FastLane``). A trait of its own because `swift test`
    /// in Swift 6.3 cannot skip by tag.
    static var skippedInFastLane: Self { .disabled(if: FastLane.isOn, Comment(rawValue: FastLane.skipReason)) }
}

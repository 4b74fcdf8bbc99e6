import Foundation
import Testing

extension Tag {
    /// Tests that take about a second or more in a debug build: training, the threading, layout
    /// and vector-level grids, the fuzz, the checkpoint crash cases, the samples that train a
    /// network. Each also carries `.skippedInFastLane`, which does the leaving out.
    @Tag static var slow: Self
}

extension Trait where Self == ConditionTrait {
    /// Skips a `slow` test when `SHIFTOPS_FAST_LANE=1` is set, so that
    /// `SHIFTOPS_FAST_LANE=1 swift test` is a quick edit loop; the plain `swift test` (and CI)
    /// runs everything. A trait of its own because `swift test` in Swift 6.3 cannot skip by tag.
    static var skippedInFastLane: Self {
        .disabled(if: ProcessInfo.processInfo.environment["SHIFTOPS_FAST_LANE"] == "1",
                  "slow: left out of the fast lane (SHIFTOPS_FAST_LANE=1)")
    }
}

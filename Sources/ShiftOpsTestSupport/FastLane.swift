import Foundation

/// The quick edit loop: `SHIFTOPS_FAST_LANE=1 swift test` leaves out the tests tagged slow (each
/// test target turns this into its `.skippedInFastLane` trait); the plain `swift test`, and CI,
/// run everything.
public enum FastLane {
    /// Whether this process runs the fast lane (`SHIFTOPS_FAST_LANE=1`).
    public static var isOn: Bool { ProcessInfo.processInfo.environment["SHIFTOPS_FAST_LANE"] == "1" }

    /// Why a slow test did not run, for the test report.
    public static let skipReason = "slow: left out of the fast lane (SHIFTOPS_FAST_LANE=1)"
}

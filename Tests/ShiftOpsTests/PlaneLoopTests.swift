import Synchronization
import Testing
@testable import ShiftOps

/// The plane loop of the NCHW kernels hands each plane its channel's taps, worked out once per
/// call.
@Suite struct PlaneLoopTests {
    // Batches of a few channels too, so that tasks span whole images and start inside one.
    @Test(arguments: [(1, 1), (1, 7), (6, 1), (3, 5), (8, 64), (2, 9), (10, 3), (9, 4), (64, 8)])
    func everyPlaneOnceWithItsChannelsTaps(batch: Int, channels: Int) {
        for threads in [1, 2, 3, 8] {
            let visits = Mutex([Int](repeating: 0, count: batch * channels))
            let wrong = Mutex(0)
            Parallelism.$threadLimit.withValue(threads) {
                DensePlanes.forEachPlane(batch: batch, channels: channels, grain: 1, trace: nil,
                                         taps: { c in 1000 + c }) { taps, n, c in
                    visits.withLock { $0[n * channels + c] += 1 }
                    if taps != 1000 + c || !(0..<batch).contains(n) { wrong.withLock { $0 += 1 } }
                }
            }
            #expect(visits.withLock { $0 } == Array(repeating: 1, count: batch * channels), "\(threads) threads")
            #expect(wrong.withLock { $0 } == 0, "planes given another channel's taps, \(threads) threads")
        }
    }
}

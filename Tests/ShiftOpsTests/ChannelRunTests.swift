import Foundation
import Testing
@testable import ShiftOps

/// The plane loop of the NCHW kernels walks planes channel by channel, one call per run of a
/// channel's images within a task, so that each channel's taps are worked out once per task.
@Suite struct ChannelRunTests {
    @Test(arguments: [(1, 1), (1, 7), (6, 1), (3, 5), (8, 64), (2, 9)])
    func everyPlaneOnceOnEveryThreadCount(batch: Int, channels: Int) {
        for threads in [1, 2, 3, 8] {
            // An NSLock rather than a Mutex: ThreadSanitizer sees pthread locks, not the futex
            // under Synchronization's Mutex, and reported the counts' updates as a race.
            let lock = NSLock()
            var visits = [Int](repeating: 0, count: batch * channels)
            var runs = [Range<Int>]()
            Parallelism.$threadLimit.withValue(threads) {
                DensePlanes.forEachChannelRun(batch: batch, channels: channels, grain: 1, trace: nil) { c, images in
                    lock.withLock {
                        for n in images { visits[n * channels + c] += 1 }
                        runs.append(images)
                    }
                }
            }
            #expect(visits == Array(repeating: 1, count: batch * channels), "\(threads) threads")
            #expect(runs.allSatisfy { !$0.isEmpty && $0.lowerBound >= 0 && $0.upperBound <= batch }, "\(runs)")
            // One call per channel per task at most: a task's chunk is one contiguous run of
            // planes, and parallelChunks makes at most four chunks per thread.
            #expect(runs.count <= channels + 4 * threads, "\(runs.count) calls, \(threads) threads")
        }
    }
}

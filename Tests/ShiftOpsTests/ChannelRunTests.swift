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

    /// A channel's images go to the plane forward in runs that cover every image once, in order:
    /// runs of ``PlaneRun/longest`` where that many planes' depth slices fit
    /// ``PlaneRun/cacheBytes`` (the last one shorter), fewer where they do not, and one plane at
    /// a time where one slice alone fills it.
    @Test(arguments: [(25_088, PlaneRun.longest), (PlaneRun.cacheBytes / 2, 2), (PlaneRun.cacheBytes, 1), (401_408, 1)])
    func planeRunsSplitEveryRangeInOrder(sliceBytes: Int, length: Int) {
        for images in [0..<0, 0..<1, 0..<4, 3..<9, 5..<6, 0..<13] {
            var covered = [Int](), lengths = [Int]()
            PlaneRun.split(images, input: 100, output: 7, sliceBytes: sliceBytes) { first, run in
                covered += first..<(first + run.count)
                lengths.append(run.count)
                #expect(run.input == 100 && run.output == 7)
            }
            #expect(covered == Array(images), "\(images)")
            #expect(lengths.dropLast().allSatisfy { $0 == length }, "\(images): \(lengths)")
            #expect(lengths.last.map { $0 >= 1 && $0 <= length } ?? images.isEmpty, "\(images): \(lengths)")
        }
    }

    /// The plane forward walks a run's images stage by stage: a batch of six, which runs of
    /// ``PlaneRun/longest`` do not divide, read through a batch stride of two images, gives each
    /// image the bits it gets alone, for the interpolating forward (active and grouped shifts, 2-D
    /// and 3-D) and the integer one.
    @Test(arguments: [ShiftPadding.zeros, .reflect])
    func planeRunsGiveEachImageItsOwnBits(padding: ShiftPadding) throws {
        let x = try Tensor<Float>.random(shape: [12, 3, 9, 11], seed: 81).sliced(axis: 0, range: 0..<12, step: 2)
        let active = try Tensor<Float>.random(shape: [3, 2], in: -1.5...1.5, seed: 82)
        let grouped = try Tensor<Float>(shape: [3, 2], elements: [1, -1, 0, 2, -1, 0])
        for (mode, s) in [(ShiftMode.active, active), (.grouped, grouped)] {
            #expect(try CPUPlan.forward(x, shifts: s, mode: mode, padding: padding).path == .flatPlanes)
            let y = try shift2d(x, shifts: s, mode: mode, padding: padding)
            for n in 0..<6 {
                let alone = try shift2d(x.sliced(axis: 0, range: n..<(n + 1)), shifts: s, mode: mode, padding: padding)
                #expect(bitwiseDifferences(try y.sliced(axis: 0, range: n..<(n + 1)).contiguous(), alone) == 0,
                        "\(mode) \(padding) image \(n)")
            }
        }
        // 3-D: the stages walk each volume slice by slice, trilinear spans and their edges.
        let v = try Tensor<Float>.random(shape: [12, 2, 4, 7, 9], seed: 83).sliced(axis: 0, range: 0..<12, step: 2)
        let s3 = try Tensor<Float>.random(shape: [2, 3], in: -1.5...1.5, seed: 84)
        #expect(try CPUPlan.forward(v, shifts: s3, padding: padding).path == .flatPlanes)
        let w = try shift3d(v, shifts: s3, padding: padding)
        for n in 0..<6 {
            let alone = try shift3d(v.sliced(axis: 0, range: n..<(n + 1)), shifts: s3, padding: padding)
            #expect(bitwiseDifferences(try w.sliced(axis: 0, range: n..<(n + 1)).contiguous(), alone) == 0,
                    "3-D \(padding) image \(n)")
        }
        let q = try Tensor<Int8>(shape: [12, 3, 9, 11], elements: (0..<(12 * 3 * 9 * 11)).map { Int8(truncatingIfNeeded: $0 &* 37) })
            .sliced(axis: 0, range: 0..<12, step: 2)
        #expect(try CPUPlan.forward(integer: q, shifts: active, padding: padding).path == .flatPlanes)
        let z = try shift2d(q, shifts: active, padding: padding, fill: 3)
        for n in 0..<6 {
            let alone = try shift2d(q.sliced(axis: 0, range: n..<(n + 1)), shifts: active, padding: padding, fill: 3)
            #expect(try z.sliced(axis: 0, range: n..<(n + 1)).contiguous().elements == alone.elements, "Int8 \(padding) image \(n)")
        }
    }
}

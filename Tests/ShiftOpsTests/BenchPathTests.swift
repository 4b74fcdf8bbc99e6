import Testing
@testable import ShiftOps
import ShiftOpsTool

/// `shiftops bench` prints the CPU path (``CPUPlan``) each shift case takes.
@Suite struct BenchPathTests {
    /// `shiftops bench` with these arguments, which must succeed: its output and its `path:` lines.
    static func bench(_ arguments: [String]) -> (output: String, paths: [Substring]) {
        var output = "", errors = ""
        let status = ShiftOpsCommand.main(["bench"] + arguments, output: { output += $0 + "\n" }, errors: { errors += $0 + "\n" })
        #expect(status == 0, "\(errors)")
        return (output, output.split(separator: "\n").filter { $0.hasPrefix("path: ") })
    }

    @Test func benchPrintsThePathOfEachCase() {
        let paths = Self.bench(["--shape", "2,9,12,10", "--repetitions", "1", "--modes", "active,grouped"]).paths
        func path(_ name: String) -> String? {
            paths.first { $0.dropFirst(6).hasPrefix(name + " ") }.map(String.init)
        }
        for (name, expected) in [("shift active forward", "flatPlanes ("), ("shift active backward", "densePlanes ("),
                                 ("shift grouped forward", "flatPlanes ("), ("shift grouped backward", "densePlanes ("),
                                 ("shift int8 sparse forward", "flatPlanes ("),
                                 ("channels-last active forward", "channelsLastTiles ("),
                                 ("channels-last active backward", "channelsLastTiles ("),
                                 ("channels-last grouped forward", "channelsLastIntegerShift ("),
                                 ("channels-last grouped backward", "channelsLastIntegerShift ("),
                                 // Nine Int8 channels are 9 bytes a pixel, under a 32-byte chunk.
                                 ("channels-last int8 sparse forward", "channelsLastTiles (")] {
            #expect(path(name)?.contains(expected) == true, "\(name): \(paths)")
        }
        // The active cases timed again with shifts from U(-1,1) print their paths too.
        for name in ["shift active forward", "shift active backward", "channels-last active forward", "channels-last active backward"] {
            #expect(path(name + " U(-1,1)") != nil, "\(name) U(-1,1): \(paths)")
        }
        // The forward at stride 2: NCHW row by row, channels-last on its neighbourhood kernel
        // above the portable level.
        // (Nine channels are too few for the wide kernel, so the default range takes the tiles.)
        for suffix in ["", " U(-1,1)"] {
            #expect(path("shift active forward stride 2" + suffix)?.contains("rows (") == true, "\(paths)")
            let lastStrided = VectorLevel.selected > 0 && !suffix.isEmpty ? "channelsLastNeighbours (" : "channelsLastTiles ("
            #expect(path("channels-last active forward stride 2" + suffix)?.contains(lastStrided) == true, "\(paths)")
        }
        #expect(paths.count == 18, "\(paths)")
    }

    /// The sparse backward at U(-1,1) in both layouts, the channels-last one on its own kernel;
    /// no active case where the active mode is not asked for.
    @Test func benchPrintsTheSparseBackwardPaths() {
        let (output, paths) = Self.bench(["--shape", "2,16,12,10", "--repetitions", "1", "--modes", "sparse", "--no-naive"])
        for (name, expected) in [("shift sparse backward U(-1,1)", "densePlanes ("),
                                 ("channels-last sparse backward U(-1,1)", "channelsLastSparseNeighbours (")] {
            #expect(paths.contains { $0.dropFirst(6).hasPrefix(name + " ") && $0.contains(expected) }, "\(name): \(paths)")
        }
        #expect(output.contains("channels-last / NCHW sparse backward, U(-1,1)"), "\(output)")
        // Without the active mode no active case runs, in either layout, at any range or stride.
        #expect(!paths.contains { $0.contains("active") }, "\(paths)")
        let volume = Self.bench(["--shape", "1,8,3,5,6", "--repetitions", "1", "--modes", "sparse", "--no-naive"]).paths
        #expect(volume.contains { $0.contains("shift3d sparse forward") } && !volume.contains { $0.contains("active") }, "\(volume)")
    }

    /// The 3-D shape's paths, the channels-last (NDHWC) cases' among them: every name, however
    /// long, is followed by a space and its path.
    @Test func benchPrintsTheThreeDimensionalPaths() {
        let paths = Self.bench(["--shape", "1,4,3,5,6", "--repetitions", "1", "--modes", "active"]).paths
        for (name, expected) in [("shift3d active forward", "flatPlanes ("), ("shift3d active backward U(-1,1)", "densePlanes ("),
                                 ("channels-last shift3d active forward", "channelsLastTiles ("),
                                 ("channels-last shift3d active backward U(-1,1)", "channelsLastTiles (")] {
            #expect(paths.contains { $0.dropFirst(6).hasPrefix(name + " ") && $0.contains(expected) }, "\(name): \(paths)")
        }
        #expect(paths.count == 10, "\(paths)")
        // With eight channels the 3-D neighbourhood kernel serves the channels-last forward at
        // stride 2 and U(-1, 1) above the portable level; at stride 1 the tiles serve.
        let eight = Self.bench(["--shape", "1,8,3,5,6", "--repetitions", "1", "--modes", "active"]).paths
        let strided = VectorLevel.selected > 0 ? "channelsLastVolumeNeighbours (" : "channelsLastTiles ("
        for (name, expected) in [("channels-last shift3d active forward U(-1,1)", "channelsLastTiles ("),
                                 ("shift3d active forward stride 2 U(-1,1)", "rows ("),
                                 ("channels-last shift3d active forward stride 2 U(-1,1)", strided)] {
            #expect(eight.contains { $0.dropFirst(6).hasPrefix(name + " ") && $0.contains(expected) }, "\(name): \(eight)")
        }
    }
}

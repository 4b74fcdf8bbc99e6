import Testing
import ShiftOpsTool

/// `shiftops bench` prints the CPU path (``CPUPlan``) each shift case takes.
@Suite struct BenchPathTests {
    @Test func benchPrintsThePathOfEachCase() {
        var output = "", errors = ""
        let status = ShiftOpsCommand.main(["bench", "--shape", "2,9,12,10", "--repetitions", "1", "--modes", "active,grouped"],
                                          output: { output += $0 + "\n" }, errors: { errors += $0 + "\n" })
        #expect(status == 0, "\(errors)")
        let paths = output.split(separator: "\n").filter { $0.hasPrefix("path: ") }
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
        #expect(paths.count == 14, "\(paths)")
    }
}

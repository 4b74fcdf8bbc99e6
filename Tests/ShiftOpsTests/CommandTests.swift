import Foundation
import Testing
@testable import ShiftOps
import ShiftOpsTestSupport
import ShiftOpsTool

/// `shiftops run` on files it writes itself.
@Suite struct CommandTests {
    /// This test's own folder, removed with everything in it when the test ends.
    let temporary = try! TemporaryFolder(prefix: "shiftops-cli")
    var folder: String { temporary.path }

    func file(_ name: String) -> String { temporary.file(name) }

    func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let result = CommandResult(running: ShiftOpsCommand.main, arguments)
        return (result.status, result.output, result.errors)
    }

    @Test func runMatchesTheLibrary() throws {
        let x = try Tensor<Double>.random(shape: [2, 3, 6, 5], seed: 1)
        let s = try Tensor<Double>.random(shape: [3, 2], in: -2...2, seed: 2)
        let g = try Tensor<Double>.random(shape: [2, 3, 3, 5], seed: 3)
        try x.save(npyFile: file("x.npy"))
        try s.save(npyFile: file("s.npy"))
        try g.save(npyFile: file("g.npy"))
        let result = run(["run", "--mode", "active", "--padding", "reflect", "--input", file("x.npy"),
                          "--shifts", file("s.npy"), "--output", file("y.npy"), "--stride", "2,1", "--origin", "1",
                          "--grad-output", file("g.npy"), "--grad-input", file("gx.npy"), "--grad-shifts", file("gs.npy")])
        #expect(result.status == 0, "\(result.errors)")
        let geometry = ShiftGeometry(stride: [2, 1], origin: [1])
        let y = try shift2d(x, shifts: s, padding: .reflect, geometry: geometry)
        let expected = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect, geometry: geometry)
        #expect(try Tensor<Double>(npyFile: file("y.npy")).elements == y.elements)
        #expect(try Tensor<Double>(npyFile: file("gx.npy")).elements == expected.input.elements)
        #expect(try Tensor<Double>(npyFile: file("gs.npy")).elements == expected.shifts!.elements)
    }

    @Test func run1DFloat32() throws {
        let x = try Tensor<Float>(shape: [1, 1, 5], elements: [1, 2, 3, 4, 5])
        try x.save(npyFile: file("x1.npy"))
        try Tensor<Float>(shape: [1, 1], elements: [3]).save(npyFile: file("s1.npy"))
        let result = run(["run", "--mode", "grouped", "--padding", "symmetric", "--input", file("x1.npy"),
                          "--shifts", file("s1.npy"), "--output", file("y1.npy")])
        #expect(result.status == 0)
        #expect(try Tensor<Float>(npyFile: file("y1.npy")).elements == [3, 2, 1, 1, 2])
    }

    @Test func cudaDeviceWithoutABackendIsAnError() throws {
        try Tensor<Float>.random(shape: [1, 2, 4], seed: 1).save(npyFile: file("x.npy"))
        try Tensor<Float>(shape: [2, 1]).save(npyFile: file("s.npy"))
        let result = run(["run", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy"), "--device", "cuda"])
        #if CUDA
        // With the backend compiled in, this machine either has a GPU (and the op runs) or says why not.
        if result.status == 0 {
            #expect(try Tensor<Float>(npyFile: file("y.npy")).shape == [1, 2, 4])
        } else {
            #expect(result.status == 2 && result.errors.contains("CUDA") || result.errors.contains("libshiftcuda"), "\(result.errors)")
        }
        #else
        #expect(result.status == 2 && result.errors.contains("no CUDA backend; build with 'swift build --traits CUDA'"))
        #expect(!FileManager.default.fileExists(atPath: file("y.npy")))
        #endif
    }

    @Test func badArgumentsAndFilesExitWithStatus2AndWriteNothing() throws {
        try Tensor<Float>.random(shape: [1, 2, 4], seed: 1).save(npyFile: file("x.npy"))
        try Tensor<Float>(shape: [2, 1]).save(npyFile: file("s.npy"))
        try Tensor<Float>(shape: [3, 1]).save(npyFile: file("bad-s.npy"))
        try Data("\u{93}NUMPY garbage".utf8).write(to: URL(fileURLWithPath: file("broken.npy")))
        let common = ["--shifts", file("s.npy"), "--output", file("out.npy")]
        let cases: [([String], String)] = [
            ([], "usage"),
            (["frobnicate"], "unknown command"),
            (["run", "--input", file("x.npy")] + common + ["--padding", "mirror"], "--padding expects zeros|border|periodic|reflect|symmetric"),
            (["run", "--input", file("x.npy")] + common + ["--mode", "fancy"], "--mode expects"),
            (["run", "--input", file("x.npy")] + common + ["--stride", "a,b"], "--stride expects integers"),
            (["run", "--input", file("x.npy")] + common + ["--stride", "0"], "geometry.stride"),
            (["run", "--input", file("x.npy")] + common + ["--device", "gpu"], "--device expects cpu or cuda"),
            (["run", "--input", file("x.npy")] + common + ["--bogus", "1"], "unknown option '--bogus'"),
            (["run", "--input", file("x.npy")] + common + ["--grad-output", file("x.npy")], "go together"),
            (["run", "--input", file("broken.npy")] + common, "not a valid .npy file"),
            (["run", "--input", file("missing.npy")] + common, "cannot read the file"),
            (["run", "--input", file("x.npy"), "--shifts", file("bad-s.npy"), "--output", file("out.npy")], "has 3 channels but input has 2"),
            (["run", "--input", file("x.npy")] + common + ["--grad-output", file("x.npy"), "--grad-input", file("gx.npy"),
                                                          "--stride", "2"], "gradOutput"),
            (["run"] + common, "missing --input"),
        ]
        for (arguments, message) in cases {
            let result = run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1 || message == "usage", "one line: \(result.errors)")
            #expect(!FileManager.default.fileExists(atPath: file("out.npy")), "no partial output for \(arguments)")
            #expect(!FileManager.default.fileExists(atPath: file("gx.npy")))
        }
    }

    /// `run` writes all its outputs or none: a second output that cannot be written leaves the
    /// first target as it was (absent, or its old contents) and no temporary file behind.
    @Test func aFailedSecondWriteLeavesNoOutput() throws {
        try Tensor<Float>.random(shape: [1, 2, 5, 4], seed: 1).save(npyFile: file("x.npy"))
        try Tensor<Float>.random(shape: [2, 2], seed: 2).save(npyFile: file("s.npy"))
        let unwritable = folder + "/no-such-folder/gx.npy"
        let arguments = ["run", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy"),
                         "--grad-output", file("x.npy"), "--grad-input", unwritable]
        var result = run(arguments)
        #expect(result.status == 2 && result.errors.contains("no-such-folder"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: file("y.npy")))
        // An existing first target keeps its old contents.
        let old = try Tensor<Float>(shape: [1], elements: [42])
        try old.save(npyFile: file("y.npy"))
        result = run(arguments)
        #expect(result.status == 2)
        #expect(try Tensor<Float>(npyFile: file("y.npy")).elements == [42])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // With every path writable, all three files appear.
        let good = ["run", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy"),
                    "--grad-output", file("x.npy"), "--grad-input", file("gx.npy"), "--grad-shifts", file("gs.npy")]
        #expect(run(good).status == 0)
        #expect(try Tensor<Float>(npyFile: file("y.npy")).shape == [1, 2, 5, 4])
        #expect(try Tensor<Float>(npyFile: file("gs.npy")).shape == [2, 2])
    }

    /// The type of the file at `path` without following a final symbolic link.
    func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    /// An output naming a FIFO, a directory or a link to a device is refused before anything is
    /// computed, and the special file stays what it was (the atomic rename used to replace it).
    @Test func outputsThatAreNotRegularFilesAreRefused() throws {
        try Tensor<Float>.random(shape: [1, 2, 5, 4], seed: 1).save(npyFile: file("x.npy"))
        try Tensor<Float>.random(shape: [2, 2], seed: 2).save(npyFile: file("s.npy"))
        #expect(mkfifo(file("out.fifo"), 0o600) == 0)
        try FileManager.default.createDirectory(atPath: file("out.dir"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: file("null.npy"), withDestinationPath: "/dev/null")
        let special: [(String, String, mode_t)] = [("out.fifo", "a FIFO", S_IFIFO), ("out.dir", "a directory", S_IFDIR),
                                                   ("null.npy", "a character device", S_IFLNK)]
        for (name, kind, type) in special {
            for option in ["--output", "--grad-input"] {
                var arguments = ["run", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", file("y.npy"),
                                 "--grad-output", file("x.npy"), "--grad-input", file("gx.npy")]
                arguments[arguments.firstIndex(of: option)! + 1] = file(name)
                let result = run(arguments)
                #expect(result.status == 2 && result.errors.contains("\(option) \(file(name)): is \(kind), not a regular file"),
                        "\(name) \(option): \(result.errors)")
                #expect(fileType(file(name)) == type, "\(name) was replaced")
                #expect(!FileManager.default.fileExists(atPath: file("y.npy")) && !FileManager.default.fileExists(atPath: file("gx.npy")))
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Two outputs naming one file, however spelled, are refused: only the last write would stay.
    @Test func oneFileForTwoOutputsIsRefused() throws {
        try Tensor<Float>.random(shape: [1, 2, 5, 4], seed: 1).save(npyFile: file("x.npy"))
        try Tensor<Float>.random(shape: [2, 2], seed: 2).save(npyFile: file("s.npy"))
        try Tensor<Float>(shape: [1], elements: [42]).save(npyFile: file("old.npy"))
        #expect(link(file("old.npy"), file("hard.npy")) == 0)
        try FileManager.default.createSymbolicLink(atPath: file("here"), withDestinationPath: folder)
        let pairs: [(String, String)] = [(file("y.npy"), file("y.npy")), (file("y.npy"), folder + "/./sub/../y.npy"),
                                         (file("y.npy"), file("here") + "/y.npy"), (file("old.npy"), file("hard.npy"))]
        try FileManager.default.createDirectory(atPath: file("sub"), withIntermediateDirectories: false)
        for (first, second) in pairs {
            for grad in ["--grad-input", "--grad-shifts"] {
                var arguments = ["run", "--mode", "active", "--input", file("x.npy"), "--shifts", file("s.npy"), "--output", first,
                                 "--grad-output", file("x.npy"), "--grad-input", file("gx.npy")]
                if grad == "--grad-shifts" { arguments += ["--grad-shifts", second] } else { arguments[arguments.count - 1] = second }
                let result = run(arguments)
                #expect(result.status == 2 && result.errors.contains("--output and \(grad) name the same file"), "\(second): \(result.errors)")
                #expect(!FileManager.default.fileExists(atPath: file("y.npy")) && !FileManager.default.fileExists(atPath: file("gx.npy")))
            }
        }
        #expect(try Tensor<Float>(npyFile: file("hard.npy")).elements == [42])
    }

    /// `bench` refuses its report paths as `run` does its outputs, before timing anything.
    @Test func benchReportsRefuseSpecialFilesAndOnePathTwice() throws {
        #expect(mkfifo(file("report.fifo"), 0o600) == 0)
        let tiny = ["bench", "--shape", "1,2,4,4", "--repetitions", "1", "--modes", "grouped", "--no-naive", "--threads", "1"]
        var result = run(tiny + ["--json", file("report.fifo")])
        #expect(result.status == 2 && result.errors.contains("--json \(file("report.fifo")): is a FIFO, not a regular file"), "\(result.errors)")
        #expect(fileType(file("report.fifo")) == S_IFIFO)
        result = run(tiny + ["--json", file("report"), "--csv", folder + "/./report"])
        #expect(result.status == 2 && result.errors.contains("--json and --csv name the same file"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: file("report")))
    }
}

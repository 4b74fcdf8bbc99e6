import Foundation
import Testing
@testable import ShiftOpsTool

/// The bench's figures: every id printed with its goal for each shape size (the 8x64x56x56
/// cache-resident goals below 32x64x56x56, the memory-bound ones from it up, C9's for 3-D), and
/// each ratio's arithmetic on made-up times. Real times are never asserted: the machine is shared.
@Suite struct BenchFiguresTests {
    typealias C = PyTorchFigures.Case
    typealias Case = BenchFigures.Case

    /// The goals written out, id by id, as the bench must print them.
    static let smallGoals = ["C1": "<= 1.2", "C2": "<= 2", "C3": "<= 2.5", "C4": ">= 2", "C5": ">= 3", "C6": ">= 20",
                             "C7a": ">= 1", "C7b": ">= 1.5", "C7c": ">= 1", "C7d": ">= 1.5", "C8": "<= 1.3"]
    static let largeGoals = smallGoals.merging(["C2": "<= 1.3", "C7a": ">= 1.2", "C7b": ">= 5", "C7d": ">= 5"]) { $1 }
    /// How many lines each 2-D id has: C7c, C7d and C8 again at U(-1,1), C8 forward and backward,
    /// C8 for the grouped forward and backward and the Int8 forward, for the sparse backward at
    /// U(-1,1), and for the forward at stride 2 at both ranges.
    static let lineCounts = ["C1": 1, "C2": 1, "C3": 1, "C4": 1, "C5": 1, "C6": 1, "C7a": 1, "C7b": 1, "C7c": 2, "C7d": 2, "C8": 10]
    /// C9's four figures by a piece of their label, each at both shift ranges.
    static let c9Goals = [("3-D active forward / copy", "<= 2"), ("3-D active backward / copy", "<= 5"),
                          ("conv3d fwd / 3-D active fwd", ">= 5"), ("conv3d fwd+bwd / 3-D active fwd+bwd", ">= 20")]

    /// A case whose time (its minimum) is `ms`; its median, which no figure may take or choose
    /// by, is far off and falls as the minimum rises (so the fastest by median is the slowest).
    func row(_ shape: [Int], _ name: String, _ ms: Double) -> BenchCommand.Row {
        .init(shape: shape, name: name, median: 1 + 1 / ms, minimum: ms / 1e3, bytes: 0)
    }

    /// Figure lines by id, as `Report.table` prints them.
    func lines(_ text: String) -> [String: [String]] {
        Dictionary(grouping: text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  C") || $0.hasPrefix("  I1")
                                                                                    || $0.hasPrefix("  T1") }) {
            String($0.dropFirst(2).prefix { $0 != " " })
        }
    }

    func checkTwoD(_ byId: [String: [String]], goals: [String: String], shape: String) {
        for (id, goal) in goals {
            let found = byId[id] ?? []
            #expect(found.count == Self.lineCounts[id], "\(shape) \(id): \(found)")
            for line in found {
                #expect(line.contains("goal \(goal) "), "\(shape) \(id) wants goal \(goal): \(line)")
                #expect(line.hasSuffix("met") || line.hasSuffix("MISSED"), "\(shape) \(id) has a value: \(line)")
            }
        }
        #expect(byId.keys.filter { $0.hasPrefix("C") && $0 != "C9" }.count == goals.count, "\(shape): \(byId.keys.sorted())")
    }

    func checkThreeD(_ byId: [String: [String]]) {
        let c8 = byId["C8"] ?? []
        #expect(c8.count == 5 && c8.allSatisfy { $0.contains("3-D channels-last / NCDHW") && $0.contains("goal <= 1.3 ") }, "\(c8)")
        let c9 = byId["C9"] ?? []
        #expect(c9.count == 8, "\(c9)")
        for (label, goal) in Self.c9Goals {
            let found = c9.filter { $0.contains(label) }
            #expect(found.count == 2 && found.filter { $0.contains("U(-1,1)") }.count == 1, "\(label): \(c9)")
            for line in found {
                #expect(line.contains("goal \(goal) "), "C9 \(label) wants goal \(goal): \(line)")
                #expect(line.hasSuffix("met") || line.hasSuffix("MISSED"), "C9 has a value: \(line)")
            }
        }
    }

    /// A tiny run, with PyTorch's and TSM's files made up, prints every id with a value and the
    /// cache-resident goals (2-D), C9's goals (3-D), I1's and T1's.
    @Test func tinyRunPrintsEveryIdWithItsGoal() throws {
        let (shape, volume, clips) = ([2, 8, 12, 10], [1, 4, 3, 5, 6], [16, 8, 12, 10])
        func item(_ shape: [Int], _ name: String, _ ms: Double) -> String {
            "{\"shape\": [\(shape.map(String.init).joined(separator: ", "))], \"case\": \"\(name)\", \"median_ms\": \(ms)}"
        }
        let pytorchCases = [C.copy, C.convForward, C.convTraining, C.lastConvForward, C.lastConvTraining].map { item(shape, $0, 2) }
            + [C.copy, C.conv3dForward, C.conv3dTraining, C.lastConv3dForward, C.lastConv3dTraining].map { item(volume, $0, 2) }
        let directory = FileManager.default.temporaryDirectory
        let pytorch = directory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        let tsm = directory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        defer { for path in [pytorch, tsm] { try? FileManager.default.removeItem(atPath: path) } }
        try Data("{\"cases\": [\(pytorchCases.joined(separator: ", "))]}".utf8).write(to: URL(fileURLWithPath: pytorch))
        try Data("{\"cases\": [\(item(clips, BenchInterop.pytorchCase, 1))]}".utf8).write(to: URL(fileURLWithPath: tsm))

        var output = "", errors = ""
        let status = ShiftOpsCommand.main(["bench", "--shape", "2,8,12,10", "--shape", "1,4,3,5,6", "--repetitions", "1",
                                           "--pytorch", pytorch, "--tsm", tsm],
                                          output: { output += $0 + "\n" }, errors: { errors += $0 + "\n" })
        #expect(status == 0, "\(errors)")
        let tables = output.components(separatedBy: "\nshape ")
        #expect(tables.count == 4, "three tables: \(output)")
        guard tables.count == 4 else { return }
        checkTwoD(lines(tables[1]), goals: Self.smallGoals, shape: "2x8x12x10")
        checkThreeD(lines(tables[2]))
        // The 3-D side by side pairs PyTorch's conv3d with the 3-D shift, with a ratio.
        let conv3d = tables[2].split(separator: "\n").first { $0.contains(C.lastConv3dTraining) } ?? ""
        #expect(conv3d.contains("shift3d active forward+backward") && Double(conv3d.split(separator: " ").last ?? "") != nil,
                "\(tables[2])")
        let interop = lines(tables[3])
        #expect(interop["I1"]?.count == 1 && interop["I1"]![0].contains("goal <= 1.1 "), "\(tables[3])")
        let t1 = interop["T1"] ?? []
        #expect(t1.count == 1 && t1.allSatisfy { $0.contains("goal >= 1.3 ") && ($0.hasSuffix("met") || $0.hasSuffix("MISSED")) },
                "\(tables[3])")
    }

    /// The figures of both 2-D sizes (made-up times: the shapes are too large to run in a test),
    /// printed as the bench prints them.
    @Test func goalsPerShapeSize() {
        for (shape, goals) in [([8, 64, 56, 56], Self.smallGoals), ([31, 64, 56, 56], Self.smallGoals),
                               ([32, 64, 56, 56], Self.largeGoals), ([8, 128, 112, 56], Self.largeGoals)] {
            let names = [Case.activeForward, Case.activeBackward, Case.groupedForward, Case.lastForward, Case.lastBackward,
                         Case.convForward, Case.convBackward, Case.naiveForward]
            let integer = [Case.groupedBackward, Case.int8Forward, Case.lastGroupedForward, Case.lastGroupedBackward, Case.lastInt8Forward,
                           Case.narrow(Case.sparseBackward), Case.narrow(Case.lastSparseBackward),
                           Case.strided(Case.activeForward), Case.strided(Case.lastForward),
                           Case.narrow(Case.strided(Case.activeForward)), Case.narrow(Case.strided(Case.lastForward))]
            let ours = [row(shape, "copy: memcpy, 1 thread", 1)]
                + (names + names.prefix(5).map(Case.narrow) + integer).map { row(shape, $0, 2) }
            let pytorch = PyTorchFigures(path: "made-up.json", version: "test",
                                         rows: [C.convTraining, C.lastConvForward, C.lastConvTraining].map { row(shape, $0, 3) })
            let figures = BenchFigures.make(shape: shape, rows: ours, pytorch: pytorch)
            let label = shape.map(String.init).joined(separator: "x")
            checkTwoD(lines(figures.map(Report.figureLine).joined(separator: "\n")), goals: goals, shape: label)
        }
        let volume = [8, 32, 16, 56, 56]
        let ours = [row(volume, "copy: memcpy, 1 thread", 1)]
            + [Case.forward3D, Case.backward3D, Case.lastForward3D, Case.lastBackward3D].flatMap {
                [row(volume, $0, 2), row(volume, Case.narrow($0), 2)]
            }
            + [Case.forward3D, Case.lastForward3D].map { row(volume, Case.narrow(Case.strided($0)), 2) }
        let pytorch = PyTorchFigures(path: "made-up.json", version: "test",
                                     rows: [C.conv3dForward, C.conv3dTraining].map { row(volume, $0, 3) })
        checkThreeD(lines(BenchFigures.make(shape: volume, rows: ours, pytorch: pytorch).map(Report.figureLine).joined(separator: "\n")))
    }

    /// Each ratio from the cases it names: PyTorch's fastest where the figure says so, the U(-1,1)
    /// cases for the U(-1,1) figures, another shape's cases ignored.
    @Test func figureArithmetic() throws {
        let shape = [8, 64, 56, 56]
        let times: [(String, Double)] = [
            ("copy: memcpy, 1 thread", 0.3), ("copy: chunked memcpy, 2 threads", 0.2), (Case.groupedForward, 0.25),
            (Case.activeForward, 0.5), (Case.activeBackward, 1.5), (Case.lastForward, 0.8), (Case.lastBackward, 2.0),
            (Case.narrow(Case.activeForward), 0.4), (Case.narrow(Case.activeBackward), 1.2),
            (Case.narrow(Case.lastForward), 0.5), (Case.narrow(Case.lastBackward), 1.3),
            (Case.convForward, 1.0), (Case.convBackward, 3.0), (Case.naiveForward, 20),
            (Case.groupedBackward, 0.35), (Case.int8Forward, 0.1), (Case.lastGroupedForward, 0.3),
            (Case.lastGroupedBackward, 0.5), (Case.lastInt8Forward, 0.15),
            (Case.narrow(Case.sparseBackward), 1.1), (Case.narrow(Case.lastSparseBackward), 1.32),
            (Case.strided(Case.activeForward), 0.6), (Case.strided(Case.lastForward), 0.2),
            (Case.narrow(Case.strided(Case.activeForward)), 0.45), (Case.narrow(Case.strided(Case.lastForward)), 0.1),
        ]
        let ours = times.map { row(shape, $0.0, $0.1) } + [row([1, 1, 1, 1], Case.activeForward, 1e-6)]
        let pytorch = PyTorchFigures(path: "made-up.json", version: "test", rows: [
            row(shape, C.lastConvForward, 1.0), row(shape, C.convForward, 0.9), row(shape, C.convTraining, 8),
            row(shape, C.lastConvTraining, 6), row(shape, C.copy, 0.1), row([1, 1, 1, 1], C.lastConvTraining, 0.001),
        ])
        let figures = BenchFigures.make(shape: shape, rows: ours, pytorch: pytorch)
        let expected: [(String, Double)] = [
            ("C1", 0.25 / 0.2), ("C2", 0.5 / 0.2), ("C3", 1.5 / 0.2), ("C4", 1.0 / 0.5), ("C5", 4.0 / 2.0), ("C6", 20 / 0.5),
            ("C7a", 1.0 / 0.5), ("C7b", 6 / 2.0),
            ("C7c", 1.0 / 0.8), ("C7d", 6 / 2.8), ("C8", 0.8 / 0.5), ("C8", 2.0 / 1.5),
            ("C7c", 1.0 / 0.5), ("C7d", 6 / 1.8), ("C8", 0.5 / 0.4), ("C8", 1.3 / 1.2),
            ("C8", 0.3 / 0.25), ("C8", 0.5 / 0.35), ("C8", 0.15 / 0.1), ("C8", 1.32 / 1.1), ("C8", 0.2 / 0.6), ("C8", 0.1 / 0.45),
        ]
        #expect(figures.map(\.id) == expected.map(\.0))
        for (index, (figure, (id, value))) in zip(figures, expected).enumerated() {
            #expect(abs(try #require(figure.value) - value) < 1e-12, "\(id) \(figure.label): \(String(describing: figure.value)) != \(value)")
            // Figures 12 to 15 are the U(-1,1) ones, and the sparse backward's and the last
            // (the strided forward's), and say so; the last two are at stride 2.
            let last = expected.count - 1
            #expect(figure.label.hasSuffix(", U(-1,1)") == ((12..<16).contains(index) || index == last - 2 || index == last),
                    "\(figure.label)")
            #expect(figure.label.contains("stride 2") == (index >= last - 1), "\(figure.label)")
        }
        #expect(figures.first { $0.id == "C7b" }?.met == true && figures.first { $0.id == "C2" }?.met == false)
        // The side by side divides the same times: PyTorch's minimum over ours.
        let side = SideBySide(ours: ours.filter { $0.shape == shape }, pytorch: pytorch, shape: shape)
        let sideRatios = Dictionary(uniqueKeysWithValues: side.lines.map { ($0.pytorch.name, $0.ratio) })
        let sideExpected: [String: Double] = [C.lastConvForward: 1.0 / 0.5, C.convForward: 0.9 / 0.5, C.convTraining: 8 / 2.0,
                                              C.lastConvTraining: 6 / 2.0, C.copy: 0.1 / 0.2]
        #expect(Set(sideRatios.keys) == Set(sideExpected.keys))
        for (name, value) in sideExpected {
            #expect(abs((sideRatios[name] ?? nil).map { $0 - value } ?? 1) < 1e-12, "\(name): \(String(describing: sideRatios[name]))")
        }

        // Not measured: without the file, with a file lacking the shape, and with our mode not run.
        let withoutFile = BenchFigures.make(shape: shape, rows: ours, pytorch: nil).filter { $0.id.hasPrefix("C7") }
        #expect(withoutFile.count == 6 && withoutFile.allSatisfy { $0.value == nil && $0.met == nil && $0.note.contains("needs --pytorch") })
        let otherShape = [4, 64, 56, 56]
        let lacking = BenchFigures.make(shape: otherShape, rows: ours.map { var r = $0; r.shape = otherShape; return r }, pytorch: pytorch)
        #expect(lacking.filter { $0.id.hasPrefix("C7") }.allSatisfy { $0.value == nil && $0.note.contains("made-up.json has no such case") })
        let noActive = BenchFigures.make(shape: shape, rows: ours.filter { $0.name != Case.activeForward }, pytorch: pytorch)
        for id in ["C2", "C4", "C7a"] {
            let figure = try #require(noActive.first { $0.id == id })
            #expect(figure.value == nil && figure.note == "not measured (mode not run)", "\(id): \(figure.note)")
        }

        // 3-D: PyTorch's faster layout, forward and forward+backward each.
        let volume = [8, 32, 16, 56, 56]
        let ours3D = [row(volume, "copy: memcpy, 1 thread", 4), row(volume, Case.forward3D, 8), row(volume, Case.backward3D, 20),
                      row(volume, Case.narrow(Case.forward3D), 6), row(volume, Case.narrow(Case.backward3D), 12),
                      row(volume, Case.lastForward3D, 10), row(volume, Case.lastBackward3D, 30),
                      row(volume, Case.narrow(Case.lastForward3D), 7.8), row(volume, Case.narrow(Case.lastBackward3D), 15.6),
                      row(volume, Case.narrow(Case.strided(Case.forward3D)), 1.6),
                      row(volume, Case.narrow(Case.strided(Case.lastForward3D)), 2.4)]
        let pytorch3D = PyTorchFigures(path: "made-up.json", version: "test", rows: [
            row(volume, C.conv3dForward, 40), row(volume, C.lastConv3dForward, 30),
            row(volume, C.conv3dTraining, 250), row(volume, C.lastConv3dTraining, 300),
        ])
        let figures3D = BenchFigures.make(shape: volume, rows: ours3D, pytorch: pytorch3D)
        let c9 = figures3D.filter { $0.id == "C9" }
        let expected3D: [Double] = [8 / 4, 20 / 4, 30 / 8, 250 / 28, 6 / 4, 12 / 4, 30 / 6, 250 / 18]
        #expect(c9.count == 8)
        for (figure, value) in zip(c9, expected3D) {
            #expect(abs(try #require(figure.value) - value) < 1e-12, "\(figure.label): \(String(describing: figure.value)) != \(value)")
        }
        // A value equal to its goal meets it (forward / copy 2, backward / copy 5, PyTorch / ours 5).
        #expect(c9.map(\.met) == [true, true, false, false, true, true, true, false])
        #expect(c9.suffix(4).allSatisfy { $0.label.hasSuffix(", U(-1,1)") } && c9.prefix(4).allSatisfy { !$0.label.contains("U(-1,1)") })
        // Channels-last (NDHWC) over NCDHW at both ranges, C8's goal; 1.3 itself meets it.
        let c8 = figures3D.filter { $0.id == "C8" }
        #expect(c8.map(\.label) == ["3-D channels-last / NCDHW active forward", "3-D channels-last / NCDHW active backward",
                                    "3-D channels-last / NCDHW active forward, U(-1,1)",
                                    "3-D channels-last / NCDHW active backward, U(-1,1)",
                                    "3-D channels-last / NCDHW active forward, stride 2, U(-1,1)"])
        for (figure, value) in zip(c8, [10.0 / 8, 30.0 / 20, 7.8 / 6, 15.6 / 12, 2.4 / 1.6]) {
            #expect(abs(try #require(figure.value) - value) < 1e-12 && figure.goal == 1.3, "\(figure.label)")
        }
        #expect(c8.map(\.met) == [true, false, true, true, false])
    }
}

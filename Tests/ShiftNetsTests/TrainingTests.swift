import Foundation
import Testing
import ShiftOps
@testable import ShiftNets

/// A short training on a slice of the digits, as CI runs it: the loss falls, accuracy rises, and
/// the same seed gives the same numbers. Never a time.
@Suite struct TrainingTests {
    static let digitsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Data/digits").standardized.path

    @Test(.tags(.slow), .skippedInFastLane) func shortTrainingLearns() throws {
        let data = try Dataset.digits(directory: Self.digitsFolder)
        #expect(data.count == 1797 && data.classes == 10)
        let (train, test) = try data.split(testFraction: 0.2, seed: 1)
        #expect(train.count == 1438 && test.count == 359)
        let small = try train.subset(Array(0..<320)), smallTest = try test.subset(Array(0..<160))
        let arch = try Architecture(name: "t", inputChannels: 1, classes: 10, stemChannels: 8, widths: [8, 16],
                                    blocksPerStage: [1, 1], block: .convShiftConv(expansion: 2, middle: .shift(.grouped)))
        var options = TrainingOptions()
        options.epochs = 4
        options.batchSize = 16
        options.learningRate = 0.1
        func run() throws -> [EpochReport] {
            let model = try arch.build(seed: 1, as: Float.self)
            let before = try Trainer(options: options).accuracy(model, on: smallTest)
            let reports = try Trainer(options: options).train(model, on: small, test: smallTest)
            #expect(reports.last!.testAccuracy > before + 0.3, "test accuracy \(before) -> \(reports.last!.testAccuracy)")
            return reports
        }
        let reports = try run()
        #expect(reports.last!.loss < reports.first!.loss * 0.7, "loss \(reports.map(\.loss))")
        #expect(reports.last!.trainAccuracy > reports.first!.trainAccuracy)
        let again = try run()
        #expect(again.map(\.loss) == reports.map(\.loss))
        #expect(again.map(\.testAccuracy) == reports.map(\.testAccuracy))
    }

    @Test func splitIsSeededAndDisjoint() throws {
        let images = try Tensor<Float>(shape: [10, 1, 1, 1], elements: (0..<10).map(Float.init))
        let data = try Dataset(images: images, labels: Array(0..<10))
        let (a, b) = try data.split(testFraction: 0.2, seed: 3)
        let (c, _) = try data.split(testFraction: 0.2, seed: 3)
        let (d, _) = try data.split(testFraction: 0.2, seed: 4)
        #expect(a.labels == c.labels)
        #expect(a.labels != d.labels)
        #expect(Set(a.labels + b.labels) == Set(0..<10) && b.count == 2)
        #expect(a.images.elements.map(Int.init) == a.labels)
        #expect { try data.split(testFraction: 1, seed: 1) } throws: { ($0 as? ShiftOpsError)?.argument == "testFraction" }
    }
}

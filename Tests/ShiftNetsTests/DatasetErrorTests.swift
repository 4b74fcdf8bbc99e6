import Foundation
import Testing
import ShiftOps
import ShiftOpsTestSupport
@testable import ShiftNets

/// Arguments out of range give the documented errors, never a trap (each of these trapped on
/// an integer conversion or overflow before it was checked).
@Suite struct DatasetErrorTests {
    /// Ten 2x3 one-channel images whose pixels are their index; labels 0 or 1.
    static func data() throws -> Dataset {
        let images = try Tensor<Float>(shape: [10, 1, 2, 3], elements: (0..<60).map { Float($0 / 6 + 1) })
        return try Dataset(images: images, labels: (0..<10).map { $0 % 2 })
    }

    func expectError(_ code: ShiftOpsError.Code, _ argument: String, _ body: () throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let problem = ExpectedError.mismatch(code, argument, body)
        #expect(problem == nil, "\(problem ?? "")", sourceLocation: sourceLocation)
    }

    @Test func splitRefusesNonFiniteAndOutOfRangeFractions() throws {
        let data = try Self.data()
        for fraction in [Double.nan, .infinity, -.infinity, 1e300, -1e300, 0, 1, 0.01] {
            expectError(.invalidArgument, "testFraction") { _ = try data.split(testFraction: fraction, seed: 1) }
        }
        #expect(try data.split(testFraction: 0.3, seed: 1).test.count == 3)
    }

    @Test func translatedRefusesNegativeShiftsAndTakesHugeOnes() throws {
        let data = try Self.data()
        for shift in [-1, Int.min] {
            expectError(.invalidArgument, "maxShift") { _ = try data.translated(maxShift: shift, seed: 1) }
        }
        // Shifts drawn from +-Int.max move every image out of its frame: all zeros.
        let gone = try data.translated(maxShift: .max, seed: 1)
        #expect(gone.images.shape == data.images.shape && gone.images.elements.allSatisfy { $0 == 0 })
        #expect(gone.labels == data.labels)
        #expect(try data.translated(maxShift: 0, seed: 1).images.elements == data.images.elements)
        // Shifts longer than the image are clamped without changing the draw: maxShift 5 on a
        // 2x3 image keeps some pixels for some seeds and loses them for others, as before.
        let moved = try data.translated(maxShift: 5, seed: 3)
        #expect(moved.images.elements.contains { $0 != 0 } && moved.images.elements.contains { $0 == 0 })
    }

    @Test func subsetRefusesIndicesOutOfRange() throws {
        let data = try Self.data()
        for indices in [[10], [0, -1], [Int.max], [Int.min]] {
            expectError(.invalidArgument, "indices") { _ = try data.subset(indices) }
        }
        let picked = try data.subset([9, 0, 9])
        #expect(picked.labels == [1, 0, 1] && picked.images.elements.prefix(6).allSatisfy { $0 == 10 })
    }

    /// A batch size of Int.max is one batch holding the whole set, not an overflow.
    @Test func trainerTakesTheLargestBatchSize() throws {
        let data = try Self.data()
        let arch = try Architecture(name: "t", inputChannels: 1, classes: 2, stemChannels: 2, widths: [2],
                                    blocksPerStage: [1], block: .basic(reduction: 1))
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = .max
        let model = try arch.build(seed: 1, as: Float.self)
        let reports = try Trainer(options: options).train(model, on: data, test: data)
        #expect(reports.count == 2 && reports.allSatisfy { $0.loss.isFinite })
        options.batchSize = 0
        expectError(.invalidArgument, "options") { _ = try Trainer(options: options).train(model, on: data, test: data) }
    }
}

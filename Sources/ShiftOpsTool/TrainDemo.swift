import Foundation
import ShiftOps
import ShiftNets

/// `shiftops demo train`: one small conv-shift-conv network trained on the 8x8 digits with each
/// middle (grouped, active, sparse shift; the 3x3 depthwise twin), and a table of the results.
enum TrainDemo {
    static let help = """
        usage: shiftops demo train [--rows grouped,active,sparse,depthwise] [--epochs N] [--batch B]
                                   [--expansion E] [--seed S] [--data DIR]
          Trains a small conv-shift-conv network on scikit-learn's 8x8 digits (Data/digits: a fixed,
          seeded 80/20 split) once per row, printing a line per epoch (loss, accuracy, images/s), then
          a table: parameters, MACs per image, test accuracy, training time. Same seed and thread
          count, same numbers (timings aside).
        """

    /// One row of the table.
    enum Row: String, CaseIterable {
        case grouped, active, sparse, depthwise

        var middle: BlockMiddle {
            switch self {
            case .grouped: .shift(.grouped)
            case .active: .shift(.active)
            case .sparse: .shift(.sparse)
            case .depthwise: .depthwise
            }
        }
    }

    /// The demo network: a 3x3 stem of 16 channels on the 8x8 digit, then stages of 16, 32 and 64
    /// channels (8x8, 4x4, 2x2), one conv-shift-conv block each, pooling and a linear layer.
    static func architecture(_ row: Row, expansion: Double) throws -> Architecture {
        try Architecture(name: "digits-csc-e\(expansion)-\(row.rawValue)", inputChannels: 1, classes: 10, stemChannels: 16,
                         widths: [16, 32, 64], blocksPerStage: [1, 1, 1],
                         block: .convShiftConv(expansion: expansion, middle: row.middle))
    }

    /// The training options of the demo.
    static func trainingOptions(epochs: Int, batch: Int, seed: UInt64) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batch
        options.learningRate = 0.05
        options.weightDecay = 5e-4
        options.shiftLearningRateMultiplier = 1
        options.seed = seed
        return options
    }

    /// The result of one row.
    struct Outcome {
        var row: Row
        var parameters: Int
        var macs: Int
        var testAccuracy: Double
        var seconds: Double
        var reports: [EpochReport]
    }

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let options = try Options(arguments, valued: ["rows", "epochs", "batch", "expansion", "seed", "data"])
        let rows = try options.choices("rows", as: Row.self) ?? Row.allCases
        let epochs = try options.integer("epochs") ?? 15
        let batch = try options.integer("batch") ?? 32
        let seed = try options.integer("seed") ?? 1
        let expansionText = options.string("expansion") ?? "3"
        guard let expansion = Double(expansionText), expansion > 0, expansion.isFinite else {
            throw UsageError("--expansion expects a number > 0, got '\(expansionText)'")
        }
        guard epochs >= 1, batch >= 2, seed >= 0 else {
            throw UsageError("--epochs expects >= 1, --batch >= 2 and --seed >= 0")
        }
        let data = try Dataset.digits(directory: options.string("data") ?? "Data/digits")
        let outcomes = try run(rows: rows, data: data, epochs: epochs, batch: batch, expansion: expansion,
                               seed: UInt64(seed), output: output)
        output(table(outcomes, threads: Parallelism.threadLimit))
    }

    /// Trains each row and returns the outcomes.
    static func run(rows: [Row], data: Dataset, epochs: Int, batch: Int, expansion: Double, seed: UInt64,
                    output: (String) -> Void) throws -> [Outcome] {
        let (train, test) = try data.split(testFraction: 0.2, seed: seed)
        output("digits: \(train.count) training and \(test.count) test images (seed \(seed)), \(epochs) epochs, batch \(batch), "
               + "\(Parallelism.threadLimit) threads")
        var outcomes: [Outcome] = []
        for row in rows {
            let arch = try architecture(row, expansion: expansion)
            let model = try arch.build(seed: seed, as: Float.self)
            let count = try NetworkCount(model, model: arch.name, inputShape: [1, 8, 8])
            let trainer = Trainer(options: trainingOptions(epochs: epochs, batch: batch, seed: seed))
            let start = Date()
            let reports = try trainer.train(model, on: train, test: test) { r in
                output(String(format: "%@ epoch %2d/%d: loss %.4f, train %.2f%%, test %.2f%%, %.0f images/s",
                              row.rawValue, r.epoch, epochs, r.loss, 100 * r.trainAccuracy, 100 * r.testAccuracy,
                              r.imagesPerSecond))
            }
            outcomes.append(Outcome(row: row, parameters: count.parameters, macs: count.macs,
                                    testAccuracy: reports.last!.testAccuracy, seconds: Date().timeIntervalSince(start),
                                    reports: reports))
        }
        return outcomes
    }

    /// The results table.
    static func table(_ outcomes: [Outcome], threads: Int) -> String {
        var lines = ["| middle | parameters | MACs / image | test accuracy | training time |", "| --- | ---: | ---: | ---: | ---: |"]
        for o in outcomes {
            lines.append(String(format: "| %@ | %d | %d | %.2f%% | %.1f s |", o.row.rawValue, o.parameters, o.macs,
                                100 * o.testAccuracy, o.seconds))
        }
        return lines.joined(separator: "\n")
    }
}

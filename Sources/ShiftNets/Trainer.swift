import Foundation
import ShiftOps

/// How ``Trainer`` trains: mini-batch SGD with momentum and weight decay (ShiftOps' ``ShiftOps/SGD``), a
/// cosine learning-rate schedule, and a learning-rate multiplier for learned shifts.
public struct TrainingOptions: Sendable {
    /// Passes over the training set.
    public var epochs = 20
    /// Images per step.
    public var batchSize = 32
    /// The peak learning rate (the cosine schedule decays it to 0 over all steps).
    public var learningRate: Float = 0.1
    /// SGD momentum.
    public var momentum: Float = 0.9
    /// L2 weight decay.
    public var weightDecay: Float = 5e-4
    /// The learning-rate multiplier for parameters named `shifts` (Caffe's `lr_mult`).
    public var shiftLearningRateMultiplier: Float = 1
    /// The seed of the batch order and the augmentation.
    public var seed: UInt64 = 1
    /// Training images are translated by up to this many pixels on each axis (zero fill), a
    /// fresh seeded draw per image and epoch; 0 turns augmentation off.
    public var maxTranslation = 0

    /// The defaults.
    public init() {}
}

/// What one epoch gave.
public struct EpochReport: Sendable {
    /// 1-based.
    public var epoch: Int
    /// The mean training loss over the epoch's steps.
    public var loss: Float
    /// The fraction of training images classified right during the epoch (training mode).
    public var trainAccuracy: Double
    /// The fraction of test images classified right in evaluation mode after the epoch.
    public var testAccuracy: Double
    /// Training images per second this epoch (forward, backward and update).
    public var imagesPerSecond: Double
}

/// Trains a network on a data set with ShiftOps' ``ShiftOps/SGD``, its state kept by parameter path.
public struct Trainer {
    /// The options.
    public var options: TrainingOptions

    /// A trainer with `options`.
    public init(options: TrainingOptions = .init()) { self.options = options }

    /// Trains `model` on `train`, evaluating on `test` after each epoch; calls `progress` with each
    /// epoch's report and returns them all.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `options` for a non-positive epoch count or batch size,
    ///   or an error from a layer.
    public func train(_ model: Module<Float>, on train: Dataset, test: Dataset,
                      progress: (EpochReport) -> Void = { _ in }) throws -> [EpochReport] {
        guard options.epochs >= 1, options.batchSize >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "options", "expected epochs and batchSize >= 1")
        }
        var optimizer = SGD<Float>(learningRate: options.learningRate, momentum: options.momentum,
                                   weightDecay: options.weightDecay)
        for (path, _) in model.namedParameters() where path.hasSuffix(".shifts") {
            optimizer.learningRateMultipliers[path] = options.shiftLearningRateMultiplier
        }
        // Written so that no batch size or epoch count up to Int.max overflows.
        let stepsPerEpoch = train.count / options.batchSize + (train.count % options.batchSize == 0 ? 0 : 1)
        let totalSteps = Float(Double(stepsPerEpoch) * Double(options.epochs))
        var step = 0
        var reports: [EpochReport] = []
        for epoch in 1...options.epochs {
            model.train()
            let order = seededPermutation(train.count, seed: options.seed &* 7919 &+ UInt64(epoch))
            let start = Date()
            var lossSum: Float = 0, correct = 0
            for b in 0..<stepsPerEpoch {
                let first = b * options.batchSize
                let indices = Array(order[first..<(first + min(options.batchSize, train.count - first))])
                // A one-image batch cannot be batch-normalised: it is skipped (the image falls elsewhere next epoch).
                if indices.count < 2 { continue }
                var batch = try train.subset(indices)
                if options.maxTranslation > 0 {
                    batch = try batch.translated(maxShift: options.maxTranslation,
                                                 seed: options.seed &* 104_729 &+ UInt64(step))
                }
                optimizer.learningRate = options.learningRate * 0.5 * (1 + Float(Foundation.cos(Double.pi * Double(step) / Double(totalSteps))))
                model.zeroGradients()
                let result = try softmaxCrossEntropy(logits: model.forward(batch.images), labels: batch.labels)
                _ = try model.backward(result.gradient)
                try optimizer.update(model)
                lossSum += result.loss * Float(indices.count)
                correct += result.correct
                step += 1
            }
            let seconds = Date().timeIntervalSince(start)
            let report = EpochReport(epoch: epoch, loss: lossSum / Float(train.count),
                                     trainAccuracy: Double(correct) / Double(train.count),
                                     testAccuracy: try accuracy(model, on: test),
                                     imagesPerSecond: Double(train.count) / max(seconds, 1e-9))
            reports.append(report)
            progress(report)
        }
        return reports
    }

    /// The fraction of `data` that `model` classifies right, in evaluation mode, in batches of 256.
    ///
    /// - Throws: an error from a layer.
    public func accuracy(_ model: Module<Float>, on data: Dataset) throws -> Double {
        model.eval()
        defer { model.train() }
        var correct = 0
        var start = 0
        while start < data.count {
            let indices = Array(start..<min(data.count, start + 256))
            let batch = try data.subset(indices)
            correct += try softmaxCrossEntropy(logits: model.forward(batch.images), labels: batch.labels).correct
            start += 256
        }
        return Double(correct) / Double(max(data.count, 1))
    }
}

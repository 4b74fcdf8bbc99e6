import Foundation
import ShiftOps

/// The alignment demo: learn per-channel shifts that map a smooth image onto a copy of itself
/// shifted by known amounts. It shows that the shift gradient points the right way and that
/// training recovers the shifts: to a few hundredths of a pixel (active), exactly after rounding
/// (sparse, integer targets).
struct AlignmentDemo {
    var mode: ShiftMode
    var padding: ShiftPadding
    var channels = 6
    var size = 24
    var steps = 300
    var seed: UInt64 = 7

    struct Outcome {
        var steps: Int
        var loss: Double
        /// Mean |learned - true| over all shift entries.
        var meanError: Double
        /// Largest |learned - true|.
        var maximumError: Double
        /// Whether every rounded learned shift equals the true one.
        var roundsToTruth: Bool

        /// The demo's own success rule: within 0.05 pixel (active) or exact after rounding (sparse).
        func converged(for mode: ShiftMode) -> Bool {
            mode == .sparse ? roundsToTruth : maximumError <= 0.05
        }
    }

    /// `[1, C, size, size]`: per channel a sum of three plane waves (two at right angles) with periods of 12 to 20
    /// pixels, smooth enough that a start 1.5 pixels off lies in the basin of the true shift.
    func image() throws -> Tensor<Double> {
        var generator = SeededGenerator(seed: seed)
        var values = [Double]()
        for _ in 0..<channels {
            // Two of the waves cross at right angles so that both axes carry signal.
            let theta = Double.random(in: 0..<(2 * .pi), using: &generator)
            let waves = [theta, theta + .pi / 2, Double.random(in: 0..<(2 * .pi), using: &generator)].map { angle in
                (amplitude: Double.random(in: 0.5...1, using: &generator),
                 period: Double.random(in: 12...20, using: &generator),
                 angle: angle,
                 phase: Double.random(in: 0..<(2 * .pi), using: &generator))
            }
            for i in 0..<size {
                for j in 0..<size {
                    values.append(waves.reduce(0) { sum, wave in
                        let along = Double(i) * sin(wave.angle) + Double(j) * cos(wave.angle)
                        return sum + wave.amplitude * sin(2 * .pi * along / wave.period + wave.phase)
                    })
                }
            }
        }
        return try Tensor(shape: [1, channels, size, size], elements: values)
    }

    func run(progress: (String) -> Void) throws -> Outcome {
        var generator = SeededGenerator(seed: seed &+ 1)
        let truth = try Tensor<Double>(shape: [channels, 2], elements: (0..<2 * channels).map { _ in
            let v = Double.random(in: -2...2, using: &generator)
            return mode == .sparse ? v.rounded() : v
        })
        let x = try image()
        let target = try shift2d(x, shifts: truth, mode: mode, padding: padding)
        var layer = try ShiftLayer<Double>(channels: channels, spatialRank: 2, mode: mode, padding: padding,
                                           initialization: .zeros)
        layer.shifts = try Tensor(shape: [channels, 2], elements: truth.elements.map {
            $0 + Double.random(in: -1.5...1.5, using: &generator)
        })
        var optimizer = SGD<Double>(learningRate: 1, momentum: 0.9)
        var outcome = Outcome(steps: 0, loss: .infinity, meanError: .infinity, maximumError: .infinity, roundsToTruth: false)
        func measure(_ loss: Double, step: Int) {
            let errors = zip(layer.shifts.elements, truth.elements).map { abs($0 - $1) }
            outcome = Outcome(steps: step, loss: loss, meanError: errors.reduce(0, +) / Double(errors.count),
                              maximumError: errors.max() ?? 0,
                              roundsToTruth: zip(layer.shifts.elements, truth.elements).allSatisfy {
                                  $0.rounded(.toNearestOrEven) == $1.rounded(.toNearestOrEven)
                              })
        }
        let count = Double(target.count)
        for step in 1...steps {
            let y = try layer(x)
            let residual = zip(y.elements, target.elements).map { $0 - $1 }
            let loss = residual.reduce(0) { $0 + $1 * $1 } / count
            let gradOutput = try Tensor(shape: y.shape, elements: residual.map { 2 * $0 / count })
            layer.zeroGradient()
            _ = try layer.backward(gradOutput: gradOutput, input: x)
            try optimizer.step(&layer, path: "shift")
            measure(loss, step: step)
            // Once every rounded shift is right a sparse forward is exact and the loss zero, but
            // momentum would still carry the shifts on, perhaps across a rounding boundary: stop.
            let solved = mode == .sparse && outcome.roundsToTruth
            if step % 50 == 0 || step == steps || solved {
                progress(String(format: "%@ %@ step %4d  loss %.3e  mean |s - s*| %.4f  max %.4f",
                                mode.rawValue, padding.rawValue, step, loss, outcome.meanError, outcome.maximumError))
            }
            if solved { break }
        }
        return outcome
    }
}

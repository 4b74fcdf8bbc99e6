/// How a shift layer's shifts start, reproducibly from a seed.
public enum ShiftInitialization<T: ShiftFloatingPoint>: Sendable {
    /// Every entry uniform in `[-bound, bound]`.
    case uniform(bound: T)
    /// Every entry uniform in `[0, bound]` with an independent random sign.
    case signedMagnitude(bound: T)
    /// The classic grouped assignment for an odd kernel size. Only a starting point: a
    /// layer whose mode is `.grouped` keeps it, an `.active` or `.sparse` layer learns from it.
    case grouped(kernelSize: Int, assignment: GroupedAssignment)
    /// Every shift zero.
    case zeros

    /// A `[channels, spatialRank]` table drawn from `seed`.
    public func shifts(channels: Int, spatialRank: Int, seed: UInt64) throws -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let count = channels * spatialRank
        switch self {
        case .uniform(let bound), .signedMagnitude(let bound):
            guard bound >= 0, bound.isFinite else {
                throw ShiftOpsError(.invalidArgument, argument: "initialization.bound", "expected a finite bound >= 0, got \(bound)")
            }
            let values = (0..<count).map { _ -> T in
                // Drawn in Double and scaled, so Float and Double layers start from the same values.
                if case .uniform = self { return T(Double.random(in: -1...1, using: &generator)) * bound }
                let magnitude = T(Double.random(in: 0...1, using: &generator)) * bound
                return Bool.random(using: &generator) ? magnitude : -magnitude
            }
            return try Tensor(shape: [channels, spatialRank], elements: values)
        case .grouped(let kernelSize, let assignment):
            return try groupedShifts(channels: channels, kernelSize: kernelSize, spatialRank: spatialRank,
                                     assignment: assignment)
        case .zeros:
            return try Tensor(shape: [channels, spatialRank])
        }
    }
}

/// How grouped shift assigns the offsets of a `K^k` neighbourhood to channels.
public enum GroupedAssignment: String, Sendable, CaseIterable {
    /// Channel `c` takes offset `c mod K^k` (shiftnet's "modulo" assignment).
    case interleaved
    /// Channel `c` takes offset `floor(c * K^k / C)`: consecutive channels share an offset.
    case contiguous
}

/// The classic grouped-shift table for `channels` channels and an odd `kernelSize` `K`.
///
/// Offsets are the points of `{-(K-1)/2, ..., (K-1)/2}^k` enumerated row-major (the last axis
/// fastest), so for `K = 3`, `k = 2` offset 0 is `[-1, -1]`, offset 4 is `[0, 0]` and offset 8 is
/// `[1, 1]`.
/// - Returns: `[channels, spatialRank]`, integer-valued.
/// - Throws: ``ShiftOpsError/Code/invalidArgument`` for an even or non-positive kernel size, a
///   rank outside 1...3 or a negative channel count.
public func groupedShifts<T: ShiftFloatingPoint>(
    channels: Int, kernelSize: Int, spatialRank: Int, assignment: GroupedAssignment = .interleaved,
    as _: T.Type = T.self
) throws -> Tensor<T> {
    guard kernelSize >= 1, kernelSize % 2 == 1 else {
        throw ShiftOpsError(.invalidArgument, argument: "kernelSize", "expected an odd size >= 1, got \(kernelSize)")
    }
    guard (1...3).contains(spatialRank) else {
        throw ShiftOpsError(.invalidArgument, argument: "spatialRank", "expected 1, 2 or 3, got \(spatialRank)")
    }
    guard channels >= 0 else {
        throw ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 0, got \(channels)")
    }
    let points = (0..<spatialRank).reduce(1) { product, _ in product * kernelSize }
    let half = (kernelSize - 1) / 2
    var values = [T]()
    values.reserveCapacity(channels * spatialRank)
    for c in 0..<channels {
        let offset = assignment == .interleaved ? c % points : c * points / channels
        var digits = [Int](repeating: 0, count: spatialRank)
        var rest = offset
        for j in (0..<spatialRank).reversed() {
            digits[j] = rest % kernelSize - half
            rest /= kernelSize
        }
        values += digits.map { T($0) }
    }
    return try Tensor(shape: [channels, spatialRank], elements: values)
}

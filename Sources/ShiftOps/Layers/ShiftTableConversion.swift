/// The sign convention of a shift table.
public enum ShiftConvention: String, Sendable, CaseIterable {
    /// ShiftOps, torchshifts, Chainer: `y[i] = x[i - s]`.
    case contentMovesWithShift
    /// Active-Shift (Caffe/TF), shiftnet_cuda_v2, the official sparse-shift code: `y[i] = x[i + s]`.
    case contentMovesAgainstShift
}

/// How a shift table is laid out.
public enum ShiftTableLayout: String, Sendable, CaseIterable {
    /// ShiftOps: `[C, k]`, columns in tensor axis order (`[dy, dx]` in 2-D).
    case channelsByAxis
    /// Active-Shift: `[k, C]`, rows from the last axis to the first (x row first: `[dx; dy]`).
    case activeShift
}

/// Converts a table written by another project into ShiftOps' `[C, k]`, convention-A shifts.
///
/// - Throws: ``ShiftOpsError/Code/invalidRank`` unless `table` is a matrix with 1 to 3 rows (for
///   `.activeShift`) or columns (for `.channelsByAxis`).
public func importShifts<T: ShiftFloatingPoint>(_ table: Tensor<T>, layout: ShiftTableLayout,
                                                convention: ShiftConvention) throws -> Tensor<T> {
    let ours = try reorder(table, from: layout)
    return convention == .contentMovesWithShift ? ours : try negated(ours)
}

/// Writes ShiftOps' `[C, k]` shifts in another project's layout and convention.
public func exportShifts<T: ShiftFloatingPoint>(_ shifts: Tensor<T>, layout: ShiftTableLayout,
                                                convention: ShiftConvention) throws -> Tensor<T> {
    guard shifts.rank == 2, (1...3).contains(shifts.shape[1]) else {
        throw ShiftOpsError(.invalidRank, argument: "shifts", "expected [C, k] with k in 1...3, got \(shifts.shape)")
    }
    let signed = convention == .contentMovesWithShift ? shifts : try negated(shifts)
    switch layout {
    case .channelsByAxis: return signed.contiguous()
    case .activeShift:
        let (channels, k) = (shifts.shape[0], shifts.shape[1])
        var table = try Tensor<T>(shape: [k, channels])
        for c in 0..<channels { for j in 0..<k { table[k - 1 - j, c] = signed[c, j] } }
        return table
    }
}

private func reorder<T: ShiftFloatingPoint>(_ table: Tensor<T>, from layout: ShiftTableLayout) throws -> Tensor<T> {
    guard table.rank == 2 else {
        throw ShiftOpsError(.invalidRank, argument: "table", "expected a matrix, got shape \(table.shape)")
    }
    switch layout {
    case .channelsByAxis:
        guard (1...3).contains(table.shape[1]) else {
            throw ShiftOpsError(.invalidRank, argument: "table", "expected [C, k] with k in 1...3, got \(table.shape)")
        }
        return table.contiguous()
    case .activeShift:
        let (k, channels) = (table.shape[0], table.shape[1])
        guard (1...3).contains(k) else {
            throw ShiftOpsError(.invalidRank, argument: "table", "expected [k, C] with k in 1...3 (x row first), got \(table.shape)")
        }
        var ours = try Tensor<T>(shape: [channels, k])
        for c in 0..<channels { for j in 0..<k { ours[c, j] = table[k - 1 - j, c] } }
        return ours
    }
}

private func negated<T: ShiftFloatingPoint>(_ table: Tensor<T>) throws -> Tensor<T> {
    try Tensor(shape: table.shape, elements: table.elements.map { -$0 })
}

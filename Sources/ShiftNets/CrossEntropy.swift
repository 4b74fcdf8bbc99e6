import ShiftOps

/// The mean softmax cross-entropy of a batch and its gradient.
public struct CrossEntropyResult<T: NetScalar> {
    /// `-(1/N) * sum over n of log softmax(logits[n])[labels[n]]`.
    public var loss: T
    /// `dL/dlogits = (softmax(logits) - onehot(labels)) / N`, `[N, classes]`.
    public var gradient: Tensor<T>
    /// How many rows have their largest logit at the label (ties to the lowest class; a NaN logit
    /// counts as the largest).
    public var correct: Int
}

/// Softmax cross-entropy averaged over the batch, computed stably (the row maximum subtracted).
///
/// - Parameters:
///   - logits: `[N, classes]`.
///   - labels: `N` class indices in `0..<classes`.
/// - Throws: ``ShiftOps/ShiftOpsError`` naming `logits` for a rank other than 2 or an empty batch, or
///   `labels` for a count other than N or a label out of range.
@_specialize(where T == Float)
public func softmaxCrossEntropy<T: NetScalar>(logits: Tensor<T>, labels: [Int]) throws -> CrossEntropyResult<T> {
    guard logits.rank == 2, logits.shape[0] >= 1, logits.shape[1] >= 1 else {
        throw ShiftOpsError(.invalidRank, argument: "logits", "expected [N, classes] with N, classes >= 1, got \(logits.shape)")
    }
    let (n, k) = (logits.shape[0], logits.shape[1])
    guard labels.count == n else {
        throw ShiftOpsError(.shapeMismatch, argument: "labels", "expected \(n) labels, got \(labels.count)")
    }
    if let bad = labels.first(where: { !(0..<k).contains($0) }) {
        throw ShiftOpsError(.invalidArgument, argument: "labels", "expected labels in 0..<\(k), got \(bad)")
    }
    var loss: T = 0, correct = 0
    let gradient = try Tensor<T>(shape: [n, k]) { g in
        logits.withDenseBuffer { z in
            for r in 0..<n {
                let row = z.baseAddress! + r &* k
                var best = 0
                // NaN counts as the largest (PyTorch's max and argmax), so a NaN logit makes
                // the loss NaN instead of being stepped over.
                for j in 1..<max(k, 1) where !row[best].isNaN && (row[j] > row[best] || row[j].isNaN) { best = j }
                if best == labels[r] { correct += 1 }
                let top = row[best]
                var sum: T = 0
                for j in 0..<k { sum += T.exponential(row[j] - top) }
                loss += T.logarithm(sum) + top - row[labels[r]]
                for j in 0..<k {
                    g[r &* k &+ j] = (T.exponential(row[j] - top) / sum - (j == labels[r] ? 1 : 0)) / T(n)
                }
            }
        }
    }
    return CrossEntropyResult(loss: loss / T(n), gradient: gradient, correct: correct)
}

/// What a shift layer does to its shift gradient before an update (after Active-Shift).
///
/// Applied per channel to the vector `g_c = dL/ds[c, 0..<k]` in this order: the sparsity term
/// `lambda * sign(s)` is added; then `normalize` divides `g_c` by its L2 norm when that is
/// non-zero, or `clip(c)` scales it to norm at most `c`; then `latticeDecay(p)` adds
/// `p * (s - round(s))`, `round` taking ties to even as the sparse forward does.
public struct ShiftGradientOptions<T: ShiftFloatingPoint>: Equatable, Sendable {
    /// Scaling of each channel's gradient vector: at most one of normalize and clip.
    public enum Scaling: Equatable, Sendable {
        case none
        case normalize
        case clip(maximumNorm: T)
    }

    /// `lambda` of the L1 sparsity loss `lambda * sum |s|` (0 disables it).
    public var sparsity: T
    /// Normalize or clip each channel's gradient vector, or neither.
    public var scaling: Scaling
    /// `p` of the lattice decay term (0 disables it).
    public var latticeDecay: T

    /// Options that, by default, leave the gradient as it is.
    public init(sparsity: T = 0, scaling: Scaling = .none, latticeDecay: T = 0) {
        self.sparsity = sparsity
        self.scaling = scaling
        self.latticeDecay = latticeDecay
    }

    /// `gradient` with the options applied for `shifts` (both `[C, k]`).
    public func apply(to gradient: Tensor<T>, shifts: Tensor<T>) throws -> Tensor<T> {
        guard gradient.shape == shifts.shape, gradient.rank == 2 else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradient",
                                "expected the shifts' shape \(shifts.shape), got \(gradient.shape)")
        }
        if case .clip(let maximum) = scaling, !(maximum > 0) {
            throw ShiftOpsError(.invalidArgument, argument: "scaling", "clip needs a maximum norm > 0, got \(maximum)")
        }
        let (channels, k) = (shifts.shape[0], shifts.shape[1])
        var result = try Tensor<T>(shape: [channels, k])
        for c in 0..<channels {
            var g = (0..<k).map { j -> T in
                let s = shifts[c, j]
                let sign: T = s > 0 ? 1 : (s < 0 ? -1 : 0)
                return gradient[c, j] + sparsity * sign
            }
            // norm = scale * root; dividing by the two parts in turn keeps a norm that overflows
            // (two entries of 3e38 in Float) from turning the result into zeros.
            let (scale, root) = Self.scaledNorm(g)
            let norm = scale * root
            switch scaling {
            case .none: break
            case .normalize: if norm > 0 { g = g.map { $0 / scale / root } }
            case .clip(let maximum): if norm > maximum { g = g.map { $0 / scale * (maximum / root) } }
            }
            for j in 0..<k {
                let s = shifts[c, j]
                result[c, j] = g[j] + latticeDecay * (s - s.rounded(.toNearestOrEven))
            }
        }
        return result
    }

    /// The L2 norm of `g` as `scale * root`, computed as `hypot` computes it: scaled by the
    /// largest magnitude, so that squares neither overflow (`[1e30, 1e30]` in Float) nor
    /// underflow (`[1e-30, 1e-30]`). NaN propagates into `root`; an infinite entry gives
    /// `scale` infinity and `root` 1; a zero vector gives `0 * 1`.
    static func scaledNorm(_ g: [T]) -> (scale: T, root: T) {
        var scale: T = 0
        for value in g where value.magnitude > scale { scale = value.magnitude }
        guard scale > 0, scale.isFinite else { return (scale, g.contains { $0.isNaN } ? .nan : 1) }
        var sum: T = 0
        for value in g {
            let scaled = value / scale
            sum += scaled * scaled
        }
        return (scale, sum.squareRoot())
    }
}

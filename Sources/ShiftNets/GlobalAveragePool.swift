import ShiftOps

/// Global average pooling, `[N, C, H, W]` to `[N, C]`: `y[n, c] = mean over h, w of x[n, c, h, w]`.
public final class GlobalAveragePool<T: NetScalar>: Module<T> {
    private var savedShape = SavedForBackward<[Int]>()

    /// A pooling layer.
    public override init() {}

    /// `[N, C, H, W]` to `[N, C]`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        guard input.rank == 4, input.shape[2] * input.shape[3] > 0 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected [N, C, H, W] with H, W >= 1, got \(input.shape)")
        }
        let (rows, plane) = (input.shape[0] * input.shape[1], input.shape[2] * input.shape[3])
        savedShape.keep(input.shape, training: isTraining)
        return try Tensor<T>(shape: [input.shape[0], input.shape[1]]) { y in
            input.withDenseBuffer { x in
                for r in 0..<rows {
                    var s: T = 0
                    for p in 0..<plane { s += x[r &* plane &+ p] }
                    y[r] = s / T(plane)
                }
            }
        }
    }

    /// Spreads `g[n, c] / (H * W)` over the plane.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let shape = try savedShape.value()
        try checkGradOutput(gradOutput, expected: [shape[0], shape[1]])
        let plane = shape[2] * shape[3]
        return try Tensor<T>(shape: shape) { gx in
            gradOutput.withDenseBuffer { g in
                for r in 0..<g.count {
                    let v = g[r] / T(plane)
                    for p in 0..<plane { gx[r &* plane &+ p] = v }
                }
            }
        }
    }

    /// No parameters or MACs; one addition per input element listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        guard shape.count == 4 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected [N, C, H, W], got \(shape)")
        }
        rows.append(LayerCount(path: path, kind: "avgpool", outputShape: [shape[1]], parameters: 0, macs: 0,
                               otherOps: shape.dropFirst().reduce(1, *)))
        return [shape[0], shape[1]]
    }
}

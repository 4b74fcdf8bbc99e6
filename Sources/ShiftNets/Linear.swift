import ShiftOps

/// A fully connected layer, as PyTorch's `nn.Linear`: `y = x W^T + b`, `x` `[N, in]`, `W`
/// `[out, in]`, `b` `[out]`.
public final class Linear<T: NetScalar>: Module<T> {
    /// `[out, in]`.
    public let weight: Parameter<T>
    /// `[out]`.
    public let bias: Parameter<T>
    private var savedInput = SavedForBackward<Tensor<T>>()

    /// A layer with weights and bias uniform in `[-1/sqrt(in), 1/sqrt(in)]` (PyTorch's default),
    /// drawn from `seed`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `inFeatures` or `outFeatures` when below 1.
    public init(inFeatures: Int, outFeatures: Int, seed: UInt64) throws {
        for (name, value) in [("inFeatures", inFeatures), ("outFeatures", outFeatures)] where value < 1 {
            throw ShiftOpsError(.invalidArgument, argument: name, "expected >= 1, got \(value)")
        }
        let bound = T(1 / Double(inFeatures).squareRoot())
        weight = Parameter(try Tensor<T>.random(shape: [outFeatures, inFeatures], in: -bound...bound, seed: seed))
        bias = Parameter(try Tensor<T>.random(shape: [outFeatures], in: -bound...bound, seed: seed &+ 1))
    }

    /// `weight` and `bias`.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { [("weight", weight), ("bias", bias)] }

    private var features: (in: Int, out: Int) { (weight.value.shape[1], weight.value.shape[0]) }

    /// `[N, in]` to `[N, out]`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        let (fin, fout) = features
        guard input.rank == 2, input.shape[1] == fin else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(fin)], got \(input.shape)")
        }
        savedInput.keep(input, training: isTraining)
        let n = input.shape[0]
        let wt = try Tensor<T>(shape: [fin, fout]) { t in
            weight.value.withDenseBuffer { w in
                transpose(rows: fout, cols: fin, source: w.baseAddress!, lds: fin, target: t.baseAddress!, ldt: fout)
            }
        }
        let b = bias.value.elements
        return try Tensor<T>(shape: [n, fout]) { y in
            input.withDenseBuffer { x in
                wt.withDenseBuffer { w in
                    for r in 0..<n { for o in 0..<fout { y[r &* fout &+ o] = b[o] } }
                    gemm(m: n, n: fout, k: fin, a: x.baseAddress!, lda: fin, transposeA: false,
                         b: w.baseAddress!, ldb: fout, c: y.baseAddress!, ldc: fout, accumulate: true)
                }
            }
        }
    }

    /// `dL/dx = g W`; adds `dL/dW = g^T x` and `dL/db = sum over n of g`.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let input = try savedInput.value()
        let (fin, fout) = features, n = input.shape[0]
        try checkGradOutput(gradOutput, expected: [n, fout])
        var dw = [T](repeating: 0, count: fout * fin), db = [T](repeating: 0, count: fout)
        let gx = try Tensor<T>(shape: [n, fin]) { gx in
            gradOutput.withDenseBuffer { g in
                weight.value.withDenseBuffer { w in
                    gemm(m: n, n: fin, k: fout, a: g.baseAddress!, lda: fout, transposeA: false,
                         b: w.baseAddress!, ldb: fin, c: gx.baseAddress!, ldc: fin, accumulate: false)
                }
                input.withDenseBuffer { x in
                    dw.withUnsafeMutableBufferPointer { d in
                        gemm(m: fout, n: fin, k: n, a: g.baseAddress!, lda: fout, transposeA: true,
                             b: x.baseAddress!, ldb: fin, c: d.baseAddress!, ldc: fin, accumulate: false)
                    }
                }
                for r in 0..<n { for o in 0..<fout { db[o] += g[r &* fout &+ o] } }
            }
        }
        weight.accumulate(dw)
        bias.accumulate(db)
        return gx
    }

    /// One row: `out * in + out` parameters and `out * in` MACs.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        let (fin, fout) = features
        guard shape.count == 2, shape[1] == fin else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(fin)], got \(shape)")
        }
        rows.append(LayerCount(path: path, kind: "linear", outputShape: [fout], parameters: parameterCount,
                               macs: fin * fout, otherOps: 0))
        return [shape[0], fout]
    }
}

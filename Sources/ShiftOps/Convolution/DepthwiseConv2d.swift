/// A 3x3 depthwise convolution (cross-correlation, one filter per channel, zero padding), the op a
/// shift layer replaces; ShiftOps ships it so that the comparison runs against a real kernel.
///
/// `y[n, c, i, j] = sum over a, b in 0..<3 of weight[c, a, b] * x[n, c, i*S - P + a, j*S - P + b]`.
/// - Parameters:
///   - input: `[N, C, H, W]`, any strides (a non-dense input is copied to NCHW first).
///   - weight: `[C, 3, 3]`.
///   - padding: zero padding `P >= 0` on every side.
///   - stride: `S >= 1`.
/// - Returns: `[N, C, (H + 2P - 3) / S + 1, (W + 2P - 3) / S + 1]`, dense NCHW.
/// - Throws: ``ShiftOpsError`` naming `input`, `weight`, `padding` or `stride`.
@inlinable
public func depthwiseConv2d<T: ShiftFloatingPoint>(
    _ input: Tensor<T>, weight: Tensor<T>, padding: Int = 1, stride: Int = 1
) throws -> Tensor<T> {
    let problem = try DepthwiseProblem(input: input.shape, weight: weight.shape, padding: padding, stride: stride)
    let x = input.contiguous(), w = weight.contiguous()
    let y = try Tensor<T>(uninitializedShape: problem.outputShape)
    DepthwiseKernel.forward(problem, x: x.storage.base + x.offset, weight: w.storage.base + w.offset,
                            y: SendablePointer(y.storage.base))
    return y
}

/// The gradients of ``depthwiseConv2d(_:weight:padding:stride:)``: `input` is `J_x^T g`
/// (`[N, C, H, W]`, dense NCHW) and `weight` is `dL/dweight` (`[C, 3, 3]`), reduced in a fixed
/// order so the same inputs give the same bits on any thread count.
/// - Throws: as the forward, and ``ShiftOpsError/Code/shapeMismatch`` naming `gradOutput`.
@inlinable
public func depthwiseConv2dBackward<T: ShiftFloatingPoint>(
    gradOutput: Tensor<T>, input: Tensor<T>, weight: Tensor<T>, padding: Int = 1, stride: Int = 1
) throws -> (input: Tensor<T>, weight: Tensor<T>) {
    let problem = try DepthwiseProblem(input: input.shape, weight: weight.shape, padding: padding, stride: stride)
    guard gradOutput.shape == problem.outputShape else {
        throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                            "expected the output's shape \(problem.outputShape), got \(gradOutput.shape)")
    }
    let x = input.contiguous(), w = weight.contiguous(), g = gradOutput.contiguous()
    let gx = try Tensor<T>(uninitializedShape: input.shape)
    let gw = try Tensor<T>(uninitializedShape: [problem.channels, 3, 3])
    let planes = problem.batch * problem.channels
    let scratch = try ScratchBuffer<T>(planes: planes, perPlane: 9, argument: "input",
                                       purpose: "partial weight-gradient sums (9 per (n, c) plane of shape \(input.shape))")
    defer { withExtendedLifetime(scratch) {} }
    let partials = scratch.base
    DepthwiseKernel.backward(problem, x: x.storage.base + x.offset, weight: w.storage.base + w.offset,
                             g: g.storage.base + g.offset, gx: SendablePointer(gx.storage.base),
                             partials: SendablePointer(partials))
    for c in 0..<problem.channels {
        for tap in 0..<9 {
            var sum: T = 0
            for n in 0..<problem.batch { sum += partials[(n * problem.channels + c) * 9 + tap] }
            gw.storage.base[c * 9 + tap] = sum
        }
    }
    return (gx, gw)
}

/// A validated depthwise convolution call on dense NCHW data.
@usableFromInline
struct DepthwiseProblem: Sendable {
    @usableFromInline var batch, channels, height, width, outHeight, outWidth, padding, stride: Int

    @usableFromInline
    init(input: [Int], weight: [Int], padding: Int, stride: Int) throws {
        guard input.count == 4 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected rank 4 ([N, C, H, W]), got \(input)")
        }
        guard weight == [input[1], 3, 3] else {
            throw ShiftOpsError(.shapeMismatch, argument: "weight", "expected [\(input[1]), 3, 3], got \(weight)")
        }
        guard padding >= 0 else {
            throw ShiftOpsError(.invalidGeometry, argument: "padding", "expected >= 0, got \(padding)")
        }
        guard stride >= 1 else {
            throw ShiftOpsError(.invalidGeometry, argument: "stride", "expected >= 1, got \(stride)")
        }
        guard input[2] + 2 * padding >= 3, input[3] + 2 * padding >= 3 else {
            throw ShiftOpsError(.invalidGeometry, argument: "input",
                                "spatial size \(input[2])x\(input[3]) with padding \(padding) is smaller than the 3x3 kernel")
        }
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        (self.padding, self.stride) = (padding, stride)
        outHeight = (height + 2 * padding - 3) / stride + 1
        outWidth = (width + 2 * padding - 3) / stride + 1
    }

    @usableFromInline var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    /// Output columns whose three taps are all inside the row: `[first, end)`.
    @inlinable var interiorColumns: Range<Int> {
        let first = Swift.min(outWidth, (padding + stride - 1) / stride)
        let last = Swift.min(outWidth, (width + padding - 3) >= 0 ? (width + padding - 3) / stride + 1 : 0)
        return first..<Swift.max(first, last)
    }
}

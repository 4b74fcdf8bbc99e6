#if CUDA
import CShiftCUDA
import ShiftOps

/// The 3x3 depthwise convolution on the GPU (dense NCHW `Float`), the baseline of the GPU
/// benchmark; see ShiftOps' CPU `depthwiseConv2d(_:weight:padding:stride:)` for the math.
/// - Parameters:
///   - input: `[N, C, H, W]`, dense NCHW on the GPU.
///   - weight: `[C, 3, 3]`, row-major on the GPU (uploaded once, as a training loop keeps it).
///   - padding: zero padding `P >= 0` on every side.
///   - stride: `S >= 1`.
/// - Returns: `[N, C, (H + 2P - 3) / S + 1, (W + 2P - 3) / S + 1]`, dense NCHW on the GPU;
///   enqueued on the ops' stream, not waited for.
/// - Throws: ``ShiftOps/ShiftOpsError`` naming `input`, `weight`, `padding` or `stride`, and
///   ``ShiftOps/ShiftOpsError/Code/cuda`` with CUDA's message.
public func depthwiseConv2d(_ input: CUDATensor<Float>, weight: CUDATensor<Float>, padding: Int = 1,
                            stride: Int = 1) throws -> CUDATensor<Float> {
    var c = try CUDADepthwiseOp.problem(input, weight, padding, stride)
    let y = try CUDATensor<Float>(shape: CUDADepthwiseOp.outputShape(c), order: [0, 1, 2, 3])
    let backend = try CUDABackend.shared()
    try checkKernel(backend.functions.depthwise_forward_f32(&c, input.pointer, weight.pointer, y.pointer,
                                                            CUDABackend.streamArgument),
                    "depthwise forward")
    try backend.finish("depthwise forward")
    return y
}

/// The gradients of ``depthwiseConv2d(_:weight:padding:stride:)``, both on the GPU: `input` is
/// `J_x^T g` (`[N, C, H, W]`, dense NCHW) and `weight` is `dL/dweight` (`[C, 3, 3]`, row-major),
/// reduced in a fixed order so that the same inputs give the same bits.
/// - Throws: as the forward, and ``ShiftOps/ShiftOpsError/Code/shapeMismatch`` naming `gradOutput` when it
///   is not a dense NCHW tensor of the output's shape.
public func depthwiseConv2dBackward(gradOutput: CUDATensor<Float>, input: CUDATensor<Float>, weight: CUDATensor<Float>,
                                    padding: Int = 1, stride: Int = 1) throws
    -> (input: CUDATensor<Float>, weight: CUDATensor<Float>) {
    var c = try CUDADepthwiseOp.problem(input, weight, padding, stride)
    let outputShape = CUDADepthwiseOp.outputShape(c)
    guard gradOutput.shape == outputShape, gradOutput.dimensionOrder == [0, 1, 2, 3], gradOutput.isDense else {
        throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                            "expected a dense NCHW tensor of the output's shape \(outputShape), got \(gradOutput.shape) in order \(gradOutput.dimensionOrder)")
    }
    let gx = try CUDATensor<Float>(shape: input.shape, order: [0, 1, 2, 3])
    let gw = try CUDATensor<Float>(shape: weight.shape, order: [0, 1, 2])
    let backend = try CUDABackend.shared()
    // Stream-ordered scratch for the per-block weight partial sums, freed after the kernels that
    // read it.
    let workspace = try CUDATensor<Float>(shape: [Int(backend.functions.depthwise_workspace(&c))], order: [0])
    try checkKernel(backend.functions.depthwise_backward_f32(&c, input.pointer, weight.pointer, gradOutput.pointer,
                                                             gx.pointer, gw.pointer, workspace.pointer,
                                                             CUDABackend.streamArgument),
                    "depthwise backward")
    try backend.finish("depthwise backward")
    return (gx, gw)
}

/// The checks and the C problem of the GPU depthwise convolution.
enum CUDADepthwiseOp {
    static func problem(_ input: CUDATensor<Float>, _ weight: CUDATensor<Float>, _ padding: Int, _ stride: Int) throws
        -> shiftcuda_depthwise {
        guard input.shape.count == 4, input.dimensionOrder == [0, 1, 2, 3], input.isDense else {
            throw ShiftOpsError(.invalidRank, argument: "input",
                                "expected a dense NCHW [N, C, H, W] tensor, got shape \(input.shape) in order \(input.dimensionOrder)")
        }
        guard weight.shape == [input.shape[1], 3, 3], weight.dimensionOrder == [0, 1, 2], weight.isDense else {
            throw ShiftOpsError(.shapeMismatch, argument: "weight",
                                "expected a row-major [\(input.shape[1]), 3, 3] tensor, got \(weight.shape) in order \(weight.dimensionOrder)")
        }
        // The bound keeps the output-size arithmetic below from overflowing.
        guard padding >= 0, padding <= 1 << 40 else {
            throw ShiftOpsError(.invalidGeometry, argument: "padding", "expected 0...2^40, got \(padding)")
        }
        guard stride >= 1 else {
            throw ShiftOpsError(.invalidGeometry, argument: "stride", "expected >= 1, got \(stride)")
        }
        guard input.shape[2] + 2 * padding >= 3, input.shape[3] + 2 * padding >= 3 else {
            throw ShiftOpsError(.invalidGeometry, argument: "input",
                                "spatial size \(input.shape[2])x\(input.shape[3]) with padding \(padding) is smaller than the 3x3 kernel")
        }
        var c = shiftcuda_depthwise()
        c.batch = Int64(input.shape[0]); c.channels = Int64(input.shape[1])
        c.height = Int64(input.shape[2]); c.width = Int64(input.shape[3])
        c.padding = Int64(padding); c.stride = Int64(stride)
        c.out_height = (c.height + 2 * c.padding - 3) / c.stride + 1
        c.out_width = (c.width + 2 * c.padding - 3) / c.stride + 1
        return c
    }

    static func outputShape(_ c: shiftcuda_depthwise) -> [Int] {
        [Int(c.batch), Int(c.channels), Int(c.out_height), Int(c.out_width)]
    }
}
#endif

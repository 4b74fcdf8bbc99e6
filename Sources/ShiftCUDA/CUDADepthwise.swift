#if CUDA
import CShiftCUDA
import ShiftOps

/// The 3x3 depthwise convolution on the GPU (dense NCHW `Float`), the baseline of the GPU
/// benchmark; see ShiftOps' CPU `depthwiseConv2d(_:weight:padding:stride:)`.
public func depthwiseConv2d(_ input: CUDATensor<Float>, weight: Tensor<Float>, padding: Int = 1,
                            stride: Int = 1) throws -> CUDATensor<Float> {
    let (p, w) = try CUDADepthwiseOp.prepare(input, weight, padding, stride)
    var c = p
    let y = try CUDATensor<Float>(shape: [Int(c.batch), Int(c.channels), Int(c.out_height), Int(c.out_width)],
                                  dimensionOrder: [0, 1, 2, 3])
    try checkKernel(try CUDABackend.shared().functions.depthwise_forward_f32(&c, input.pointer, w.pointer, y.pointer, nil),
                    "depthwise forward")
    return y
}

/// The gradients of the GPU depthwise convolution: input on the GPU, weight on the host.
public func depthwiseConv2dBackward(gradOutput: CUDATensor<Float>, input: CUDATensor<Float>, weight: Tensor<Float>,
                                    padding: Int = 1, stride: Int = 1) throws -> (input: CUDATensor<Float>, weight: Tensor<Float>) {
    let (p, w) = try CUDADepthwiseOp.prepare(input, weight, padding, stride)
    var c = p
    guard gradOutput.shape == [Int(c.batch), Int(c.channels), Int(c.out_height), Int(c.out_width)],
          gradOutput.dimensionOrder == [0, 1, 2, 3] else {
        throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected a dense NCHW tensor of the output's shape")
    }
    let backend = try CUDABackend.shared()
    let gx = try CUDATensor<Float>(shape: input.shape, dimensionOrder: [0, 1, 2, 3])
    let gw = try CUDATensor<Float>(shape: weight.shape, dimensionOrder: [0, 1, 2])
    let workspace = try CUDATensor<Float>(shape: [Int(backend.functions.depthwise_workspace(&c))], dimensionOrder: [0])
    try checkKernel(backend.functions.depthwise_backward_f32(&c, input.pointer, w.pointer, gradOutput.pointer,
                                                             gx.pointer, gw.pointer, workspace.pointer, nil),
                    "depthwise backward")
    return (gx, try gw.host())
}

enum CUDADepthwiseOp {
    static func prepare(_ input: CUDATensor<Float>, _ weight: Tensor<Float>, _ padding: Int, _ stride: Int) throws
        -> (shiftcuda_depthwise, CUDATensor<Float>) {
        guard input.shape.count == 4, input.dimensionOrder == [0, 1, 2, 3] else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected a dense NCHW [N, C, H, W] tensor, got shape \(input.shape)")
        }
        guard weight.shape == [input.shape[1], 3, 3] else {
            throw ShiftOpsError(.shapeMismatch, argument: "weight", "expected [\(input.shape[1]), 3, 3], got \(weight.shape)")
        }
        guard padding >= 0, stride >= 1, input.shape[2] + 2 * padding >= 3, input.shape[3] + 2 * padding >= 3 else {
            throw ShiftOpsError(.invalidGeometry, argument: "padding", "padding \(padding) / stride \(stride) do not fit \(input.shape)")
        }
        var c = shiftcuda_depthwise()
        c.batch = Int64(input.shape[0]); c.channels = Int64(input.shape[1])
        c.height = Int64(input.shape[2]); c.width = Int64(input.shape[3])
        c.padding = Int64(padding); c.stride = Int64(stride)
        c.out_height = (c.height + 2 * c.padding - 3) / c.stride + 1
        c.out_width = (c.width + 2 * c.padding - 3) / c.stride + 1
        return (c, try CUDATensor(weight.contiguous()))
    }
}
#endif

#if CUDA
import ShiftCUDA
import ShiftOps

/// `shiftops run --device cuda`: the op on the GPU, results copied back to the host.
enum GPURun {
    static func apply<T: CUDAFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>, _ g: Tensor<T>?, _ k: Int, _ mode: ShiftMode,
                                            _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws
        -> (Tensor<T>, ShiftGradients<T>?) {
        let dx = try CUDATensor(x)
        let y: CUDATensor<T>
        switch k {
        case 1: y = try shift1d(dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: y = try shift2d(dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: y = try shift3d(dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
        guard let g else { return (try y.host(), nil) }
        let dg = try CUDATensor(g)
        let gradients: CUDAShiftGradients<T>
        switch k {
        case 1: gradients = try shift1dBackward(gradOutput: dg, input: dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: gradients = try shift2dBackward(gradOutput: dg, input: dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: gradients = try shift3dBackward(gradOutput: dg, input: dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
        return (try y.host(), try gradients.host())
    }
}
#endif

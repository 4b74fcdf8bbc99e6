#if CUDA
import ShiftCUDA
import ShiftOps

/// `shiftops run --device cuda`: the op on the GPU, results copied back to the host.
enum GPURun {
    static func apply<T: CUDAFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>, _ g: Tensor<T>?, _ mode: ShiftMode,
                                            _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws
        -> (Tensor<T>, ShiftGradients<T>?) {
        let dx = try CUDATensor(x)
        let y = try shift(dx, shifts: s, mode: mode, padding: padding, geometry: geometry)
        guard let g else { return (try y.host(), nil) }
        let gradients = try shiftBackward(gradOutput: try CUDATensor(g), input: dx, shifts: s, mode: mode,
                                          padding: padding, geometry: geometry)
        return (try y.host(), try gradients.host())
    }
}
#endif

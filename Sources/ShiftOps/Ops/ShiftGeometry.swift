/// Where each output sample is taken from: stride, origin and output length per spatial axis.
///
/// On spatial axis `j`, output position `p` samples the input at
/// `u = p * stride[j] + origin[j] - shift[c, j]`. A scalar stride or origin applies to every axis;
/// `outputSize` defaults to `ceil(n / stride)`.
public struct ShiftGeometry: Equatable, Sendable {
    /// The step between output samples, per axis, or one value for all axes; each >= 1.
    public var stride: [Int]
    /// The input position of output 0 before shifting, per axis, or one value for all axes.
    public var origin: [Int]
    /// The output length per axis, each >= 0; nil for `ceil(n / stride)`.
    public var outputSize: [Int]?

    /// Stride 1, origin 0, output the size of the input.
    public static let identity = ShiftGeometry()

    /// A geometry from per-axis values (or one value for every axis).
    public init(stride: [Int] = [1], origin: [Int] = [0], outputSize: [Int]? = nil) {
        self.stride = stride
        self.origin = origin
        self.outputSize = outputSize
    }

    /// A geometry with the same stride and origin on every axis.
    public init(stride: Int, origin: Int = 0, outputSize: [Int]? = nil) {
        self.init(stride: [stride], origin: [origin], outputSize: outputSize)
    }

    /// The geometry that gives a shift the output shape of a depthwise convolution with
    /// `kernelSize`, zero `padding` and `stride` over an input of spatial size `inputSize`:
    /// `origin = (K - 1) / 2 - P`, output length `floor((n + 2P - K) / S) + 1`.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidGeometry`` for a kernel size < 1, negative padding,
    ///   stride < 1, or an input too small for the kernel.
    public static func convolution(kernelSize: Int, padding: Int = 0, stride: Int = 1,
                                   inputSize: [Int]) throws -> ShiftGeometry {
        guard kernelSize >= 1 else {
            throw ShiftOpsError(.invalidGeometry, argument: "kernelSize", "expected >= 1, got \(kernelSize)")
        }
        guard padding >= 0 else {
            throw ShiftOpsError(.invalidGeometry, argument: "padding", "expected >= 0, got \(padding)")
        }
        guard stride >= 1 else {
            throw ShiftOpsError(.invalidGeometry, argument: "stride", "expected >= 1, got \(stride)")
        }
        let sizes = try inputSize.map { n -> Int in
            let span = n + 2 * padding - kernelSize
            guard span >= 0 else {
                throw ShiftOpsError(.invalidGeometry, argument: "inputSize",
                                    "an axis of \(n) with padding \(padding) is smaller than the kernel \(kernelSize)")
            }
            return span / stride + 1
        }
        return ShiftGeometry(stride: [stride], origin: [(kernelSize - 1) / 2 - padding], outputSize: sizes)
    }
}

/// A shift layer for training code: a `[C, k]` shift parameter, forward, backward and the
/// options (``ShiftGradientOptions``), for 1-D, 2-D or 3-D data (`spatialRank` 1, 2 or 3).
///
/// ```swift
/// var layer = try ShiftLayer<Float>(channels: 64, spatialRank: 2, mode: .active, seed: 1)
/// let y = try layer(x)                                   // [N, 64, H, W]
/// let gx = try layer.backward(gradOutput: gy, input: x)  // accumulates layer.shiftGradient
/// try optimizer.step(&layer, path: "shift")              // then layer.zeroGradient()
/// ```
/// Grouped layers are frozen: they never accumulate a shift gradient.
///
/// The forward and backward are pre-specialised for `Float` and `Double`: called from another
/// module, a generic method would otherwise run ShiftOps' kernels unspecialised, several times
/// slower.
public struct ShiftLayer<T: ShiftFloatingPoint>: Sendable {
    /// Where the output samples are taken: a fixed geometry, or the one that gives the output
    /// shape of a depthwise convolution, worked out from each input's size.
    public enum Sampling: Equatable, Sendable {
        case fixed(ShiftGeometry)
        case convolution(kernelSize: Int, padding: Int, stride: Int)
    }

    /// The shifts, `[C, k]`, columns in tensor axis order.
    public var shifts: Tensor<T>
    /// `dL/ds` summed over the `backward` calls since the last ``zeroGradient()``; `[C, k]`.
    public private(set) var shiftGradient: Tensor<T>
    /// 1, 2 or 3: the number of spatial axes of the data.
    public let spatialRank: Int
    /// Active, sparse or grouped (frozen).
    public var mode: ShiftMode
    /// How samples beyond the edges are read.
    public var padding: ShiftPadding
    /// Where the output samples are taken.
    public var sampling: Sampling
    /// What ``updateGradient()`` does to the shift gradient.
    public var gradientOptions: ShiftGradientOptions<T>

    /// A layer of `channels` shifts drawn by `initialization` from `seed`.
    ///
    /// - Throws: ``ShiftOpsError`` for a rank outside 1...3, a negative channel count or a bad
    ///   initialization.
    public init(channels: Int, spatialRank: Int, mode: ShiftMode = .active, padding: ShiftPadding = .zeros,
                sampling: Sampling = .fixed(.identity), initialization: ShiftInitialization<T> = .uniform(bound: 1),
                gradientOptions: ShiftGradientOptions<T> = .init(), seed: UInt64 = 0) throws {
        guard (1...3).contains(spatialRank) else {
            throw ShiftOpsError(.invalidArgument, argument: "spatialRank", "expected 1, 2 or 3, got \(spatialRank)")
        }
        guard channels >= 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 0, got \(channels)")
        }
        self.spatialRank = spatialRank
        self.mode = mode
        self.padding = padding
        self.sampling = sampling
        self.gradientOptions = gradientOptions
        shifts = try initialization.shifts(channels: channels, spatialRank: spatialRank, seed: seed)
        shiftGradient = try Tensor(shape: [channels, spatialRank])
    }

    /// The layer that replaces a depthwise convolution with `kernelSize`, `stride` and zero
    /// `convolutionPadding`: the same output shape, and shifts initialised within the kernel's
    /// reach, uniform in `[-(K - 1) / 2, (K - 1) / 2]` (or the grouped assignment for `.grouped`).
    public init(replacingDepthwiseConvolutionWith channels: Int, spatialRank: Int, kernelSize: Int,
                stride: Int = 1, convolutionPadding: Int = 0, padding: ShiftPadding = .zeros,
                mode: ShiftMode = .active, seed: UInt64 = 0) throws {
        guard kernelSize >= 1, kernelSize % 2 == 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "kernelSize", "expected an odd size >= 1, got \(kernelSize)")
        }
        let reach = T((kernelSize - 1) / 2)
        try self.init(channels: channels, spatialRank: spatialRank, mode: mode, padding: padding,
                      sampling: .convolution(kernelSize: kernelSize, padding: convolutionPadding, stride: stride),
                      initialization: mode == .grouped ? .grouped(kernelSize: kernelSize, assignment: .interleaved)
                                                       : .uniform(bound: reach),
                      seed: seed)
    }

    /// The number of channels.
    public var channels: Int { shifts.shape[0] }

    /// The geometry used for an input of `shape` (`[N, C] + spatial`).
    public func geometry(forInputShape shape: [Int]) throws -> ShiftGeometry {
        switch sampling {
        case .fixed(let geometry):
            return geometry
        case .convolution(let kernelSize, let padding, let stride):
            return try .convolution(kernelSize: kernelSize, padding: padding, stride: stride,
                                    inputSize: Array(shape.dropFirst(2)))
        }
    }

    /// The forward pass: ``shift1d(_:shifts:mode:padding:geometry:)`` and its 2-D and 3-D kin.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func callAsFunction(_ input: Tensor<T>) throws -> Tensor<T> {
        try ShiftOp.forward(input, shifts: shifts, spatialRank: spatialRank, mode: mode, padding: padding,
                            geometry: geometry(forInputShape: input.shape))
    }

    /// The integer forward for quantized inference (sparse or grouped layers): an exact integer
    /// shift of `input`, zero padding reading `zeroPoint`. A channel whose shift is zero costs a
    /// copy.
    public func callAsFunction<Q: TensorElement & FixedWidthInteger>(_ input: Tensor<Q>, zeroPoint: Q = 0) throws -> Tensor<Q> {
        try ShiftOp.forward(input, shifts: shifts, spatialRank: spatialRank, mode: mode, padding: padding,
                            geometry: geometry(forInputShape: input.shape), fill: zeroPoint)
    }

    /// The backward pass: returns `dL/dx` and adds `dL/ds` to ``shiftGradient`` (not for grouped
    /// layers).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func backward(gradOutput: Tensor<T>, input: Tensor<T>) throws -> Tensor<T> {
        let gradients = try ShiftOp.backward(gradOutput: gradOutput, input: input, shifts: shifts,
                                             spatialRank: spatialRank, mode: mode, padding: padding,
                                             geometry: geometry(forInputShape: input.shape))
        if let g = gradients.shifts {
            shiftGradient = try Tensor(shape: g.shape, elements: zip(shiftGradient.elements, g.elements).map { $0 + $1 })
        }
        return gradients.input
    }

    /// Clears ``shiftGradient``.
    public mutating func zeroGradient() {
        // The shape is the one the layer was built with: it cannot be invalid.
        shiftGradient = try! Tensor(shape: shiftGradient.shape)
    }

    /// The sparsity loss `lambda * sum |s|` of ``gradientOptions``.
    public var sparsityLoss: T {
        gradientOptions.sparsity * shifts.elements.reduce(0) { $0 + abs($1) }
    }

    /// The gradient an optimiser should apply: ``shiftGradient`` with ``gradientOptions``
    /// (sparsity, normalize or clip, lattice decay); zeros for a grouped layer.
    public func updateGradient() throws -> Tensor<T> {
        guard mode.learnsShifts else { return try Tensor(shape: shifts.shape) }
        return try gradientOptions.apply(to: shiftGradient, shifts: shifts)
    }
}

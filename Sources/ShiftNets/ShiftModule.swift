import ShiftOps

/// The shift of a conv-shift-conv block: ShiftOps' ``ShiftOps/ShiftLayer`` over a 3x3 neighbourhood, zero
/// padding, the output the input's size.
///
/// Grouped shifts are the interleaved table (channel c takes offset c mod K^k) and are not a
/// parameter; active and sparse shifts are a learned `[C, 2]` parameter named `shifts`, started
/// from the same interleaved table.
public final class ShiftModule<T: NetScalar>: Module<T> {
    /// The wrapped op; its `shifts` follow ``shifts`` before every forward.
    public private(set) var layer: ShiftLayer<T>
    /// The learned shifts (active, sparse); `nil` for grouped shifts.
    public let shifts: Parameter<T>?
    private var savedInput = SavedForBackward<Tensor<T>>()

    /// A shift over `channels` channels.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `channels` when below 1.
    public init(channels: Int, mode: ShiftMode, seed: UInt64) throws {
        guard channels >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "channels", "expected >= 1, got \(channels)")
        }
        // Learned shifts start from the grouped table too: every offset of the 3x3 neighbourhood is
        // covered from the first step, and training moves them from there (a uniform start leaves
        // fractional shifts that blur small images, and sparse shifts that round unevenly).
        layer = try ShiftLayer(channels: channels, spatialRank: 2, mode: mode, padding: .zeros,
                               sampling: .convolution(kernelSize: 3, padding: 1, stride: 1),
                               initialization: .grouped(kernelSize: 3, assignment: .interleaved), seed: seed)
        shifts = mode.learnsShifts ? Parameter(layer.shifts) : nil
    }

    /// `shifts` for active and sparse layers.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { shifts.map { [("shifts", $0)] } ?? [] }

    /// `[N, C, H, W]` to the same shape.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        if let shifts { layer.shifts = shifts.value }
        // The op itself rather than the layer's call: it is inlinable, so this specialised method
        // gets a Float kernel instead of ShiftOps' generic one.
        let y = try shift2d(input, shifts: layer.shifts, mode: layer.mode, padding: layer.padding,
                            geometry: layer.geometry(forInputShape: input.shape))
        savedInput.keep(input, training: isTraining)
        return y
    }

    /// `dL/dinput` from ShiftOps' backward; adds `dL/dshifts` for a learned shift.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let input = try savedInput.value()
        let gradients = try shift2dBackward(gradOutput: gradOutput, input: input, shifts: layer.shifts, mode: layer.mode,
                                            padding: layer.padding, geometry: layer.geometry(forInputShape: input.shape))
        if let shifts, let g = gradients.shifts { shifts.accumulate(g.elements) }
        return gradients.input
    }

    /// One row: `2C` parameters when learned, no MACs; the active shift's interpolation (4
    /// multiplies per output element) listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        guard shape.count == 4, shape[1] == layer.channels else {
            throw ShiftOpsError(.shapeMismatch, argument: "input", "expected [N, \(layer.channels), H, W], got \(shape)")
        }
        let elements = shape.dropFirst().reduce(1, *)
        rows.append(LayerCount(path: path, kind: "shift(\(layer.mode.rawValue))", outputShape: Array(shape.dropFirst()),
                               parameters: parameterCount, macs: 0, otherOps: layer.mode == .active ? 4 * elements : 0))
        return shape
    }
}

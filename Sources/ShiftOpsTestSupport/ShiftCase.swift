import ShiftOps

/// One configuration of a shift op (spatial rank, mode, padding, output grid) and the case lists
/// that the tests, the golden outputs and the GPU check all draw from.
public struct ShiftCase: CustomStringConvertible, Sendable {
    /// The number of spatial axes, 1 to 3.
    public var k: Int
    /// How the shifts are read.
    public var mode: ShiftMode
    /// What lies beyond the input's edges.
    public var padding: ShiftPadding
    /// The output grid.
    public var geometry: ShiftGeometry

    /// A configuration.
    ///
    /// - Parameters:
    ///   - k: the number of spatial axes, 1 to 3 (``shape(batch:channels:)`` has a size for these).
    ///   - mode: how the shifts are read.
    ///   - padding: what lies beyond the input's edges.
    ///   - geometry: the output grid; the identity by default.
    public init(k: Int, mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry = .identity) {
        self.k = k
        self.mode = mode
        self.padding = padding
        self.geometry = geometry
    }

    public var description: String {
        "\(k)-D \(mode) \(padding) stride \(geometry.stride) origin \(geometry.origin) size \(geometry.outputSize.map { "\($0)" } ?? "default")"
    }

    /// Every rank x mode x padding, on the identity grid.
    public static let all: [ShiftCase] = (1...3).flatMap { k in
        ShiftMode.allCases.flatMap { mode in ShiftPadding.allCases.map { ShiftCase(k: k, mode: mode, padding: $0) } }
    }

    /// The output grids that steer the kernels onto their different paths, by name: the identity
    /// (the flat-plane paths), stride 2 with an origin, a wider output around a negative origin
    /// (reading padding on both sides), and per-axis strides and origins.
    ///
    /// - Parameters:
    ///   - k: the number of spatial axes.
    ///   - size: the input's spatial size, `k` lengths (the wide grid is 3 longer on each axis).
    /// - Returns: four named grids; the names are stable (the golden outputs are keyed by them).
    public static func geometries(rank k: Int, size: [Int]) -> [(name: String, geometry: ShiftGeometry)] {
        [
            ("identity", .identity),
            ("stride2", ShiftGeometry(stride: 2, origin: 1)),
            ("wide", ShiftGeometry(stride: [1], origin: [-2], outputSize: size.map { $0 + 3 })),
            ("mixed", ShiftGeometry(stride: (0..<k).map { $0 % 2 == 0 ? 1 : 2 },
                                    origin: (0..<k).map { $0 % 2 == 0 ? 0 : -1 })),
        ]
    }

    /// ``all`` on each of ``geometries(rank:size:)`` for this rank's ``shape(batch:channels:)``.
    public static let allGeometries: [ShiftCase] = all.flatMap { base in
        geometries(rank: base.k, size: spatialSizes[base.k - 1]).map { named in
            var config = base
            config.geometry = named.geometry
            return config
        }
    }

    /// The small spatial size used for each rank (index `k - 1`).
    public static let spatialSizes = [[7], [5, 6], [3, 4, 5]]

    /// A small input shape for this rank.
    ///
    /// - Parameters:
    ///   - batch: N.
    ///   - channels: C.
    /// - Returns: `[batch, channels] + ` this rank's entry of ``spatialSizes``.
    public func shape(batch: Int = 2, channels: Int = 3) -> [Int] {
        [batch, channels] + Self.spatialSizes[k - 1]
    }

    /// Shifts of up to +-3.9 whose fractional parts stay in [0.1, 0.9], away from the lattice where
    /// the active shift is not differentiable (integers in the grouped mode).
    ///
    /// - Parameters:
    ///   - channels: C.
    ///   - seed: the generator's seed; the same seed gives the same table.
    /// - Returns: `[channels, k]`.
    public func shifts<T: ShiftFloatingPoint>(channels: Int, seed: UInt64) -> Tensor<T> {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<channels * k).map { _ -> T in
            let whole = T(Int.random(in: -3...3, using: &generator))
            return mode == .grouped ? whole : whole + T(Double.random(in: 0.1...0.9, using: &generator))
        }
        return try! Tensor(shape: [channels, k], elements: values)
    }

    /// The library's forward for this configuration.
    public func forward<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>) throws -> Tensor<T> {
        try shift(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    /// The library's backward for this configuration.
    public func backward<T: ShiftFloatingPoint>(_ g: Tensor<T>, _ x: Tensor<T>, _ s: Tensor<T>) throws -> ShiftGradients<T> {
        try shiftBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    /// The reference forward (``ReferenceShift``) for this configuration.
    public func reference<T: ShiftFloatingPoint>(_ x: Tensor<T>, _ s: Tensor<T>) -> Tensor<T> {
        ReferenceShift.forward(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }

    /// The reference gradients (``ReferenceShift``) for this configuration.
    public func referenceBackward<T: ShiftFloatingPoint>(_ g: Tensor<T>, _ x: Tensor<T>, _ s: Tensor<T>)
        -> (input: Tensor<T>, shifts: Tensor<T>?) {
        ReferenceShift.backward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
    }
}

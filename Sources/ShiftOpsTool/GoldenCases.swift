import ShiftOps
import ShiftOpsTestSupport

/// The case set behind `shiftops golden`: every mode, padding and spatial rank over the layouts
/// and geometries that steer the CPU kernels onto their different paths, for `Float` and `Double`
/// (forward, forward into an existing output, input gradient, shift gradient), the integer
/// forward for `Int8` and `Int32`, channels-last planes large enough to leave the tiles, and
/// empty tensors.
///
/// Every input comes from a generator seeded by the case's name, so a case's data do not depend
/// on which other cases run or in what order.
enum GoldenCases {
    /// How an input (and its gradient of the output) is laid out in memory.
    enum Layout: String, CaseIterable {
        /// Dense row-major.
        case dense
        /// Dense with the channel axis innermost (NHWC and its 1-D and 3-D kindred).
        case channelsLast
        /// The batch axis and the last spatial axis swapped in memory: a view with a unit batch
        /// stride and a large stride along the rows.
        case transposed
        /// Every other element of a longer last axis, and a window of the channels: a view with
        /// an offset and a non-unit innermost stride.
        case sliced
    }

    /// One computation: its name (unique, stable across versions) and what it produces.
    struct Case {
        let name: String
        let run: () throws -> [Digest]
    }

    /// The output of one computation: what is hashed, and what `--dump` writes.
    struct Digest {
        let label: String
        let hash: UInt64
        let save: (String) throws -> Void
    }

    static let spatialSizes = [[11], [6, 7], [4, 5, 6]]

    /// Every case, in a fixed order.
    static func all() -> [Case] {
        var cases = [Case]()
        for k in 1...3 {
            let size = spatialSizes[k - 1]
            for mode in ShiftMode.allCases {
                for padding in ShiftPadding.allCases {
                    for layout in Layout.allCases {
                        for (geometryName, geometry) in ShiftCase.geometries(rank: k, size: size) {
                            let tail = "r\(k).\(mode.rawValue).\(padding).\(layout.rawValue).\(geometryName)"
                            let shape = [2, 5] + size
                            cases.append(floating(Float.self, "f32.\(tail)", shape: shape, layout: layout, mode: mode,
                                                  padding: padding, geometry: geometry))
                            cases.append(floating(Double.self, "f64.\(tail)", shape: shape, layout: layout, mode: mode,
                                                  padding: padding, geometry: geometry))
                            guard mode != .active, geometryName != "mixed" else { continue }
                            cases.append(integer(Int8.self, shifts: Float.self, "i8.\(tail)", shape: shape, layout: layout,
                                                 mode: mode, padding: padding, geometry: geometry, fill: -3))
                            cases.append(integer(Int32.self, shifts: Double.self, "i32.\(tail)", shape: shape,
                                                 layout: layout, mode: mode, padding: padding, geometry: geometry, fill: 7))
                        }
                    }
                }
            }
        }
        // Channel blocks: more channels than one tile holds, and a single channel.
        for channels in [1, 17] {
            for k in 1...3 {
                for mode in ShiftMode.allCases {
                    for padding in ShiftPadding.allCases {
                        let tail = "c\(channels).r\(k).\(mode.rawValue).\(padding)"
                        let shape = [2, channels] + spatialSizes[k - 1]
                        cases.append(floating(Float.self, "f32.\(tail)", shape: shape, layout: .channelsLast, mode: mode,
                                              padding: padding, geometry: .identity))
                        cases.append(floating(Double.self, "f64.\(tail)", shape: shape, layout: .channelsLast, mode: mode,
                                              padding: padding, geometry: .identity))
                    }
                }
            }
        }
        // The direct channels-last kernels, which serve planes too large even for the tiles that
        // work from the shared cache (4 channels' planes over 8 MiB): reached here with the tiles
        // turned off, on planes of the sizes that reached them before those tiles existed.
        let large: [(String, [Int], Bool)] = [
            ("f32.large150", [1, 6, 150, 150], true), ("f32.large184", [1, 5, 184, 184], true),
            ("f64.large130", [1, 5, 130, 130], false),
        ]
        for (prefix, shape, single) in large {
            for mode in ShiftMode.allCases {
                for padding in [ShiftPadding.zeros, .symmetric, .periodic] {
                    for (geometryName, geometry) in ShiftCase.geometries(rank: 2, size: Array(shape.suffix(2))).prefix(3) {
                        let name = "\(prefix).\(mode.rawValue).\(padding).\(geometryName)"
                        let direct = single
                            ? floating(Float.self, name, shape: shape, layout: .channelsLast, mode: mode, padding: padding,
                                       geometry: geometry)
                            : floating(Double.self, name, shape: shape, layout: .channelsLast, mode: mode, padding: padding,
                                       geometry: geometry)
                        cases.append(Case(name: name) { try CPUPlan.withoutChannelsLastTiles(direct.run) })
                    }
                }
            }
        }
        // Channels-last shifts in (-1, 1): the neighbourhood kernel above the portable level, the
        // tiles at it (so the two give the same hashes at every level).
        // With 16 channels the backward takes the neighbourhood kernel too, at every level.
        // Shifts in (-2, 2) with 8 or 16 channels: the wide forward above the portable level.
        // Strided grids: the neighbourhood forwards' per-pixel paths above the portable level.
        // Strided channels-last 3-D shifts in (-1, 1): the 3-D neighbourhood forward, its rows
        // rolling (a stride along depth only; at stride 2, two columns at a time) and per pixel
        // (the first column at stride 2).
        for padding in ShiftPadding.allCases {
            cases.append(floating(Float.self, "f32.volume.stride211.c19.\(padding)", shape: [2, 19, 4, 5, 6],
                                  layout: .channelsLast, mode: .active, padding: padding, geometry: ShiftGeometry(stride: [2, 1, 1]),
                                  shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.volume.stride2.c16.\(padding)", shape: [1, 16, 5, 6, 7],
                                  layout: .channelsLast, mode: .active, padding: padding, geometry: ShiftGeometry(stride: 2),
                                  shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.neighbours.stride2.c19.\(padding)", shape: [2, 19, 7, 9],
                                  layout: .channelsLast, mode: .active, padding: padding, geometry: ShiftGeometry(stride: 2),
                                  shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.neighbours.stride13.c16.\(padding)", shape: [1, 16, 5, 10],
                                  layout: .channelsLast, mode: .active, padding: padding, geometry: ShiftGeometry(stride: [1, 3]),
                                  shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.wide.stride2.c16.\(padding)", shape: [1, 16, 7, 9],
                                  layout: .channelsLast, mode: .active, padding: padding, geometry: ShiftGeometry(stride: 2),
                                  shiftLimit: 1.96))
            cases.append(floating(Float.self, "f32.neighbours.c19.\(padding)", shape: [2, 19, 6, 7], layout: .channelsLast,
                                  mode: .active, padding: padding, geometry: .identity, shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.neighbours.c16.\(padding)", shape: [2, 16, 6, 7], layout: .channelsLast,
                                  mode: .active, padding: padding, geometry: .identity, shiftLimit: 0.98))
            cases.append(floating(Float.self, "f32.wide.c16.\(padding)", shape: [2, 16, 6, 7], layout: .channelsLast,
                                  mode: .active, padding: padding, geometry: .identity, shiftLimit: 1.96))
            cases.append(floating(Float.self, "f32.wide.c8.\(padding)", shape: [1, 8, 3, 4], layout: .channelsLast,
                                  mode: .active, padding: padding, geometry: .identity, shiftLimit: 1.96))
        }
        // Empty tensors: no batch, no channels, an empty spatial axis, an empty output.
        let empty: [(String, [Int], ShiftGeometry, ShiftPadding)] = [
            ("batch0", [0, 3, 4, 5], .identity, .reflect),
            ("channels0", [2, 0, 4, 5], .identity, .border),
            ("width0", [2, 3, 4, 0], .identity, .zeros),
            ("output0", [2, 3, 4, 0], ShiftGeometry(stride: [1], origin: [0], outputSize: [4, 0]), .periodic),
            ("wideFromEmpty", [1, 2, 0, 3], ShiftGeometry(stride: [1], origin: [0], outputSize: [2, 3]), .zeros),
        ]
        for (emptyName, shape, geometry, padding) in empty {
            for mode in ShiftMode.allCases {
                for layout in [Layout.dense, .channelsLast] {
                    cases.append(floating(Float.self, "f32.empty.\(emptyName).\(mode.rawValue).\(layout.rawValue)", shape: shape,
                                          layout: layout, mode: mode, padding: padding, geometry: geometry))
                }
            }
        }
        cases += errorCases()
        return cases
    }

    /// Calls validation must refuse: their error code and argument are recorded.
    static func errorCases() -> [Case] {
        func refused(_ name: String, shape: [Int], shifts shiftShape: [Int], shiftValue: Float = 0.5,
                     mode: ShiftMode = .active, padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity,
                     layout: Layout = .dense) -> Case {
            Case(name: "error.\(name)") {
                var random = SplitMix(name)
                let input: Tensor<Float> = try make(shape: shape, layout: layout, &random) { Float($0.unit()) }
                let shifts = try Tensor<Float>(shape: shiftShape, repeating: shiftValue)
                let output = try shift(input, shifts: shifts, mode: mode, padding: padding, geometry: geometry)
                return [digest("forward", output)]
            }
        }
        return [
            refused("rank", shape: [2, 3], shifts: [3, 1]),
            refused("shiftColumns", shape: [2, 3, 4, 5], shifts: [3, 1]),
            refused("channels", shape: [2, 3, 4, 5], shifts: [4, 2]),
            refused("channelsLastLooking", shape: [2, 4, 5, 3], shifts: [3, 2]),
            refused("nan", shape: [2, 3, 4, 5], shifts: [3, 2], shiftValue: .nan),
            refused("infinite", shape: [2, 3, 4, 5], shifts: [3, 2], shiftValue: .infinity),
            refused("groupedFraction", shape: [2, 3, 4, 5], shifts: [3, 2], mode: .grouped),
            refused("stride0", shape: [2, 3, 4, 5], shifts: [3, 2], geometry: ShiftGeometry(stride: 0)),
            refused("strideCount", shape: [2, 3, 4, 5], shifts: [3, 2], geometry: ShiftGeometry(stride: [1, 1, 1])),
            refused("originHuge", shape: [2, 3, 4, 5], shifts: [3, 2], geometry: ShiftGeometry(stride: 1, origin: 1 << 53)),
            refused("outputNegative", shape: [2, 3, 4, 5], shifts: [3, 2],
                    geometry: ShiftGeometry(stride: [1], origin: [0], outputSize: [4, -1])),
            refused("outputCount", shape: [2, 3, 4, 5], shifts: [3, 2],
                    geometry: ShiftGeometry(stride: [1], origin: [0], outputSize: [4])),
            refused("outputSpan", shape: [2, 3, 4, 5], shifts: [3, 2],
                    geometry: ShiftGeometry(stride: [1 << 40], origin: [0], outputSize: [4, 1 << 20])),
            refused("paddingFromEmpty", shape: [2, 3, 0, 5], shifts: [3, 2], padding: .reflect,
                    geometry: ShiftGeometry(stride: [1], origin: [0], outputSize: [2, 5])),
        ]
    }

    // MARK: Building and running one case

    /// A floating-point case: the forward, the forward into an output laid out otherwise, and
    /// both gradients.
    static func floating<T: ShiftFloatingPoint>(
        _: T.Type, _ name: String, shape: [Int], layout: Layout, mode: ShiftMode, padding: ShiftPadding,
        geometry: ShiftGeometry, shiftLimit: Double? = nil
    ) -> Case {
        Case(name: name) {
            var random = SplitMix(name)
            let input: Tensor<T> = try make(shape: shape, layout: layout, &random) { T($0.unit() * 2 - 1) }
            // Shifts drawn from (-shiftLimit, shiftLimit) where given (2 * limit is exact, so the
            // draws of a limit of 0.98 are those of the literal 1.96 the cases were written with).
            let shifts = try shiftLimit.map { limit in
                try Tensor<T>(shape: [shape[1], shape.count - 2], elements: (0..<(shape[1] * (shape.count - 2))).map { _ in
                    T(random.unit() * (2 * limit) - limit)
                })
            } ?? shiftTable(T.self, channels: shape[1], rank: shape.count - 2, mode: mode, &random)
            let output = try shift(input, shifts: shifts, mode: mode, padding: padding, geometry: geometry)
            // The other layout for the `into:` output: the tiles and flat planes look at both.
            var into: Tensor<T> = try make(shape: output.shape, layout: layout == .dense ? .channelsLast : .dense, &random) { _ in 0 }
            try shift(input, shifts: shifts, mode: mode, padding: padding, geometry: geometry, into: &into)
            let gradOutput: Tensor<T> = try make(shape: output.shape, layout: layout, &random) { T($0.unit() * 2 - 1) }
            let gradients = try shiftBackward(gradOutput: gradOutput, input: input, shifts: shifts, mode: mode,
                                              padding: padding, geometry: geometry)
            var digests = [digest("forward", output), digest("into", into), digest("gradInput", gradients.input)]
            if let gradShifts = gradients.shifts { digests.append(digest("gradShifts", gradShifts)) }
            return digests
        }
    }

    /// An integer case: the data-movement forward with a non-zero fill.
    static func integer<Q: TensorElement & FixedWidthInteger, S: ShiftFloatingPoint>(
        _: Q.Type, shifts _: S.Type, _ name: String, shape: [Int], layout: Layout, mode: ShiftMode,
        padding: ShiftPadding, geometry: ShiftGeometry, fill: Q
    ) -> Case {
        Case(name: name) {
            var random = SplitMix(name)
            let input: Tensor<Q> = try make(shape: shape, layout: layout, &random) { Q(truncatingIfNeeded: $0.next()) }
            let shifts = try shiftTable(S.self, channels: shape[1], rank: shape.count - 2, mode: mode, &random)
            let output = try shift(input, shifts: shifts, mode: mode, padding: padding, geometry: geometry, fill: fill)
            return [digest("forward", output)]
        }
    }

    /// Shifts that exercise each mode: fractional ones (and some integers, whose zero-weight taps
    /// must not be read) for active; ties at half integers for sparse's rounding; integers for
    /// grouped.
    static func shiftTable<T: ShiftFloatingPoint>(_: T.Type, channels: Int, rank k: Int, mode: ShiftMode,
                                                  _ random: inout SplitMix) throws -> Tensor<T> {
        let values = (0..<(channels * k)).map { i -> T in
            switch mode {
            case .grouped:
                return T(Int(random.next() % 7) - 3)
            case .sparse where i % 3 == 0:
                return T(Int(random.next() % 7) - 3) + T(0.5)
            case .active where i % 4 == 1:
                return T(Int(random.next() % 5) - 2)
            default:
                return T(random.unit() * 6 - 3)
            }
        }
        return try Tensor(shape: [channels, k], elements: values)
    }

    /// A tensor of logical `shape` in `layout`, its elements drawn from `value` in storage order.
    static func make<E: TensorElement>(shape: [Int], layout: Layout, _ random: inout SplitMix,
                                       _ value: (inout SplitMix) -> E) throws -> Tensor<E> {
        let rank = shape.count
        func filled(_ storageShape: [Int]) throws -> Tensor<E> {
            let count = storageShape.reduce(1, *)
            return try Tensor(shape: storageShape, elements: (0..<count).map { _ in value(&random) })
        }
        switch layout {
        case .dense:
            return try filled(shape)
        case .channelsLast:
            return try filled(shape).channelsLast()
        case .transposed:
            var storageShape = shape
            storageShape.swapAt(0, rank - 1)
            return try filled(storageShape).transposed(0, rank - 1)
        case .sliced:
            var storageShape = shape
            storageShape[1] += 2
            storageShape[rank - 1] = 2 * shape[rank - 1] + 1
            return try filled(storageShape)
                .sliced(axis: 1, range: 1..<(shape[1] + 1))
                .sliced(axis: rank - 1, range: 1..<(2 * shape[rank - 1] + 1), step: 2)
        }
    }

    /// The hash of a tensor's shape, strides and element bits in logical order.
    static func digest<E: TensorElement>(_ label: String, _ tensor: Tensor<E>) -> Digest {
        var hash = FNV()
        for n in tensor.shape + [-1] + tensor.strides { hash.add(n) }
        tensor.elements.withUnsafeBytes { hash.add($0) }
        return Digest(label: label, hash: hash.value) { try tensor.save(npyFile: $0) }
    }
}

/// FNV-1a, 64 bits: a stable hash across runs and platforms (Swift's `Hasher` is seeded per
/// process).
struct FNV {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }

    mutating func add(_ n: Int) {
        withUnsafeBytes(of: Int64(n).littleEndian) { add($0) }
    }
}

/// SplitMix64: a small deterministic generator seeded from a case's name.
struct SplitMix {
    private var state: UInt64

    init(_ seed: String) {
        var hash = FNV()
        Array(seed.utf8).withUnsafeBytes { hash.add($0) }
        state = hash.value
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

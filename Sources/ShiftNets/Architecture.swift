import Foundation
import ShiftOps

/// What sits between a conv-shift-conv block's two 1x1 convolutions.
public enum BlockMiddle: Equatable, Sendable {
    /// A shift (grouped, active or sparse), as ShiftResNet.
    case shift(ShiftMode)
    /// A 3x3 depthwise convolution followed by BN: the shift network's twin.
    case depthwise
}

/// The residual block an architecture is built from.
public enum BlockKind: Equatable, Sendable {
    /// ResNet's BasicBlock: 3x3 conv (to `int(planes / reduction)`), BN, ReLU, 3x3 conv, BN.
    case basic(reduction: Double)
    /// The conv-shift-conv block: 1x1 conv to `int(planes * expansion)`, BN, ReLU, the middle,
    /// 1x1 conv (carrying the stride), BN.
    case convShiftConv(expansion: Double, middle: BlockMiddle)
}

/// How `--reduction` narrows a ResNet, as shiftresnet-cifar's `--reduction-mode`.
public enum ReductionMode: String, Sendable, CaseIterable {
    /// Every width divided by `sqrt(R)` (parameters fall by about `R`).
    case net
    /// Only each block's inner width divided by `R`.
    case block
}

/// A CIFAR-style residual network: a 3x3 stem, stages of residual blocks (the first block of each
/// stage after the first has stride 2), global average pooling and a linear classifier.
///
/// ``resNet(depth:reduction:mode:classes:)``, ``shiftResNet(depth:expansion:shift:classes:)`` and
/// ``depthwiseResNet(depth:expansion:classes:)`` give shiftresnet-cifar's networks (16, 32, 64 channels;
/// depth `6n + 2`, `n` blocks per stage). Parameter paths: `conv1`, `bn1`, `stage1.block0.conv1`,
/// ..., `linear` (shiftresnet-cifar's `layer1.0` is our `stage1.block0`).
public struct Architecture: Equatable, Sendable {
    /// A short name for tables (`shiftresnet20-e3-grouped`).
    public var name: String
    /// Input channels (3 for CIFAR).
    public var inputChannels: Int
    /// Classes of the linear layer.
    public var classes: Int
    /// The stem's output channels.
    public var stemChannels: Int
    /// Each stage's output channels.
    public var widths: [Int]
    /// Each stage's number of blocks.
    public var blocksPerStage: [Int]
    /// The block.
    public var block: BlockKind
    /// When set, every convolution but the stem takes its weight from a shared CSG generator.
    public var csg: CSGOptions?
    /// When set, each conv-shift-conv block computes its shift and last 1x1 convolution as one
    /// ``ShiftPointwiseConv`` (same parameters, same paths, same numbers up to rounding).
    public var fusesShiftAndPointwise = false

    /// A network from its parts.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming the argument for a non-positive size, stages and block
    ///   counts of different lengths, or a non-positive expansion or reduction.
    public init(name: String, inputChannels: Int = 3, classes: Int = 10, stemChannels: Int, widths: [Int],
                blocksPerStage: [Int], block: BlockKind) throws {
        for (argument, value) in [("inputChannels", inputChannels), ("classes", classes), ("stemChannels", stemChannels)] where value < 1 {
            throw ShiftOpsError(.invalidArgument, argument: argument, "expected >= 1, got \(value)")
        }
        guard !widths.isEmpty, widths.count == blocksPerStage.count, widths.allSatisfy({ $0 >= 1 }),
              blocksPerStage.allSatisfy({ $0 >= 1 }) else {
            throw ShiftOpsError(.invalidArgument, argument: "widths",
                                "expected one width >= 1 per stage and one block count >= 1 per stage, got \(widths) and \(blocksPerStage)")
        }
        switch block {
        case .basic(let r) where !(r > 0 && r.isFinite):
            throw ShiftOpsError(.invalidArgument, argument: "reduction", "expected a finite value > 0, got \(r)")
        case .convShiftConv(let e, _) where !(e > 0 && e.isFinite):
            throw ShiftOpsError(.invalidArgument, argument: "expansion", "expected a finite value > 0, got \(e)")
        default: break
        }
        (self.name, self.inputChannels, self.classes, self.stemChannels) = (name, inputChannels, classes, stemChannels)
        (self.widths, self.blocksPerStage, self.block) = (widths, blocksPerStage, block)
    }

    private static func blocks(depth: Int) throws -> Int {
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "depth", "expected 6n + 2 with n >= 1 (20, 56, 110), got \(depth)")
        }
        return (depth - 2) / 6
    }

    /// ResNet-`depth` for CIFAR, optionally narrowed as shiftresnet-cifar's `--reduction R
    /// --reduction-mode`: `net` divides every width by `sqrt(R)` (truncated, as `int(16 / R ** 0.5)`),
    /// `block` makes each block's inner width `int(planes / R)`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `depth` or `reduction`.
    public static func resNet(depth: Int, reduction: Double = 1, mode: ReductionMode = .net, classes: Int = 10) throws -> Architecture {
        let n = try blocks(depth: depth)
        guard reduction > 0, reduction.isFinite else {
            throw ShiftOpsError(.invalidArgument, argument: "reduction", "expected a finite value > 0, got \(reduction)")
        }
        let suffix = reduction == 1 ? "" : "-r\(reduction)-\(mode.rawValue)"
        if mode == .net {
            // Python's float(R) ** 0.5, then int() truncation.
            let r = Foundation.pow(reduction, 0.5)
            let w = try [16.0, 32.0, 64.0].map { try Architecture.channels($0 / r, argument: "reduction") }
            return try Architecture(name: "resnet\(depth)\(suffix)", classes: classes, stemChannels: w[0], widths: w,
                                    blocksPerStage: [n, n, n], block: .basic(reduction: 1))
        }
        return try Architecture(name: "resnet\(depth)\(suffix)", classes: classes, stemChannels: 16, widths: [16, 32, 64],
                                blocksPerStage: [n, n, n], block: .basic(reduction: reduction))
    }

    /// ShiftResNet-`depth` with expansion `e`: conv-shift-conv blocks whose inner width is
    /// `int(planes * e)`, with the given shift.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `depth` or `expansion`.
    public static func shiftResNet(depth: Int, expansion: Double, shift: ShiftMode = .grouped, classes: Int = 10) throws -> Architecture {
        let n = try blocks(depth: depth)
        return try Architecture(name: "shiftresnet\(depth)-e\(formatted(expansion))-\(shift.rawValue)", classes: classes,
                                stemChannels: 16, widths: [16, 32, 64], blocksPerStage: [n, n, n],
                                block: .convShiftConv(expansion: expansion, middle: .shift(shift)))
    }

    /// The depthwise twin of ShiftResNet-`depth`: each shift replaced by a 3x3 depthwise
    /// convolution and BN (shiftresnet-cifar's `DepthWiseWithSkipBlock`).
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `depth` or `expansion`.
    public static func depthwiseResNet(depth: Int, expansion: Double, classes: Int = 10) throws -> Architecture {
        let n = try blocks(depth: depth)
        return try Architecture(name: "depthwiseresnet\(depth)-e\(formatted(expansion))", classes: classes,
                                stemChannels: 16, widths: [16, 32, 64], blocksPerStage: [n, n, n],
                                block: .convShiftConv(expansion: expansion, middle: .depthwise))
    }

    /// The same network with another block middle (a shift kind or the depthwise twin); ResNets
    /// are returned unchanged.
    public func with(middle: BlockMiddle) -> Architecture {
        guard case .convShiftConv(let e, _) = block else { return self }
        var copy = self
        copy.block = .convShiftConv(expansion: e, middle: middle)
        return copy
    }

    /// The same network with each block's shift fused into the 1x1 convolution after it.
    public func fusingShiftAndPointwise() -> Architecture {
        var copy = self
        copy.fusesShiftAndPointwise = true
        copy.name += "-fused"
        return copy
    }

    /// The same network with CSG applied to every convolution but the stem.
    public func withCSG(_ options: CSGOptions = .init()) -> Architecture {
        var copy = self
        copy.csg = options
        copy.name += "-csg"
        return copy
    }

    /// The most channels a layer may have: a width from an expansion or reduction beyond it is an
    /// error rather than a trap in `Int(_:)` or an allocation of terabytes.
    static let maximumChannels = 1 << 20

    /// A width as shiftresnet-cifar computes it (`int(x)`, truncation), or an error naming
    /// `argument` when it is not finite or exceeds ``maximumChannels``.
    static func channels(_ width: Double, argument: String) throws -> Int {
        guard width.isFinite, width <= Double(maximumChannels) else {
            throw ShiftOpsError(.invalidArgument, argument: argument,
                                "gives a layer of \(width) channels; at most \(maximumChannels) are supported")
        }
        return Int(width)
    }

    /// Builds the network with weights drawn from `seed` (each layer its own derived seed).
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `expansion` or `reduction` when a block's width
    ///   is not a finite number of channels up to 2^20, and the errors of the layers' initialisers.
    public func build<T: NetScalar>(seed: UInt64, as _: T.Type = T.self) throws -> Module<T> {
        var counter: UInt64 = 0
        func next() -> UInt64 { counter &+= 1; return seed &* 1_000_003 &+ counter }
        var layers: [(String, Module<T>)] = [
            ("conv1", try Conv2d<T>(inChannels: inputChannels, outChannels: stemChannels, kernelSize: 3, padding: 1, seed: next())),
            ("bn1", try BatchNorm2d<T>(channels: stemChannels)),
            ("relu", ReLU<T>()),
        ]
        var generators: [(name: String, module: SliceGenerator<T>)] = []
        // Every convolution but the stem goes through here: plain, or converted to CSG.
        func conv(_ inC: Int, _ outC: Int, _ k: Int, stride: Int, padding: Int) throws -> Module<T> {
            let plain = try Conv2d<T>(inChannels: inC, outChannels: outC, kernelSize: k, stride: stride, padding: padding, seed: next())
            guard let csg else { return plain }
            let name = "csg\(k)x\(k)"
            if !generators.contains(where: { $0.name == name }) {
                let shape = csg.shape(kernelSize: k)
                generators.append((name, try SliceGenerator<T>(codeSize: shape.code, sliceOut: shape.out, sliceIn: shape.in,
                                                               kernelSize: k, seed: next())))
            }
            return try CSGConv2d(plain, generator: generators.first { $0.name == name }!.module, seed: next())
        }
        var inPlanes = stemChannels
        for (s, (planes, count)) in zip(widths, blocksPerStage).enumerated() {
            var blocks: [(String, Module<T>)] = []
            for b in 0..<count {
                let stride = (s > 0 && b == 0) ? 2 : 1
                blocks.append(("block\(b)", try makeBlock(inPlanes: inPlanes, planes: planes, stride: stride, next: next, conv: conv) as Module<T>))
                inPlanes = planes
            }
            layers.append(("stage\(s + 1)", Sequential(blocks)))
        }
        layers.append(("pool", GlobalAveragePool<T>()))
        layers.append(("linear", try Linear<T>(inFeatures: inPlanes, outFeatures: classes, seed: next())))
        return generators.isEmpty ? Sequential(layers) : GeneratedNetwork(body: Sequential(layers), generators: generators)
    }

    private func makeBlock<T: NetScalar>(inPlanes: Int, planes: Int, stride: Int, next: () -> UInt64,
                                         conv: (Int, Int, Int, _ stride: Int, _ padding: Int) throws -> Module<T>) throws -> ResidualBlock<T> {
        var shortcut: Sequential<T>?
        if stride != 1 || inPlanes != planes {
            shortcut = Sequential([
                ("0", try conv(inPlanes, planes, 1, stride, 0)),
                ("1", try BatchNorm2d<T>(channels: planes)),
            ])
        }
        switch block {
        case .basic(let reduction):
            // shiftresnet-cifar: int((1 / float(reduction)) * planes).
            let mid = try Architecture.channels((1 / reduction) * Double(planes), argument: "reduction")
            guard mid >= 1 else {
                throw ShiftOpsError(.invalidArgument, argument: "reduction", "leaves a block of \(planes) planes with \(mid) inner channels")
            }
            return ResidualBlock(main: [
                ("conv1", try conv(inPlanes, mid, 3, stride, 1)),
                ("bn1", try BatchNorm2d<T>(channels: mid)),
                ("relu1", ReLU<T>()),
                ("conv2", try conv(mid, planes, 3, 1, 1)),
                ("bn2", try BatchNorm2d<T>(channels: planes)),
            ], shortcut: shortcut)
        case .convShiftConv(let expansion, let middle):
            // shiftresnet-cifar: int(out_planes * expansion).
            let mid = try Architecture.channels(Double(planes) * expansion, argument: "expansion")
            guard mid >= 1 else {
                throw ShiftOpsError(.invalidArgument, argument: "expansion", "leaves a block of \(planes) planes with \(mid) inner channels")
            }
            let head: [(String, Module<T>)] = [
                ("conv1", try conv(inPlanes, mid, 1, 1, 0)),
                ("bn1", try BatchNorm2d<T>(channels: mid)),
                ("relu1", ReLU<T>()),
            ]
            switch middle {
            case .shift(let mode) where fusesShiftAndPointwise:
                // Seeds drawn in the unfused order, so both networks start from the same values.
                let shift = try ShiftModule<T>(channels: mid, mode: mode, seed: next())
                guard let pointwise = try conv(mid, planes, 1, stride, 0) as? Conv2d<T> else {
                    throw ShiftOpsError(.invalidArgument, argument: "csg", "a fused shift and 1x1 convolution needs a plain convolution, not CSG")
                }
                // Under the empty name, its children keep the unfused paths (shift2, conv2).
                return ResidualBlock(main: head + [
                    ("", try ShiftPointwiseConv(shift: shift, conv: pointwise)),
                    ("bn2", try BatchNorm2d<T>(channels: planes)),
                ], shortcut: shortcut)
            case .shift(let mode):
                return ResidualBlock(main: head + [
                    ("shift2", try ShiftModule<T>(channels: mid, mode: mode, seed: next())),
                    ("conv2", try conv(mid, planes, 1, stride, 0)),
                    ("bn2", try BatchNorm2d<T>(channels: planes)),
                ], shortcut: shortcut)
            case .depthwise:
                // shiftresnet-cifar's DepthWiseWithSkipBlock names.
                return ResidualBlock(main: head + [
                    ("depth", try DepthwiseConv3x3<T>(channels: mid, seed: next())),
                    ("bn2", try BatchNorm2d<T>(channels: mid)),
                    ("conv3", try conv(mid, planes, 1, stride, 0)),
                    ("bn3", try BatchNorm2d<T>(channels: planes)),
                ], shortcut: shortcut)
            }
        }
    }
}

/// `3` for 3.0, `1.5` for 1.5.
func formatted(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

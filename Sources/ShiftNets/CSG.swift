import ShiftOps

/// Where CSG (associativeconv's Convolutional Slice Generator) applies and its sizes.
public struct CSGOptions: Equatable, Sendable {
    /// The code size `K` and slice `S0 x S1` (out x in) of 3x3 convolutions: 72, 12 x 12.
    public var code3x3 = 72, slice3x3 = (out: 12, in: 12)
    /// The code size and slice of 1x1 convolutions: 16, 16 x 16.
    public var code1x1 = 16, slice1x1 = (out: 16, in: 16)

    /// The defaults: K = 72 with 12x12x3x3 slices for 3x3 convolutions, K = 16 with 16x16x1x1 slices for 1x1.
    public init() {}

    /// The code size and slice for a `kernelSize` convolution.
    func shape(kernelSize: Int) -> (code: Int, out: Int, in: Int) {
        kernelSize == 1 ? (code1x1, slice1x1.out, slice1x1.in) : (code3x3, slice3x3.out, slice3x3.in)
    }

    /// Equal code sizes and slices (tuples are not `Equatable`, so this is spelled out).
    public static func == (a: CSGOptions, b: CSGOptions) -> Bool {
        (a.code3x3, a.slice3x3.out, a.slice3x3.in, a.code1x1, a.slice1x1.out, a.slice1x1.in)
            == (b.code3x3, b.slice3x3.out, b.slice3x3.in, b.code1x1, b.slice1x1.out, b.slice1x1.in)
    }
}

/// One network-wide generator: a bias-free linear map from a code of size `K` to one
/// `S0 x S1 x k x k` weight slice; its parameter `weight` is `[S0 * S1 * k * k, K]` (PyTorch's
/// `nn.Linear(K, S0 * S1 * k * k, bias=False)`). Its forward is never called: the convolutions
/// that use it read it.
public final class SliceGenerator<T: NetScalar>: Module<T> {
    /// `[S0 * S1 * k * k, K]`.
    public let weight: Parameter<T>
    /// The slice's output and input channels and the kernel side.
    public let sliceOut: Int, sliceIn: Int, kernelSize: Int

    /// A generator with weights uniform in `[-1/sqrt(K), 1/sqrt(K)]` drawn from `seed`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `codeSize` or `slice` when a size is below 1.
    public init(codeSize: Int, sliceOut: Int, sliceIn: Int, kernelSize: Int, seed: UInt64) throws {
        guard codeSize >= 1 else { throw ShiftOpsError(.invalidArgument, argument: "codeSize", "expected >= 1, got \(codeSize)") }
        guard sliceOut >= 1, sliceIn >= 1, kernelSize >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "slice", "expected sizes >= 1, got \(sliceOut)x\(sliceIn)x\(kernelSize)")
        }
        let bound = T(1 / Double(codeSize).squareRoot())
        weight = Parameter(try Tensor<T>.random(shape: [sliceOut * sliceIn * kernelSize * kernelSize, codeSize],
                                                in: -bound...bound, seed: seed))
        (self.sliceOut, self.sliceIn, self.kernelSize) = (sliceOut, sliceIn, kernelSize)
    }

    /// `weight`.
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { [("weight", weight)] }
    /// The code size `K`.
    public var codeSize: Int { weight.value.shape[1] }

    /// One row: the generator's parameters.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        rows.append(LayerCount(path: path, kind: "csg \(sliceOut)x\(sliceIn)x\(kernelSize)x\(kernelSize)",
                               outputShape: [weight.value.shape[0]], parameters: parameterCount, macs: 0, otherOps: 0))
        return shape
    }
}

/// A convolution whose weight a ``SliceGenerator`` builds from this layer's codes in every
/// forward: `weight[o, c, :, :] = slice(a, b)[o - a*S0, c - b*S1, :, :]`, `slice(a, b) = G code[a * B + b]`
/// with `B = ceil(C / S1)` blocks along the input. The slices tile the (out, in) grid as
/// `S0 x S1` blocks, cropped at the edges (associativeconv reshapes row-major instead, so that a
/// slice fills consecutive output rows). Gradients flow to the codes and to the shared generator.
public final class CSGConv2d<T: NetScalar>: Module<T> {
    /// The convolution that runs with the generated weight (not a parameter of the network).
    public let convolution: Conv2d<T>
    /// The shared generator.
    public let generator: SliceGenerator<T>
    /// `[ceil(O / S0) * ceil(C / S1), K]`, one code per slice.
    public let codes: Parameter<T>
    private let blocksOut: Int, blocksIn: Int

    /// Converts `convolution` (groups 1) to use `generator`, with codes uniform in `[-sqrt(3), sqrt(3)]`
    /// (unit variance) from `seed`.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `generator` when its kernel size differs from the
    ///   convolution's, or `convolution` for a grouped one.
    public init(_ convolution: Conv2d<T>, generator: SliceGenerator<T>, seed: UInt64) throws {
        guard generator.kernelSize == convolution.kernelSize else {
            throw ShiftOpsError(.shapeMismatch, argument: "generator",
                                "generates \(generator.kernelSize)x\(generator.kernelSize) slices for a \(convolution.kernelSize)x\(convolution.kernelSize) convolution")
        }
        guard convolution.groups == 1, convolution.bias == nil else {
            throw ShiftOpsError(.invalidArgument, argument: "convolution", "expected groups 1 and no bias")
        }
        self.convolution = convolution
        self.generator = generator
        blocksOut = (convolution.outChannels + generator.sliceOut - 1) / generator.sliceOut
        blocksIn = (convolution.inChannels + generator.sliceIn - 1) / generator.sliceIn
        let bound = T(Double(3).squareRoot())
        codes = Parameter(try Tensor<T>.random(shape: [blocksOut * blocksIn, generator.codeSize], in: -bound...bound, seed: seed))
    }

    /// `codes` (the generator is the network's).
    public override var ownParameters: [(name: String, parameter: Parameter<T>)] { [("codes", codes)] }

    /// The generated `[O, C, k, k]` weight.
    @_specialize(where T == Float)
    public func generatedWeight() throws -> Tensor<T> {
        let (so, si, k) = (generator.sliceOut, generator.sliceIn, generator.kernelSize)
        let sliceSize = so * si * k * k, slices = blocksOut * blocksIn, K = generator.codeSize
        var generated = [T](repeating: 0, count: slices * sliceSize)
        let gT = try Tensor<T>(shape: [K, sliceSize]) { t in
            generator.weight.value.withDenseBuffer { g in
                transpose(rows: sliceSize, cols: K, source: g.baseAddress!, lds: K, target: t.baseAddress!, ldt: sliceSize)
            }
        }
        codes.value.withDenseBuffer { c in
            gT.withDenseBuffer { g in
                generated.withUnsafeMutableBufferPointer { out in
                    gemm(m: slices, n: sliceSize, k: K, a: c.baseAddress!, lda: K, transposeA: false,
                         b: g.baseAddress!, ldb: sliceSize, c: out.baseAddress!, ldc: sliceSize, accumulate: false)
                }
            }
        }
        let (outC, inC) = (convolution.outChannels, convolution.inChannels)
        return try Tensor<T>(shape: [outC, inC, k, k]) { w in
            for o in 0..<outC {
                for c in 0..<inC {
                    let slice = (o / so) * blocksIn + c / si
                    let base = slice * sliceSize + ((o % so) * si + c % si) * k * k
                    for t in 0..<(k * k) { w[(o * inC + c) * k * k + t] = generated[base + t] }
                }
            }
        }
    }

    /// The convolution with the generated weight.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        convolution.weight.value = try generatedWeight()
        if isTraining { convolution.train() } else { convolution.eval() }
        return try convolution.forward(input)
    }

    /// `dL/dinput`; the weight gradient sent to the codes (`G^T dslice`) and the generator
    /// (`dslice code^T`, added).
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        convolution.weight.zeroGradient()
        let gx = try convolution.backward(gradOutput)
        let (so, si, k) = (generator.sliceOut, generator.sliceIn, generator.kernelSize)
        let sliceSize = so * si * k * k, slices = blocksOut * blocksIn, K = generator.codeSize
        let (outC, inC) = (convolution.outChannels, convolution.inChannels)
        var dSlices = [T](repeating: 0, count: slices * sliceSize)
        let dw = convolution.weight.gradient.elements
        for o in 0..<outC {
            for c in 0..<inC {
                let base = ((o / so) * blocksIn + c / si) * sliceSize + ((o % so) * si + c % si) * k * k
                for t in 0..<(k * k) { dSlices[base + t] = dw[(o * inC + c) * k * k + t] }
            }
        }
        var dCodes = [T](repeating: 0, count: slices * K), dG = [T](repeating: 0, count: sliceSize * K)
        dSlices.withUnsafeBufferPointer { ds in
            generator.weight.value.withDenseBuffer { g in
                dCodes.withUnsafeMutableBufferPointer { out in
                    gemm(m: slices, n: K, k: sliceSize, a: ds.baseAddress!, lda: sliceSize, transposeA: false,
                         b: g.baseAddress!, ldb: K, c: out.baseAddress!, ldc: K, accumulate: false)
                }
            }
            codes.value.withDenseBuffer { c in
                dG.withUnsafeMutableBufferPointer { out in
                    gemm(m: sliceSize, n: K, k: slices, a: ds.baseAddress!, lda: sliceSize, transposeA: true,
                         b: c.baseAddress!, ldb: K, c: out.baseAddress!, ldc: K, accumulate: false)
                }
            }
        }
        codes.accumulate(dCodes)
        generator.weight.accumulate(dG)
        return gx
    }

    /// The convolution's row with the codes as its parameters; the weight generation's
    /// multiply-accumulates (once per forward, not per image) listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        var inner: [LayerCount] = []
        let out = try convolution.count(inputShape: shape, path: path, rows: &inner)
        var row = inner[0]
        row.kind = "csg " + row.kind
        row.parameters = codes.value.count
        row.otherOps = codes.value.count * generator.weight.value.shape[0]
        rows.append(row)
        return out
    }
}

/// A network whose convolutions share CSG generators: the body's layers at the root, then the
/// generators (`csg1x1.weight`, `csg3x3.weight`).
public final class GeneratedNetwork<T: NetScalar>: Module<T> {
    /// The network.
    public let body: Module<T>
    /// The generators by name.
    public let generators: [(name: String, module: SliceGenerator<T>)]

    init(body: Module<T>, generators: [(name: String, module: SliceGenerator<T>)]) {
        (self.body, self.generators) = (body, generators)
    }

    /// The body's children, then the generators.
    public override var children: [(name: String, module: Module<T>)] {
        body.children + generators.map { (name: $0.name, module: $0.module as Module<T>) }
    }

    /// The body's forward.
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        if isTraining { body.train() } else { body.eval() }
        return try body.forward(input)
    }

    /// The body's backward (the generators' gradients arrive through the convolutions).
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> { try body.backward(gradOutput) }
}

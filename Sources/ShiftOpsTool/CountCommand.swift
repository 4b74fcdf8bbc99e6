import Foundation
import ShiftOps
import ShiftNets

/// `shiftops count`: the per-layer parameters and MACs of a network for one 32x32x3 image.
enum CountCommand {
    static let help = """
        usage: shiftops count --model NAME [--expansion E] [--shift grouped|active|sparse]
                              [--reduction R] [--reduction-mode net|block] [--csg] [--json]
          NAME: resnet20|56|110, shiftresnet20|56|110, depthwiseresnet20|56|110 (the shift network's
          twin: each shift replaced by a 3x3 depthwise convolution + BN).
          Parameters: every learned tensor (BN scale and bias included; running statistics and grouped
          shift tables not; active/sparse shifts 2 per channel). MACs: multiply-accumulates of the
          convolutions and the linear layer for one image; shift interpolation, BN, ReLU, pooling and
          residual adds are listed apart ("other").
          --csg: every convolution but the stem takes its weight from a shared CSG generator (K = 72 and
          12x12x3x3 slices for 3x3, K = 16 and 16x16x1x1 for 1x1); its rows count the codes, the generator
          rows their weights, and "other" the weight generation (once per forward, not per image).
          Counting builds the network: a layer wider than 65,536 channels, or a network of more than
          134,217,728 weights (512 MiB as float32), is refused before anything is built.
        """

    /// The widest layer `count` builds, in channels.
    static let maximumWidth = 65_536.0
    /// The most weights `count` builds (2^27: 512 MiB as `Float`).
    static let maximumWeights = 134_217_728.0

    static func main(_ arguments: [String], output: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let options = try Options(arguments, valued: ["model", "expansion", "shift", "reduction", "reduction-mode"],
                                  flags: ["json", "csg"])
        var architecture = try architecture(options)
        try checkSize(architecture)
        if options.has("csg") { architecture = architecture.withCSG() }
        let count = try NetworkCount(architecture)
        if options.has("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var object = try JSONSerialization.jsonObject(with: encoder.encode(count)) as! [String: Any]
            object["totalParameters"] = count.parameters
            object["totalMACs"] = count.macs
            object["totalOtherOps"] = count.otherOps
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            output(String(decoding: data, as: UTF8.self))
            return
        }
        output(table(count))
    }

    /// The architecture the options name.
    static func architecture(_ options: Options) throws -> Architecture {
        let model = try options.required("model")
        let expansion = try number(options, "expansion")
        let reduction = try number(options, "reduction")
        let mode = try options.choice("reduction-mode", as: ReductionMode.self)
        let shift = try options.choice("shift", as: ShiftMode.self)
        let families = ["depthwiseresnet", "shiftresnet", "resnet"]
        guard let family = families.first(where: { model.hasPrefix($0) }), let depth = Int(model.dropFirst(family.count)),
              [20, 56, 110].contains(depth) else {
            throw UsageError("--model expects resnet, shiftresnet or depthwiseresnet followed by 20, 56 or 110, got '\(model)'")
        }
        // The widths the options imply, in Double before anything converts them to Int (which
        // traps beyond Int's range): shiftresnet-cifar's 16, 32 and 64 planes scaled.
        let planes = [16.0, 32.0, 64.0]
        if family == "resnet" {
            guard expansion == nil, shift == nil else { throw UsageError("--expansion and --shift apply to shift networks, not '\(model)'") }
            let r = reduction ?? 1
            let widths = (mode ?? .net) == .net ? planes.map { $0 / r.squareRoot() } : planes.map { $0 / r }
            try checkWidth(widths.max()!, option: "reduction", value: r)
            return try Architecture.resNet(depth: depth, reduction: reduction ?? 1, mode: mode ?? .net)
        }
        guard reduction == nil, mode == nil else {
            throw UsageError("--reduction applies to resnet models (shiftresnet-cifar: 'Only default resnet supports reductions')")
        }
        try checkWidth(planes.max()! * (expansion ?? 1), option: "expansion", value: expansion ?? 1)
        if family == "depthwiseresnet" {
            guard shift == nil else { throw UsageError("--shift does not apply to '\(model)'") }
            return try Architecture.depthwiseResNet(depth: depth, expansion: expansion ?? 1)
        }
        return try Architecture.shiftResNet(depth: depth, expansion: expansion ?? 1, shift: shift ?? .grouped)
    }

    private static func checkWidth(_ width: Double, option: String, value: Double) throws {
        guard width <= maximumWidth else {
            throw UsageError("--\(option) \(value) gives layers of \(width) channels; count builds the network "
                             + "and refuses layers wider than \(Int(maximumWidth))")
        }
    }

    /// Refuses a network whose weights would not fit comfortably in memory, from its widths
    /// alone (the convolutions' and the linear layer's weights: what dominates its size).
    static func checkSize(_ architecture: Architecture) throws {
        let weights = estimatedWeights(architecture)
        guard weights <= maximumWeights else {
            throw UsageError("\(architecture.name) has about \(Int(weights)) weights; count builds the network "
                             + "and refuses more than \(Int(maximumWeights))")
        }
    }

    /// The convolution and linear weights of `architecture`, in Double so no width overflows.
    static func estimatedWeights(_ architecture: Architecture) -> Double {
        var total = Double(architecture.inputChannels * architecture.stemChannels * 9)
        var inPlanes = Double(architecture.stemChannels)
        for (stage, (width, count)) in zip(architecture.widths, architecture.blocksPerStage).enumerated() {
            let planes = Double(width)
            for block in 0..<count {
                if inPlanes != planes || (stage > 0 && block == 0) { total += inPlanes * planes }
                switch architecture.block {
                case .basic(let reduction):
                    let mid = (planes / reduction).rounded(.down)
                    total += inPlanes * mid * 9 + mid * planes * 9
                case .convShiftConv(let expansion, let middle):
                    let mid = (planes * expansion).rounded(.down)
                    total += inPlanes * mid + mid * planes
                    if case .depthwise = middle { total += mid * 9 }
                }
                inPlanes = planes
            }
        }
        return total + inPlanes * Double(architecture.classes)
    }

    private static func number(_ options: Options, _ key: String) throws -> Double? {
        guard let text = options.string(key) else { return nil }
        guard let value = Double(text), value > 0, value.isFinite else {
            throw UsageError("--\(key) expects a number > 0, got '\(text)'")
        }
        return value
    }

    /// The per-layer table, totals and the convention.
    static func table(_ count: NetworkCount) -> String {
        func grouped(_ n: Int) -> String {
            let digits = String(n)
            var out = ""
            for (i, ch) in digits.enumerated() {
                if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
                out.append(ch)
            }
            return out
        }
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            s.count >= width ? s : (left ? String(repeating: " ", count: width - s.count) + s : s + String(repeating: " ", count: width - s.count))
        }
        let pathWidth = max(5, count.layers.map(\.path.count).max() ?? 0)
        var lines = ["\(count.model), input \(count.inputShape.map(String.init).joined(separator: "x"))",
                     pad("layer", pathWidth) + "  " + pad("kind", 16) + pad("output", 12) + pad("params", 12, left: true)
                        + pad("MACs", 14, left: true) + pad("other", 12, left: true)]
        for row in count.layers {
            lines.append(pad(row.path, pathWidth) + "  " + pad(row.kind, 16) + pad(row.outputShape.map(String.init).joined(separator: "x"), 12)
                         + pad(grouped(row.parameters), 12, left: true) + pad(grouped(row.macs), 14, left: true)
                         + pad(grouped(row.otherOps), 12, left: true))
        }
        lines.append(pad("total", pathWidth) + "  " + pad("", 28) + pad(grouped(count.parameters), 12, left: true)
                     + pad(grouped(count.macs), 14, left: true) + pad(grouped(count.otherOps), 12, left: true))
        lines.append("parameters: \(grouped(count.parameters)); MACs (convolutions + linear, one image): \(grouped(count.macs)); "
                     + "other (shift interpolation, BN, ReLU, pooling, adds; not MACs): \(grouped(count.otherOps))")
        return lines.joined(separator: "\n")
    }
}

import Foundation
import ShiftOps
import ShiftNets

/// `shiftops bench-network`: whole CIFAR networks (Float, [N, 3, 32, 32]) timed the way a user runs
/// them: eval forward at batch 1 and 32, and a training step at batch 32 (forward, cross-entropy,
/// backward, SGD with momentum and weight decay). The networks' cases are interleaved within each
/// repetition, so that the machine's load reaches them alike; a case's time is its minimum.
/// `--pytorch FILE` (from `Benchmarks/network_torch.py`) adds PyTorch's times for the same networks
/// and the network figures: N1 and N2 (PyTorch's fastest depthwise twin over our grouped
/// ShiftResNet) and N4 (our ShiftResNet's step over our twin's).
enum NetworkBench {
    static let help = """
        usage: shiftops bench-network [--repeats R] [--threads T] [--pytorch FILE] [--networks A,B]
          Times ShiftResNet-20 e=3 (grouped, grouped fused, active fused), its depthwise twin and
          ResNet-20: eval forward at batch 1 and 32, a training step at batch 32. Prints the matrix
          product's backend (SHIFTOPS_BLAS chooses it). --pytorch FILE: the JSON of
          Benchmarks/network_torch.py, printed beside ours with the ratios N1, N2 and N4.
          --networks A,B: time only the networks named (for a profile of one network); the others
          print as not measured.
        """

    /// The networks timed, by the names the PyTorch script uses for the unfused ones.
    static func networks() throws -> [Architecture] {
        let grouped = try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .grouped)
        return [grouped, grouped.fusingShiftAndPointwise(),
                try Architecture.shiftResNet(depth: 20, expansion: 3, shift: .active).fusingShiftAndPointwise(),
                try Architecture.depthwiseResNet(depth: 20, expansion: 3), try Architecture.resNet(depth: 20)]
    }

    /// The three cases of each network, as they name the rows.
    enum Case: String, CaseIterable {
        case evalOne = "eval forward, batch 1"
        case evalBatch = "eval forward, batch 32"
        case training = "training step, batch 32"

        var batch: Int { self == .evalOne ? 1 : 32 }
        /// The words of `Benchmarks/network_torch.py`'s case names.
        var pytorchName: String { self == .training ? "training step" : "eval forward" }
    }

    static func main(_ arguments: [String], output: (String) -> Void, progress: (String) -> Void) throws {
        if arguments.contains("--help") || arguments.contains("-h") {
            output(help)
            return
        }
        let options = try Options(arguments, valued: ["repeats", "threads", "pytorch", "networks"])
        let repeats = try options.integer("repeats") ?? 10
        let threads = try options.integer("threads") ?? Parallelism.threadLimit
        guard repeats >= 1, threads >= 1 else { throw UsageError("--repeats and --threads expect >= 1") }
        // A bad file fails before minutes of timing.
        let pytorch = try options.string("pytorch").map { try PyTorchFigures(contentsOf: $0) }
        let architectures = try networks()
        let chosen = options.string("networks").map { Set($0.split(separator: ",").map(String.init)) }
        if let chosen, let unknown = chosen.first(where: { name in !architectures.contains { $0.name == name } }) {
            throw UsageError("--networks: unknown network '\(unknown)' (expected some of \(architectures.map(\.name).joined(separator: ", ")))")
        }
        var names: [String] = [], bodies: [() throws -> Void] = [], parameters: [String: Int] = [:]
        for architecture in architectures where chosen?.contains(architecture.name) ?? true {
            let model: Module<Float> = try architecture.build(seed: 1)
            parameters[architecture.name] = model.parameterCount
            var optimizer = SGD<Float>(learningRate: 1e-3, momentum: 0.9, weightDecay: 5e-4)
            let inputs = try [1, 32].map { try Tensor<Float>.random(shape: [$0, 3, 32, 32], seed: UInt64($0)) }
            let labels = (0..<32).map { $0 % architecture.classes }
            for item in Case.allCases {
                names.append("\(architecture.name): \(item.rawValue)")
                let x = inputs[item.batch == 1 ? 0 : 1]
                switch item {
                case .evalOne, .evalBatch:
                    bodies.append { model.eval(); _ = try model.forward(x) }
                case .training:
                    bodies.append {
                        model.train()
                        model.zeroGradients()
                        let result = try softmaxCrossEntropy(logits: model.forward(x), labels: labels)
                        _ = try model.backward(result.gradient)
                        try optimizer.update(model)
                    }
                }
            }
        }
        output("networks on [N, 3, 32, 32], Float, \(threads) threads, minimum of \(repeats) interleaved repetitions after one warm-up")
        output("matrix products: \(GemmBackend.current) (SHIFTOPS_BLAS chooses)")
        let rows = try withoutActuallyEscaping(progress) { progress in
            let timer = BenchTimer(shape: [32, 3, 32, 32], repetitions: repeats, progress: progress)
            return try Parallelism.$threadLimit.withValue(threads) { try timer.interleaved(names, bytes: 0, bodies) }
        }
        func ours(_ network: String, _ item: Case) -> Double? { rows.first { $0.name == "\(network): \(item.rawValue)" }?.minimum }

        output("| network | parameters | " + Case.allCases.map { "\($0.rawValue) ms" }.joined(separator: " | ") + " |")
        output("| --- | ---: |" + String(repeating: " ---: |", count: Case.allCases.count))
        for architecture in architectures {
            let times = Case.allCases.map { ours(architecture.name, $0).map { String(format: "%.2f", $0 * 1e3) } ?? "-" }
            output("| ours \(architecture.name) | \(parameters[architecture.name].map(String.init) ?? "-") | " + times.joined(separator: " | ") + " |")
        }
        if let pytorch {
            output("")
            output("side by side with PyTorch \(pytorch.version), \(pytorch.path) (minimum ms; PyTorch / ours for the same network, ours unfused):")
            output("| PyTorch network | " + Case.allCases.map { "\($0.rawValue) ms (ratio)" }.joined(separator: " | ") + " |")
            output("| --- |" + String(repeating: " ---: |", count: Case.allCases.count))
            for network in pytorchNetworks(pytorch) {
                let cells = Case.allCases.map { item -> String in
                    guard let theirs = pytorchTime(pytorch, network, item) else { return "-" }
                    let base = network.split(separator: " ").first.map(String.init) ?? network
                    let ratio = ours(base, item).map { String(format: " (%.2f)", theirs / $0) } ?? ""
                    return String(format: "%.2f", theirs * 1e3) + ratio
                }
                output("| \(network) | " + cells.joined(separator: " | ") + " |")
            }
        }
        output("")
        output("figures:")
        for figure in figures(ours: ours, architectures: architectures, pytorch: pytorch) {
            output(Report.figureLine(figure))
        }
    }

    /// `"<network> <layout>"` for each network and layout in the file, in its order.
    static func pytorchNetworks(_ pytorch: PyTorchFigures) -> [String] {
        var seen: [String] = []
        for row in pytorch.rows {
            for item in Case.allCases where row.name.hasPrefix("pytorch ") && row.name.hasSuffix(" " + item.pytorchName) {
                let network = String(row.name.dropFirst("pytorch ".count).dropLast(item.pytorchName.count + 1))
                if !seen.contains(network) { seen.append(network) }
            }
        }
        return seen
    }

    /// PyTorch's minimum for `"<network> <layout>"` and `item`, in seconds.
    static func pytorchTime(_ pytorch: PyTorchFigures, _ network: String, _ item: Case) -> Double? {
        pytorch.rows.first { $0.name == "pytorch \(network) \(item.pytorchName)" && $0.shape == [item.batch, 3, 32, 32] }?.minimum
    }

    /// N1, N2 (batch 32 and batch 1) and N4. Ours is the faster of the grouped ShiftResNet fused and
    /// unfused; PyTorch's twin the faster of its layouts.
    static func figures(ours: (String, Case) -> Double?, architectures: [Architecture],
                        pytorch: PyTorchFigures?) -> [BenchCommand.Figure] {
        let shift = architectures[0].name, twin = architectures[3].name
        func best(_ item: Case) -> Double? {
            [ours(shift, item), ours(architectures[1].name, item)].compactMap { $0 }.min()
        }
        func theirs(_ item: Case) -> Double? {
            guard let pytorch else { return nil }
            return pytorchNetworks(pytorch).filter { $0.hasPrefix(twin + " ") }.compactMap { pytorchTime(pytorch, $0, item) }.min()
        }
        let note = pytorch == nil ? "not measured (needs --pytorch FILE from Benchmarks/network_torch.py)"
            : "not measured (\(pytorch!.path) has no \(twin) case)"
        func ratio(_ item: Case) -> Double? { theirs(item).flatMap { t in best(item).map { t / $0 } } }
        let shape = [32, 3, 32, 32]
        return [
            .init(shape: shape, id: "N1", label: "PyTorch twin training step / our grouped shift step", value: ratio(.training),
                  goal: 1.25, atMost: false, note: note),
            .init(shape: shape, id: "N2", label: "PyTorch twin eval forward / ours, batch 32", value: ratio(.evalBatch),
                  goal: 1.25, atMost: false, note: note),
            .init(shape: [1, 3, 32, 32], id: "N2", label: "PyTorch twin eval forward / ours, batch 1", value: ratio(.evalOne),
                  goal: 1.5, atMost: false, note: note),
            .init(shape: shape, id: "N4", label: "our grouped shift step / our twin's step",
                  value: best(.training).flatMap { s in ours(twin, .training).map { s / $0 } }, goal: 0.8, atMost: true),
        ]
    }
}

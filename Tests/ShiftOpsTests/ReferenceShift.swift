@testable import ShiftOps

/// The oracle: SPEC §2–5 written out literally, one output element and one corner at a time, with
/// nothing shared with the kernels (its own padding, its own index walk).
enum ReferenceShift {
    /// The input index tap `i` reads (SPEC §3), or nil for a zero.
    static func tap(_ i: Int, length n: Int, padding: ShiftPadding) -> Int? {
        switch padding {
        case .zeros:
            return (0..<n).contains(i) ? i : nil
        case .border:
            return Swift.min(Swift.max(i, 0), n - 1)
        case .periodic:
            return ((i % n) + n) % n
        case .reflect:
            if n == 1 { return 0 }
            var j = ((i % (2 * (n - 1))) + 2 * (n - 1)) % (2 * (n - 1))
            while !(0..<n).contains(j) { j = j < 0 ? -j : 2 * (n - 1) - j }
            return j
        case .symmetric:
            var j = ((i % (2 * n)) + 2 * n) % (2 * n)
            while !(0..<n).contains(j) { j = j < 0 ? -j - 1 : 2 * n - 1 - j }
            return j
        }
    }

    struct Setup {
        var k: Int
        var stride: [Int]
        var origin: [Int]
        var inputSize: [Int]
        var outputSize: [Int]

        init<T>(_ x: Tensor<T>, _ geometry: ShiftGeometry) {
            k = x.rank - 2
            stride = geometry.stride.count == 1 ? Array(repeating: geometry.stride[0], count: k) : geometry.stride
            origin = geometry.origin.count == 1 ? Array(repeating: geometry.origin[0], count: k) : geometry.origin
            inputSize = Array(x.shape.suffix(k))
            outputSize = geometry.outputSize ?? zip(inputSize, stride).map { ($0 + $1 - 1) / $1 }
        }

        /// Every multi-index of `sizes`, row-major.
        static func indices(_ sizes: [Int]) -> [[Int]] {
            sizes.reduce([[]]) { prefixes, n in prefixes.flatMap { p in (0..<n).map { p + [$0] } } }
        }
    }

    /// The corners of one output sample: per corner, the input spatial index (nil = zero) and its
    /// weight; plus `f` and `t` per axis.
    static func corners<T: ShiftFloatingPoint>(
        _ p: [Int], shift: [T], setup: Setup, padding: ShiftPadding
    ) -> [(index: [Int]?, weight: T, bits: [Int], t: [T])] {
        let k = setup.k
        var f = [Int](), t = [T]()
        for j in 0..<k {
            let u = T(p[j] * setup.stride[j] + setup.origin[j]) - shift[j]
            let fl = u.rounded(.down)
            f.append(Int(fl))
            t.append(u - fl)
        }
        return Setup.indices(Array(repeating: 2, count: k)).map { bits in
            var weight: T = 1
            var index: [Int]? = []
            for j in 0..<k {
                weight *= bits[j] == 0 ? 1 - t[j] : t[j]
                if let i = tap(f[j] + bits[j], length: setup.inputSize[j], padding: padding) {
                    index?.append(i)
                } else {
                    index = nil
                }
            }
            return (index, weight, bits, t)
        }
    }

    static func effectiveShift<T: ShiftFloatingPoint>(_ s: T, _ mode: ShiftMode) -> T {
        mode == .active ? s : s.rounded(.toNearestOrEven)
    }

    static func forward<T: ShiftFloatingPoint>(
        _ x: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
        padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
    ) -> Tensor<T> {
        let setup = Setup(x, geometry)
        var y = try! Tensor<T>(shape: Array(x.shape.prefix(2)) + setup.outputSize)
        for n in 0..<x.shape[0] {
            for c in 0..<x.shape[1] {
                let s = (0..<setup.k).map { effectiveShift(shifts[c, $0], mode) }
                for p in Setup.indices(setup.outputSize) {
                    var sum: T = 0
                    for corner in corners(p, shift: s, setup: setup, padding: padding) {
                        if let i = corner.index { sum += corner.weight * x[[n, c] + i] }
                    }
                    y[[n, c] + p] = sum
                }
            }
        }
        return y
    }

    static func backward<T: ShiftFloatingPoint>(
        gradOutput g: Tensor<T>, input x: Tensor<T>, shifts: Tensor<T>, mode: ShiftMode = .active,
        padding: ShiftPadding = .zeros, geometry: ShiftGeometry = .identity
    ) -> (input: Tensor<T>, shifts: Tensor<T>?) {
        let setup = Setup(x, geometry)
        var gx = try! Tensor<T>(shape: x.shape)
        var gs = try! Tensor<T>(shape: [x.shape[1], setup.k])
        for n in 0..<x.shape[0] {
            for c in 0..<x.shape[1] {
                let raw = (0..<setup.k).map { shifts[c, $0] }
                let s = raw.map { effectiveShift($0, mode) }
                for p in Setup.indices(setup.outputSize) {
                    let gp = g[[n, c] + p]
                    for corner in corners(p, shift: s, setup: setup, padding: padding) {
                        if let i = corner.index { gx[[n, c] + i] += corner.weight * gp }
                    }
                    // dy/ds_j = -sum over corners of (the other axes' weights) * (+-1) * X[f + b].
                    for corner in corners(p, shift: raw, setup: setup, padding: padding) {
                        guard let i = corner.index else { continue }
                        let value = x[[n, c] + i]
                        for j in 0..<setup.k {
                            var w: T = corner.bits[j] == 0 ? -1 : 1
                            for m in 0..<setup.k where m != j {
                                w *= corner.bits[m] == 0 ? 1 - corner.t[m] : corner.t[m]
                            }
                            gs[c, j] -= gp * w * value
                        }
                    }
                }
            }
        }
        return (gx, mode == .grouped ? nil : gs)
    }
}

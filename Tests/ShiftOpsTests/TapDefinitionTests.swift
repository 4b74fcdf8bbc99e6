import CShiftTaps
import Testing
@testable import ShiftOps

/// The C tap definition (`shift_taps.h`, which `AxisTaps` and the CUDA kernels both call) against
/// an independent Swift reference (the CPU's arithmetic before the switch), field by field and
/// bit for bit, and `AxisTaps` against it too, so both devices sample as the CPU always did
/// (SPEC §8).
@Suite struct TapDefinitionTests {
    static func samplings<T>(_: T.Type) -> [(AxisTaps<T>.Sampling, Int32)] { [
        (.interpolate, Int32(SHIFT_TAPS_INTERPOLATE)), (.interpolateBothTaps, Int32(SHIFT_TAPS_BOTH)), (.round, Int32(SHIFT_TAPS_ROUND)),
    ] }

    /// Shifts that stress each branch: fractions, lattice points, ties for rounding, and values far
    /// beyond any axis (the reductions), in both signs.
    static func shifts(_ generator: inout SeededGenerator) -> [Double] {
        var values: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -2.5, 3, -7, 0.25, 1e30, -1e30, 4.5e15, -4.5e15,
                                Double(1 << 52), -Double(1 << 52) - 3, 1e300, -123456789.75]
        for _ in 0..<24 { values.append(Double.random(in: -12...12, using: &generator)) }
        for _ in 0..<6 { values.append(Double.random(in: -1e12...1e12, using: &generator).rounded() + 0.5) }
        return values
    }

    static func geometries(_ generator: inout SeededGenerator) -> [(length: Int, count: Int, step: Int, origin: Int)] {
        var cases = [(0, 0, 1, 0), (0, 3, 1, 0), (1, 1, 1, 0), (1, 5, 2, -3), (2, 2, 1, 0), (2, 7, 3, 1), (5, 5, 1, 0),
                     (5, 0, 1, 2), (9, 3, 3, -1), (1 << 20, 1 << 19, 2, 5), (3, 2, 1, (1 << 52) - 1), (3, 2, 1, -(1 << 52))]
        for _ in 0..<30 {
            cases.append((Int.random(in: 1...13, using: &generator), Int.random(in: 0...15, using: &generator),
                          Int.random(in: 1...4, using: &generator), Int.random(in: -6...6, using: &generator)))
        }
        return cases
    }

    /// The fields of one C entry, whatever its element type.
    typealias CTaps<T> = (finite: Int32, base: Int64, first: Int64, last: Int64, weight: T, taps: Int32)

    /// Checks `AxisTaps<T>` and the C entry `cTaps` against the reference over every case, field by
    /// field (the weight by value and sign: its bits, as no weight is NaN); returns how many it compared.
    static func compareWithReference<T: ShiftFloatingPoint>(
        seed: UInt64, cTaps: (T, Int64, Int64, Int64, Int64, Int32, Int32) -> CTaps<T>
    ) -> Int {
        var generator = SeededGenerator(seed: seed)
        let shifts = shifts(&generator).map { T($0) }.filter(\.isFinite)
        var compared = 0
        for (length, count, step, origin) in geometries(&generator) {
            for padding in ShiftPadding.allCases {
                for (sampling, code) in samplings(T.self) {
                    for s in shifts {
                        let swift = ReferenceTaps<T>(shift: s, origin: origin, length: length, count: count, step: step,
                                                     padding: padding, sampling: sampling)
                        let cpu = AxisTaps<T>(shift: s, origin: origin, length: length, count: count, step: step,
                                              padding: padding, sampling: sampling)
                        #expect(cpu.base == swift.base && cpu.weight == swift.weight && cpu.taps == swift.taps
                                    && cpu.interior == swift.interior)
                        let c = cTaps(s, Int64(origin), Int64(length), Int64(count), Int64(step), padding.tapCode, code)
                        let same = c.finite == 1 && Int(c.base) == swift.base
                            && c.weight == swift.weight && c.weight.sign == swift.weight.sign
                            && Int(c.taps) == swift.taps && Int(c.first) == swift.interior.lowerBound
                            && Int(c.last) == swift.interior.upperBound
                        #expect(same, "\(T.self) s \(s) length \(length) count \(count) step \(step) origin \(origin) \(padding) \(sampling): C \(c), Swift \(swift.base) \(swift.weight) \(swift.taps) \(swift.interior)")
                        compared += 1
                    }
                }
            }
        }
        return compared
    }

    @Test func doubleTapsMatchTheReferenceBitwise() {
        let compared = Self.compareWithReference(seed: 91) { (s: Double, origin, length, count, step, padding, sampling) in
            let a = shift_axis_taps_d(s, origin, length, count, step, padding, sampling)
            return (a.finite, a.base, a.first, a.last, a.weight, a.taps)
        }
        #expect(compared > 10_000)
    }

    @Test func floatTapsMatchTheReferenceBitwise() {
        let compared = Self.compareWithReference(seed: 92) { (s: Float, origin, length, count, step, padding, sampling) in
            let a = shift_axis_taps_f(s, origin, length, count, step, padding, sampling)
            return (a.finite, a.base, a.first, a.last, a.weight, a.taps)
        }
        #expect(compared > 10_000)
    }

    @Test func paddingMapMatchesShiftPadding() {
        for padding in ShiftPadding.allCases {
            for n in 1...7 {
                for i in -40...40 {
                    #expect(Int(shift_tap_map(Int64(i), Int64(n), padding.tapCode)) == padding.map(i, length: n),
                            "\(padding) n \(n) i \(i)")
                }
                #expect(Int(shift_taps_period(Int64(n), padding.tapCode)) == padding.period(length: n) ?? 0)
            }
        }
    }

    /// A non-finite shift is marked, never turned into an index (Swift's Int(_:) would trap).
    @Test func nonFiniteShiftsAreMarked() {
        for s in [Double.nan, .infinity, -.infinity] {
            let c = shift_axis_taps_d(s, 0, 5, 5, 1, Int32(SHIFT_TAPS_ZEROS), Int32(SHIFT_TAPS_INTERPOLATE))
            #expect(c.finite == 0 && c.first == c.last)
            let f = shift_axis_taps_f(Float(s), 0, 5, 5, 1, Int32(SHIFT_TAPS_PERIODIC), Int32(SHIFT_TAPS_ROUND))
            #expect(f.finite == 0 && f.first == f.last)
        }
    }
}

/// The tap arithmetic as the CPU computed it in Swift before it moved to `shift_taps.h` (issue
/// 9): an independent reference the C definition is checked against, field by field.
struct ReferenceTaps<Weight: ShiftFloatingPoint> {
    var base: Int
    var weight: Weight
    var taps: Int
    var interior: Range<Int>

    init(shift: Weight, origin: Int, length: Int, count: Int, step: Int, padding: ShiftPadding,
         sampling: AxisTaps<Weight>.Sampling) {
        let v = sampling == .round ? (-shift).rounded(.toNearestOrEven) : -shift
        let q = v.rounded(.down)
        weight = v - q
        taps = sampling == .interpolateBothTaps || weight != 0 ? 2 : 1
        if length == 0 {
            base = 0
        } else if let period = padding.period(length: length) {
            let reduced = Int(Double(q).truncatingRemainder(dividingBy: Double(period)))
            let centre = (length - 1 - max(count - 1, 0) * step) / 2
            let half = period / 2
            let near = centre + floorMod(origin + reduced - centre + half, period) - half
            var best = near, longest = Self.interior(base: near, taps: taps, length: length, count: count, step: step).count
            for side in [-1, 1] {
                let candidate = near + side * period
                let run = Self.interior(base: candidate, taps: taps, length: length, count: count, step: step).count
                if run > longest { (best, longest) = (candidate, run) }
            }
            base = best
        } else {
            let limit = Double(count * step + length + 2)
            base = Int(min(max(Double(origin) + Double(q), -limit), limit))
        }
        interior = Self.interior(base: base, taps: taps, length: length, count: count, step: step)
    }

    static func interior(base: Int, taps: Int, length: Int, count: Int, step: Int) -> Range<Int> {
        let first = min(count, max(0, -floorDiv(base, step)))
        let last = min(count, floorDiv(length - taps - base, step) + 1)
        return first..<max(first, last)
    }
}

/// The padding rules written out independently of the C tap definition, as the tests' reference:
/// the input index tap `i` reads on an axis of length `n >= 1` (-1 for a zero), and the rule's period.
extension ShiftPadding {
    func map(_ i: Int, length n: Int) -> Int {
        switch self {
        case .zeros: return i >= 0 && i < n ? i : -1
        case .border: return i < 0 ? 0 : (i >= n ? n - 1 : i)
        case .periodic: return floorMod(i, n)
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * (n - 1), r = floorMod(i, period)
            return r < n ? r : period - r
        case .symmetric:
            let period = 2 * n, r = floorMod(i, period)
            return r < n ? r : period - 1 - r
        }
    }

    /// The period of the mapping on an axis of length `n`, or nil when it has none (zeros, border).
    func period(length n: Int) -> Int? {
        switch self {
        case .zeros, .border: return nil
        case .periodic: return n
        case .reflect: return n == 1 ? 1 : 2 * (n - 1)
        case .symmetric: return 2 * n
        }
    }
}

/// The remainder of `a / b` with the sign of `b` (`b > 0`).
func floorMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r < 0 ? r + b : r
}

/// `floor(a / b)` for `b > 0`.
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && a < 0) ? q - 1 : q
}

import CShiftTaps
import Testing
@testable import ShiftOps

/// The C tap definition (`shift_taps.h`, which the CUDA kernels compile) against the CPU's
/// `AxisTaps`, field by field and bit for bit, so that the CPU can switch to it with unchanged
/// outputs and both devices sample identically (SPEC §8).
@Suite struct TapDefinitionTests {
    static var samplings: [(AxisTaps<Double>.Sampling, Int32)] { [
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

    @Test func doubleTapsMatchAxisTapsBitwise() {
        var generator = SeededGenerator(seed: 91)
        let shifts = Self.shifts(&generator)
        var compared = 0
        for (length, count, step, origin) in Self.geometries(&generator) {
            for padding in ShiftPadding.allCases {
                for (sampling, code) in Self.samplings {
                    for s in shifts {
                        let swift = AxisTaps<Double>(shift: s, origin: origin, length: length, count: count, step: step,
                                                     padding: padding, sampling: sampling)
                        let c = shift_axis_taps_d(s, Int64(origin), Int64(length), Int64(count), Int64(step),
                                                  Int32(padding.tapCode), code)
                        let same = c.finite == 1 && Int(c.base) == swift.base && c.weight.bitPattern == swift.weight.bitPattern
                            && Int(c.taps) == swift.taps && Int(c.first) == swift.interior.lowerBound
                            && Int(c.last) == swift.interior.upperBound
                        #expect(same, "s \(s) length \(length) count \(count) step \(step) origin \(origin) \(padding) \(sampling): C \(c), Swift \(swift.base) \(swift.weight) \(swift.taps) \(swift.interior)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 10_000)
    }

    @Test func floatTapsMatchAxisTapsBitwise() {
        var generator = SeededGenerator(seed: 92)
        let shifts = Self.shifts(&generator).map(Float.init).filter(\.isFinite)
        for (length, count, step, origin) in Self.geometries(&generator) {
            for padding in ShiftPadding.allCases {
                for (sampling, code) in Self.samplings {
                    let floatSampling: AxisTaps<Float>.Sampling = switch sampling {
                    case .interpolate: .interpolate
                    case .interpolateBothTaps: .interpolateBothTaps
                    case .round: .round
                    }
                    for s in shifts {
                        let swift = AxisTaps<Float>(shift: s, origin: origin, length: length, count: count, step: step,
                                                    padding: padding, sampling: floatSampling)
                        let c = shift_axis_taps_f(s, Int64(origin), Int64(length), Int64(count), Int64(step),
                                                  Int32(padding.tapCode), code)
                        let same = c.finite == 1 && Int(c.base) == swift.base && c.weight.bitPattern == swift.weight.bitPattern
                            && Int(c.taps) == swift.taps && Int(c.first) == swift.interior.lowerBound
                            && Int(c.last) == swift.interior.upperBound
                        #expect(same, "s \(s) length \(length) count \(count) step \(step) origin \(origin) \(padding) \(sampling)")
                    }
                }
            }
        }
    }

    @Test func paddingMapMatchesShiftPadding() {
        for padding in ShiftPadding.allCases {
            for n in 1...7 {
                for i in -40...40 {
                    #expect(Int(shift_tap_map(Int64(i), Int64(n), Int32(padding.tapCode))) == padding.map(i, length: n),
                            "\(padding) n \(n) i \(i)")
                }
                #expect(Int(shift_taps_period(Int64(n), Int32(padding.tapCode))) == padding.period(length: n) ?? 0)
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

extension ShiftPadding {
    /// The C header's number for this padding.
    var tapCode: Int {
        switch self {
        case .zeros: Int(SHIFT_TAPS_ZEROS)
        case .border: Int(SHIFT_TAPS_BORDER)
        case .periodic: Int(SHIFT_TAPS_PERIODIC)
        case .reflect: Int(SHIFT_TAPS_REFLECT)
        case .symmetric: Int(SHIFT_TAPS_SYMMETRIC)
        }
    }
}

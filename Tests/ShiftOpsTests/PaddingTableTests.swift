import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// SPEC §3's table, verbatim: x = [1, 2, 3, 4, 5] under integer shifts 3, -3 and 7.
@Suite struct PaddingTableTests {
    static let table: [(ShiftPadding, [[Double]])] = [
        (.zeros, [[0, 0, 0, 1, 2], [4, 5, 0, 0, 0], [0, 0, 0, 0, 0]]),
        (.border, [[1, 1, 1, 1, 2], [4, 5, 5, 5, 5], [1, 1, 1, 1, 1]]),
        (.periodic, [[3, 4, 5, 1, 2], [4, 5, 1, 2, 3], [4, 5, 1, 2, 3]]),
        (.reflect, [[4, 3, 2, 1, 2], [4, 5, 4, 3, 2], [2, 3, 4, 5, 4]]),
        (.symmetric, [[3, 2, 1, 1, 2], [4, 5, 5, 4, 3], [4, 5, 5, 4, 3]]),
    ]

    @Test(arguments: ShiftMode.allCases)
    func specTable(mode: ShiftMode) throws {
        let x = try Tensor<Double>(shape: [1, 1, 5], elements: [1, 2, 3, 4, 5])
        for (padding, rows) in Self.table {
            for (shift, expected) in zip([3.0, -3, 7], rows) {
                let s = try Tensor<Double>(shape: [1, 1], elements: [shift])
                let y = try shift1d(x, shifts: s, mode: mode, padding: padding)
                #expect(y.elements == expected, "\(padding) shift \(shift)")
                #expect(ReferenceShift.forward(x, shifts: s, padding: padding).elements == expected)
            }
        }
    }

    @Test func periodicIntegerShiftIsRoll() throws {
        let x = try Tensor<Float>.random(shape: [2, 3, 6, 7], seed: 1)
        let s = try Tensor<Float>(shape: [3, 2], elements: [1, -2, 4, 9, -13, 0])
        let y = try shift2d(x, shifts: s, padding: .periodic)
        for n in 0..<2 {
            for c in 0..<3 {
                for i in 0..<6 {
                    for j in 0..<7 {
                        let si = ((i - Int(s[c, 0])) % 6 + 6) % 6
                        let sj = ((j - Int(s[c, 1])) % 7 + 7) % 7
                        #expect(y[n, c, i, j] == x[n, c, si, sj])
                    }
                }
            }
        }
    }

    @Test(arguments: ShiftPadding.allCases)
    func hugeShiftsReadLikeTheirReducedForm(padding: ShiftPadding) throws {
        let x = try Tensor<Double>(shape: [1, 1, 5], elements: [1, 2, 3, 4, 5])
        // The periodic modes read a huge shift like its remainder modulo the period (fmod is exact);
        // zeros reads nothing; border reads one edge.
        let period = [ShiftPadding.periodic: 5.0, .reflect: 8, .symmetric: 10][padding]
        for shift in [1e30, -1e30, 3.0e15 + 0.5, 1_000_000.5, -Double(Int.max)] {
            let s = try Tensor<Double>(shape: [1, 1], elements: [shift])
            let y = try shift1d(x, shifts: s, padding: padding)
            let expected: [Double]
            switch padding {
            case .zeros: expected = [0, 0, 0, 0, 0]
            case .border: expected = Array(repeating: shift > 0 ? 1 : 5, count: 5)
            default:
                let reduced = try Tensor<Double>(shape: [1, 1], elements: [shift.truncatingRemainder(dividingBy: period!)])
                expected = ReferenceShift.forward(x, shifts: reduced, padding: padding).elements
            }
            #expect(y.elements == expected, "shift \(shift)")
        }
    }

    @Test(arguments: ShiftPadding.allCases)
    func sizeOneAxes(padding: ShiftPadding) throws {
        let x = try Tensor<Double>(shape: [1, 2, 1, 1], elements: [3, -4])
        let s = try Tensor<Double>(shape: [2, 2], elements: [0.25, -1.5, 2, 7.75])
        let y = try shift2d(x, shifts: s, padding: padding)
        expectClose(y, ReferenceShift.forward(x, shifts: s, padding: padding), tolerance: 1e-15)
        if padding != .zeros { #expect(y.elements == [3, -4]) }
    }
}

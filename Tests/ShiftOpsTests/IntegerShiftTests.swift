import Testing
@testable import ShiftOps

/// The integer-element forward (quantized inference): exact data movement with a fill value.
@Suite struct IntegerShiftTests {
    @Test(arguments: ShiftPadding.allCases)
    func matchesTheFloatPathAndFillsWithTheZeroPoint(padding: ShiftPadding) throws {
        var generator = SeededGenerator(seed: 3)
        let values = (0..<2 * 3 * 5 * 6).map { _ in Int8.random(in: -100...100, using: &generator) }
        let q = try Tensor<Int8>(shape: [2, 3, 5, 6], elements: values)
        let shifts = try Tensor<Float>(shape: [3, 2], elements: [1.5, -2, 0, 7, -0.4, 2.6])
        let zeroPoint: Int8 = 5
        for mode in [ShiftMode.sparse, .grouped] {
            let s = mode == .grouped ? try Tensor<Float>(shape: [3, 2], elements: shifts.elements.map { $0.rounded() }) : shifts
            let y = try shift2d(q, shifts: s, mode: mode, padding: padding, fill: zeroPoint)
            // Dequantize (x - zeroPoint), shift in Float with zero padding, quantize back.
            let centred = try Tensor<Float>(shape: q.shape, elements: values.map { Float($0) - Float(zeroPoint) })
            let expected = try shift2d(centred, shifts: s, mode: mode, padding: padding)
            #expect(y.elements.map { Float($0) - Float(zeroPoint) } == expected.elements, "\(mode) \(padding)")
        }
    }

    @Test func channelsLastAndStridedIntegers() throws {
        let q = try Tensor<UInt8>(shape: [1, 4, 3, 7], elements: (0..<84).map { UInt8($0) })
        let s = try Tensor<Double>(shape: [4, 2], elements: [1, 1, -1, 0, 0, 3, 2, -2])
        let expected = try shift2d(q, shifts: s, padding: .periodic, geometry: ShiftGeometry(stride: 2))
        let last = try shift2d(try q.channelsLast(), shifts: s, padding: .periodic, geometry: ShiftGeometry(stride: 2))
        #expect(last.elements == expected.elements && last.dimensionOrder == [0, 2, 3, 1])
        let wide = try Tensor<Int32>(shape: [1, 1, 9], elements: (1...9).map { Int32($0) })
        let y = try shift1d(wide, shifts: Tensor<Float>(shape: [1, 1], elements: [2]), mode: .grouped, fill: -1)
        #expect(y.elements == [-1, -1, 1, 2, 3, 4, 5, 6, 7])
    }

    /// A user's element type of a size the channels-last tiles cannot transpose (`Int128`, 16
    /// bytes) takes the row path and moves the same elements as NCHW.
    @Test func channelsLastElementsOfAnySize() throws {
        let x = try Tensor<Int128>(shape: [2, 5, 6, 7], elements: (0..<420).map { Int128($0) << 70 | Int128($0) })
        let s = try Tensor<Float>(shape: [5, 2], elements: [1, -2, 0, 3, -1, 1, 2, 2, -3, 0])
        let fill = Int128(-9)
        let expected = try shift2d(x, shifts: s, mode: .grouped, padding: .reflect, fill: fill)
        let last = try shift2d(try x.channelsLast(), shifts: s, mode: .grouped, padding: .reflect, fill: fill)
        #expect(MemoryLayout<Int128>.stride == 16)
        #expect(last.elements == expected.elements)
    }
}

/// Sixteen bytes per element: a size no transpose of the channels-last tiles handles.
extension Int128: TensorElement {
    public static var numpyTypeCode: String { "i16" }
}

import Testing
@testable import ShiftOps

/// `normalize` and `clip` take each channel's norm without overflow or underflow: the squares of
/// `1e30` (Float) overflow to infinity and those of `1e-30` underflow to zero.
@Suite struct GradientNormTests {
    func scaled<T: ShiftFloatingPoint>(_ values: [T], _ scaling: ShiftGradientOptions<T>.Scaling) throws -> [T] {
        let gradient = try Tensor<T>(shape: [1, values.count], elements: values)
        let shifts = try Tensor<T>(shape: [1, values.count])
        return try ShiftGradientOptions(scaling: scaling).apply(to: gradient, shifts: shifts).elements
    }

    @Test func extremeFloatGradientsNormalizeAndClip() throws {
        let half = Float(0.5).squareRoot()
        for value: Float in [1e30, -1e30, 3e38, 1e-30, -1e-35] {
            let g = try scaled([value, value], .normalize)
            #expect(g.allSatisfy { abs(abs($0) - half) < 1e-6 }, "normalize \(value): \(g)")
        }
        for value: Float in [1e30, -1e30, 3e38] {
            let g = try scaled([value, value], .clip(maximumNorm: 1))
            #expect(g.allSatisfy { abs(abs($0) - half) < 1e-6 }, "clip \(value): \(g)")
        }
        let g = try scaled([3e37, 4e37] as [Float], .normalize)
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6, "\(g)")
        #expect(try scaled([1e300, -1e300] as [Double], .normalize).allSatisfy { abs(abs($0) - 0.5.squareRoot()) < 1e-15 })
        // Unchanged meanings: zero stays zero, a short vector is not clipped, NaN stays NaN.
        #expect(try scaled([0, 0] as [Float], .normalize) == [0, 0])
        #expect(try scaled([1e-30, 0] as [Float], .clip(maximumNorm: 1)) == [1e-30, 0])
        #expect(try scaled([.nan, 1] as [Float], .normalize).first!.isNaN)
    }
}

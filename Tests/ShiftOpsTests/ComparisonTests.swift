import Testing
import ShiftOps

/// The comparison every kernel test and `shiftops check` relies on: it must not let a wrong
/// value through, least of all an infinity or a NaN from memory a kernel forgot to write.
@Suite struct ComparisonTests {
    func difference(_ a: [Double], _ b: [Double], floor: Double = 1) throws -> Double {
        try Tensor(shape: [a.count], elements: a).maximumRelativeDifference(
            to: Tensor(shape: [b.count], elements: b), absoluteFloor: floor)
    }

    @Test func infinitiesMatchOnlyThemselves() throws {
        #expect(try difference([1, .infinity], [1, .infinity]) == 0)
        #expect(try difference([-.infinity], [-.infinity]) == 0)
        #expect(try difference([1], [.infinity]) == .infinity)
        #expect(try difference([.infinity], [1]) == .infinity)
        #expect(try difference([.infinity], [-.infinity]) == .infinity)
        #expect(try difference([-.infinity, 0], [.greatestFiniteMagnitude, 0]) == .infinity)
        // An infinite difference after a finite one still wins.
        #expect(try difference([1, 2], [1.5, .infinity]) == .infinity)
    }

    @Test func nanMatchesOnlyNaN() throws {
        #expect(try difference([.nan, 1], [.nan, 1]) == 0)
        #expect(try difference([.nan], [1]) == .infinity)
        #expect(try difference([0], [.nan]) == .infinity)
        #expect(try difference([.nan], [.infinity]) == .infinity)
    }

    @Test func subnormalsAndTheAbsoluteFloor() throws {
        let tiny = Double.leastNonzeroMagnitude
        // Below the floor of 1 a subnormal difference is negligible...
        #expect(try difference([tiny], [0]) <= 1e-300)
        // ...and with no floor it is a whole relative unit.
        #expect(try difference([tiny], [0], floor: 0) == 1)
        #expect(try difference([tiny], [2 * tiny], floor: 0) == 0.5)
        #expect(abs(try difference([2, -4], [2.002, -4]) - 0.001 / 1.001) < 1e-15)
    }

    @Test func shapesMustMatch() throws {
        let a = try Tensor<Float>(shape: [2, 3]), b = try Tensor<Float>(shape: [3, 2]), c = try Tensor<Float>(shape: [6])
        #expect(a.maximumRelativeDifference(to: b) == .infinity)
        #expect(a.maximumRelativeDifference(to: c) == .infinity)
        #expect(!a.isApproximatelyEqual(to: b, tolerance: 1))
        #expect(a.isApproximatelyEqual(to: a, tolerance: 0))
    }

    @Test func floatInfinityIsNotApproximatelyOne() throws {
        let one = try Tensor<Float>(shape: [1], elements: [1]), inf = try Tensor<Float>(shape: [1], elements: [.infinity])
        #expect(!one.isApproximatelyEqual(to: inf, tolerance: 1e-5))
        #expect(!inf.isApproximatelyEqual(to: one, tolerance: .greatestFiniteMagnitude))
    }
}

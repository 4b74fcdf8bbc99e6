import Testing
import ShiftOps
import ShiftNets

/// Widths derived from an expansion or a reduction are checked before `Int(_:)`: an absurd value
/// is a thrown error naming the argument, never a trap or an allocation of terabytes.
@Suite struct ArchitectureWidthTests {
    func expectInvalid(_ argument: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
            guard let error = error as? ShiftOpsError else { return false }
            return error.code == .invalidArgument && error.argument == argument
        }
    }

    @Test func hugeExpansionsAreErrors() {
        for expansion in [1e300, 1e10, Double.greatestFiniteMagnitude] {
            expectInvalid("expansion") {
                _ = try Architecture.shiftResNet(depth: 20, expansion: expansion).build(seed: 1, as: Float.self)
            }
            expectInvalid("expansion") {
                _ = try Architecture.depthwiseResNet(depth: 20, expansion: expansion).build(seed: 1, as: Float.self)
            }
        }
    }

    @Test func tinyReductionsAreErrors() {
        for mode in [ReductionMode.net, .block] {
            expectInvalid("reduction") {
                _ = try Architecture.resNet(depth: 20, reduction: 1e-300, mode: mode).build(seed: 1, as: Float.self)
            }
        }
    }

    @Test func ordinaryWidthsStillBuild() throws {
        let model = try Architecture.shiftResNet(depth: 20, expansion: 3).build(seed: 1, as: Float.self)
        #expect(try model.parameters().values.reduce(0) { $0 + $1.count } == 95_642)
    }
}

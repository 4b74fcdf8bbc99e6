import Testing
import ShiftOps
#if CUDA
import ShiftCUDA

/// `CUDATensor` is a reference with the host tensor's names for shape and order; these run
/// without a GPU on tensors that own no device memory.
@Suite struct CUDATensorTests {
    @Test func copiesOfTheReferenceShareMemoryAndCopyDoesNot() throws {
        let a = try CUDATensor<Float>(shape: [0, 4])
        let b = a
        #expect(a.sharesStorage(with: b) && b === a)
        let c = try a.copy()
        #expect(!c.sharesStorage(with: a) && c.shape == a.shape && c.dimensionOrder == a.dimensionOrder)
        let other = try CUDATensor<Double>(shape: [0])
        #expect(!a.sharesStorage(with: other))
    }

    @Test func orderIsTheHostTensorsOrder() throws {
        let shape = [0, 2, 3, 5]
        let channelsLast = try CUDATensor<Float>(shape: shape, order: [0, 2, 3, 1])
        let host = try Tensor<Float>(shape: shape, order: [0, 2, 3, 1])
        #expect(channelsLast.dimensionOrder == host.dimensionOrder)
        #expect(channelsLast.strides == host.strides)
        #expect(try CUDATensor<Float>(shape: shape).dimensionOrder == [0, 1, 2, 3])
        expectError(.invalidArgument, "order") { _ = try CUDATensor<Float>(shape: [2, 3], order: [0, 0]) }
        expectError(.invalidArgument, "shape") { _ = try CUDATensor<Float>(shape: [2, -1]) }
    }
}
#endif

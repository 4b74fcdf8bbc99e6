import Testing
import ShiftOps
#if CUDA
import ShiftCUDA

/// The Swift samples of the ShiftCUDA catalog, word for word, checked against the CPU. They
/// compile with the `CUDA` trait only, as the samples do; without a GPU the test is skipped (the
/// suite prints why). `DocumentationSampleTests` (in ShiftOpsTests) fails when a page's sample is
/// not found here as it is written.
@Suite struct DocumentationCUDAExampleTests {
    /// The landing page's example.
    @Test(.enabled(if: gpuAvailable)) func landingPage() throws {
        let x = try CUDATensor(try Tensor<Float>.random(shape: [64, 128, 56, 56], seed: 1))  // upload
        let shifts = try CUDATensor(try Tensor<Float>.random(shape: [128, 2], in: -1.5...1.5, seed: 2))
        let y = try CUDATensor<Float>(shape: [64, 128, 56, 56])                            // preallocated (a reference)
        try shift2d(x, shifts: shifts, mode: .active, padding: .reflect, into: y)           // enqueued, no wait
        let grads = try shift2dBackward(gradOutput: y, input: x, shifts: shifts, padding: .reflect)
        let dx: CUDATensor<Float> = grads.input, ds: CUDATensor<Float>? = grads.shifts      // both on the GPU
        let back: Tensor<Float> = try y.host()                                              // download (waits)
        print(try CUDABackend.shared())  // which GPU and which libshiftcuda.so are in use

        let hostX = try Tensor<Float>.random(shape: [64, 128, 56, 56], seed: 1)
        let hostShifts = try Tensor<Float>.random(shape: [128, 2], in: -1.5...1.5, seed: 2)
        #expect(dx.shape == [64, 128, 56, 56] && ds?.shape == [128, 2])
        #expect(back.isApproximatelyEqual(to: try ShiftOps.shift2d(hostX, shifts: hostShifts, padding: .reflect),
                                          tolerance: 1e-5))
        let cpu = try ShiftOps.shift2dBackward(gradOutput: back, input: hostX, shifts: hostShifts, padding: .reflect)
        let gpu = try grads.host()
        #expect(gpu.input.isApproximatelyEqual(to: cpu.input, tolerance: 1e-5))
        #expect(gpu.shifts!.isApproximatelyEqual(to: cpu.shifts!, tolerance: 1e-4))
        #expect(try CUDABackend.shared().description.contains("libshiftcuda.so"))
    }
}
#endif

// grid_stride.cuh: what the grid-stride kernels of shift_kernels.cu and depthwise_kernels.cu
// share: their launch shape, the number of blocks a per-channel reduction takes, and the
// fixed-order block sum that turns each thread's accumulators into a block's partial sums.
#ifndef GRID_STRIDE_CUH
#define GRID_STRIDE_CUH

#include <stdint.h>

namespace shiftcuda {

constexpr int kThreads = 256;

// Blocks for `count` elements, at least one, and at most what a grid-stride loop needs to keep
// every multiprocessor of a large card busy.
inline int64_t blocks_for(int64_t count) {
    int64_t blocks = (count + kThreads - 1) / kThreads;
    return blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks);
}

// Blocks per channel for a reduction over `per_channel` elements: fixed by the sizes alone, so
// that the order of the sums never depends on the device.
inline int64_t per_channel_blocks(int64_t per_channel) {
    int64_t blocks = (per_channel + 16 * kThreads - 1) / (16 * kThreads);
    return blocks < 1 ? 1 : (blocks > 64 ? 64 : blocks);
}

#ifdef __CUDACC__
// Sums the block's threads' N accumulators in a fixed tree order (no atomics, so the same bits
// run to run) through `sums`, the kernel's shared memory, and writes the block's N sums to
// partials[blockIdx.x * N ...].
template <int N, typename T>
__device__ __forceinline__ void block_sums(T (&sums)[N][kThreads], const T acc[N], T *partials) {
    for (int t = 0; t < N; ++t) sums[t][threadIdx.x] = acc[t];
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride)
            for (int t = 0; t < N; ++t) sums[t][threadIdx.x] += sums[t][threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        for (int t = 0; t < N; ++t) partials[blockIdx.x * N + t] = sums[t][0];
}
#endif

}  // namespace shiftcuda

#endif

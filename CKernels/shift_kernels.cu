// shift_kernels.cu: the forward and backward shift kernels. One kernel per job, grid-stride
// loops, 64-bit indices, the per-element math from shift_math.cuh, a launch check after each
// launch. Nothing here uses atomics: gradInput is a gather and the shift gradient a fixed-order
// block reduction, so results are the same bits run to run.
#include <cuda_runtime.h>
#include "shift_math.cuh"

using namespace shiftcuda;

namespace {

constexpr int kThreads = 256;

int64_t blocks_for(int64_t count) {
    int64_t blocks = (count + kThreads - 1) / kThreads;
    return blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks);
}

template <typename T>
__global__ void __launch_bounds__(kThreads) forward_kernel(shiftcuda_problem p, const T *x, const T *shifts, T *y) {
    const int64_t size[5] = {p.batch, p.channels, p.out_size[0], p.out_size[1], p.out_size[2]};
    const int64_t total = size[0] * size[1] * size[2] * size[3] * size[4];
    const int sampling = forward_sampling(p);
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t index[5];
        unravel(i, size, p.order, index);
        Taps<T> taps = make_taps<T>(p, shifts, index[1], sampling);
        const int64_t pos[3] = {index[2], index[3], index[4]};
        y[index[0] * p.y_stride[0] + index[1] * p.y_stride[1] + pos[0] * p.y_stride[2] + pos[1] * p.y_stride[3] +
          pos[2] * p.y_stride[4]] = forward_element<T>(p, taps, x, index[0], index[1], pos);
    }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) grad_input_kernel(shiftcuda_problem p, const T *shifts, const T *g, T *gx) {
    const int64_t size[5] = {p.batch, p.channels, p.in_size[0], p.in_size[1], p.in_size[2]};
    const int64_t total = size[0] * size[1] * size[2] * size[3] * size[4];
    const int sampling = forward_sampling(p);
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t index[5];
        unravel(i, size, p.order, index);
        Taps<T> taps = make_taps<T>(p, shifts, index[1], sampling);
        const int64_t j[3] = {index[2], index[3], index[4]};
        gx[index[0] * p.gx_stride[0] + index[1] * p.gx_stride[1] + j[0] * p.gx_stride[2] + j[1] * p.gx_stride[3] +
           j[2] * p.gx_stride[4]] = grad_input_element<T>(p, taps, g, index[0], index[1], j);
    }
}

// Blocks per channel for the shift gradient: enough to fill the GPU, fixed by the sizes alone so
// the reduction order never depends on the device.
int64_t gradient_blocks(const shiftcuda_problem &p) {
    int64_t per_channel = p.batch * p.out_size[0] * p.out_size[1] * p.out_size[2];
    int64_t blocks = (per_channel + 16 * kThreads - 1) / (16 * kThreads);
    return blocks < 1 ? 1 : (blocks > 64 ? 64 : blocks);
}

// Block (c, b) sums g * dy/du over its fixed share of channel c's (n, pd, ph, pw), then the
// threads' sums are combined by a tree in shared memory: one partial per block and axis.
template <typename T>
__global__ void __launch_bounds__(kThreads) shift_grad_partials_kernel(shiftcuda_problem p, const T *x, const T *shifts,
                                                                      const T *g, T *partials, int64_t blocks_per_channel) {
    __shared__ T sums[3][kThreads];
    const int64_t c = blockIdx.x / blocks_per_channel, b = blockIdx.x % blocks_per_channel;
    const int64_t size[4] = {p.batch, p.out_size[0], p.out_size[1], p.out_size[2]};
    const int64_t per_channel = size[0] * size[1] * size[2] * size[3];
    Taps<T> cell = make_taps<T>(p, shifts, c, BOTH_TAPS);
    T acc[3] = {T(0), T(0), T(0)};
    for (int64_t i = b * kThreads + threadIdx.x; i < per_channel; i += blocks_per_channel * kThreads) {
        int64_t rest = i;
        const int64_t pw = rest % size[3]; rest /= size[3];
        const int64_t ph = rest % size[2]; rest /= size[2];
        const int64_t pd = rest % size[1];
        const int64_t n = rest / size[1];
        const int64_t pos[3] = {pd, ph, pw};
        T gv = g[n * p.y_stride[0] + c * p.y_stride[1] + pd * p.y_stride[2] + ph * p.y_stride[3] + pw * p.y_stride[4]];
        T e[3];
        shift_grad_element<T>(p, cell, x, gv, n, c, pos, e);
        acc[0] += e[0]; acc[1] += e[1]; acc[2] += e[2];
    }
    for (int a = 0; a < 3; ++a) sums[a][threadIdx.x] = acc[a];
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride)
            for (int a = 0; a < 3; ++a) sums[a][threadIdx.x] += sums[a][threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        for (int a = 0; a < 3; ++a) partials[blockIdx.x * 3 + a] = sums[a][0];
}

// gs[c, j] = -(sum over the channel's blocks, in block order, of the partials of axis j).
template <typename T>
__global__ void shift_grad_reduce_kernel(shiftcuda_problem p, const T *partials, int64_t blocks_per_channel, T *gs) {
    const int k = p.spatial_rank, lift = 3 - k;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < p.channels * k; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t c = i / k;
        const int axis = lift + (int)(i % k);
        T sum = T(0);
        for (int64_t b = 0; b < blocks_per_channel; ++b) sum += partials[(c * blocks_per_channel + b) * 3 + axis];
        gs[i] = -sum;
    }
}

bool valid(const shiftcuda_problem *p) {
    if (!p || p->spatial_rank < 1 || p->spatial_rank > 3 || p->batch < 0 || p->channels < 0) return false;
    for (int a = 0; a < 3; ++a)
        if (p->in_size[a] < 0 || p->out_size[a] < 0 || p->step[a] < 1) return false;
    return true;
}

int64_t count_of(const int64_t a, const int64_t b, const int64_t s[3]) { return a * b * s[0] * s[1] * s[2]; }

template <typename T>
int forward(const shiftcuda_problem *p, const T *x, const T *shifts, T *y, void *stream) {
    if (!valid(p)) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    const int64_t total = count_of(p->batch, p->channels, p->out_size);
    if (total == 0) return 0;
    forward_kernel<T><<<blocks_for(total), kThreads, 0, (cudaStream_t)stream>>>(*p, x, shifts, y);
    return (int)cudaGetLastError();
}

template <typename T>
int backward(const shiftcuda_problem *p, const T *x, const T *shifts, const T *g, T *gx, T *gs, T *workspace,
             void *stream) {
    if (!valid(p)) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t)stream;
    const int64_t inputs = count_of(p->batch, p->channels, p->in_size);
    if (inputs > 0) {
        grad_input_kernel<T><<<blocks_for(inputs), kThreads, 0, s>>>(*p, shifts, g, gx);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    if (gs && p->channels > 0) {
        if (!workspace) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
        const int64_t blocks = gradient_blocks(*p);
        shift_grad_partials_kernel<T><<<p->channels * blocks, kThreads, 0, s>>>(*p, x, shifts, g, workspace, blocks);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
        shift_grad_reduce_kernel<T><<<blocks_for(p->channels * p->spatial_rank), kThreads, 0, s>>>(*p, workspace, blocks, gs);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    return 0;
}

}  // namespace

extern "C" {

int shiftcuda_version(void) { return SHIFTCUDA_VERSION; }

int shiftcuda_forward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, float *y, void *stream) {
    return forward<float>(p, x, shifts, y, stream);
}

int shiftcuda_forward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, double *y, void *stream) {
    return forward<double>(p, x, shifts, y, stream);
}

int64_t shiftcuda_backward_workspace(const shiftcuda_problem *p) {
    return valid(p) ? p->channels * gradient_blocks(*p) * 3 : 0;
}

int shiftcuda_backward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, const float *g,
                           float *gx, float *gs, float *workspace, void *stream) {
    return backward<float>(p, x, shifts, g, gx, gs, workspace, stream);
}

int shiftcuda_backward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, const double *g,
                           double *gx, double *gs, double *workspace, void *stream) {
    return backward<double>(p, x, shifts, g, gx, gs, workspace, stream);
}

}  // extern "C"

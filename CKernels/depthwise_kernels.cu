// depthwise_kernels.cu: a 3x3 depthwise convolution (forward, gradInput, gradWeight) on dense
// NCHW data, the baseline that the shift is measured against (figure G3). Written like the
// shift kernels: one thread per output (forward) or input (gradInput, a gather), and per-channel
// block reductions for the weight gradient.
#include <cuda_runtime.h>
#include "grid_stride.cuh"
#include "shiftcuda.h"

using namespace shiftcuda;

namespace {

// A grid-stride loop over a dense [N, C, height, width] box: each element with its linear index,
// row, column, plane (n * C + c) and channel.
template <typename Visit>
__device__ __forceinline__ void for_each_pixel(const shiftcuda_depthwise &p, int64_t height, int64_t width, Visit visit) {
    const int64_t total = p.batch * p.channels * height * width;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t col = i % width, row = (i / width) % height;
        const int64_t plane = i / (width * height), c = plane % p.channels;
        visit(i, row, col, plane, c);
    }
}

// The taps t = a * 3 + b of output (oh, ow) that fall inside the input, row by row, each with its
// offset in an input plane: the order every sum over them keeps.
template <typename Visit>
__device__ __forceinline__ void for_each_window_tap(const shiftcuda_depthwise &p, int64_t oh, int64_t ow, Visit visit) {
    for (int a = 0; a < 3; ++a) {
        const int64_t ih = oh * p.stride - p.padding + a;
        if (ih < 0 || ih >= p.height) continue;
        for (int b = 0; b < 3; ++b) {
            const int64_t iw = ow * p.stride - p.padding + b;
            if (iw >= 0 && iw < p.width) visit(a * 3 + b, ih * p.width + iw);
        }
    }
}

__global__ void __launch_bounds__(kThreads) dw_forward(shiftcuda_depthwise p, const float *x, const float *w, float *y) {
    for_each_pixel(p, p.out_height, p.out_width, [&](int64_t i, int64_t oh, int64_t ow, int64_t plane, int64_t c) {
        const float *src = x + plane * p.height * p.width;
        const float *k = w + c * 9;
        float sum = 0.f;
        for_each_window_tap(p, oh, ow, [&](int t, int64_t at) { sum += k[t] * src[at]; });
        y[i] = sum;
    });
}

__global__ void __launch_bounds__(kThreads) dw_grad_input(shiftcuda_depthwise p, const float *w, const float *g, float *gx) {
    for_each_pixel(p, p.height, p.width, [&](int64_t i, int64_t ih, int64_t iw, int64_t plane, int64_t c) {
        const float *gp = g + plane * p.out_height * p.out_width;
        const float *k = w + c * 9;
        float sum = 0.f;
        for (int a = 0; a < 3; ++a) {
            const int64_t rh = ih + p.padding - a;
            if (rh < 0 || rh % p.stride != 0 || rh / p.stride >= p.out_height) continue;
            for (int b = 0; b < 3; ++b) {
                const int64_t rw = iw + p.padding - b;
                if (rw < 0 || rw % p.stride != 0 || rw / p.stride >= p.out_width) continue;
                sum += k[a * 3 + b] * gp[(rh / p.stride) * p.out_width + rw / p.stride];
            }
        }
        gx[i] = sum;
    });
}

int64_t weight_blocks(const shiftcuda_depthwise &p) { return per_channel_blocks(p.batch * p.out_height * p.out_width); }

__global__ void __launch_bounds__(kThreads) dw_grad_weight_partials(shiftcuda_depthwise p, const float *x, const float *g,
                                                                   float *partials, int64_t blocks_per_channel) {
    __shared__ float sums[9][kThreads];
    const int64_t c = blockIdx.x / blocks_per_channel, blk = blockIdx.x % blocks_per_channel;
    const int64_t per_channel = p.batch * p.out_height * p.out_width;
    float acc[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = blk * kThreads + threadIdx.x; i < per_channel; i += blocks_per_channel * kThreads) {
        const int64_t ow = i % p.out_width, oh = (i / p.out_width) % p.out_height, n = i / (p.out_width * p.out_height);
        const int64_t plane = n * p.channels + c;
        const float gv = g[plane * p.out_height * p.out_width + oh * p.out_width + ow];
        const float *src = x + plane * p.height * p.width;
        for_each_window_tap(p, oh, ow, [&](int t, int64_t at) { acc[t] += gv * src[at]; });
    }
    block_sums<9>(sums, acc, partials);
}

__global__ void dw_grad_weight_reduce(shiftcuda_depthwise p, const float *partials, int64_t blocks_per_channel, float *gw) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < p.channels * 9; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t c = i / 9, t = i % 9;
        float sum = 0.f;
        for (int64_t b = 0; b < blocks_per_channel; ++b) sum += partials[(c * blocks_per_channel + b) * 9 + t];
        gw[i] = sum;
    }
}

bool valid(const shiftcuda_depthwise *p) {
    return p && p->batch >= 0 && p->channels >= 0 && p->height >= 0 && p->width >= 0 && p->out_height >= 0 &&
           p->out_width >= 0 && p->padding >= 0 && p->stride >= 1;
}

}  // namespace

extern "C" {

int64_t shiftcuda_depthwise_workspace(const shiftcuda_depthwise *p) {
    return valid(p) ? p->channels * weight_blocks(*p) * 9 : 0;
}

int shiftcuda_depthwise_forward_f32(const shiftcuda_depthwise *p, const float *x, const float *w, float *y, void *stream) {
    if (!valid(p)) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    const int64_t total = p->batch * p->channels * p->out_height * p->out_width;
    if (total == 0) return 0;
    dw_forward<<<blocks_for(total), kThreads, 0, (cudaStream_t)stream>>>(*p, x, w, y);
    return (int)cudaGetLastError();
}

int shiftcuda_depthwise_backward_f32(const shiftcuda_depthwise *p, const float *x, const float *w, const float *g,
                                     float *gx, float *gw, float *workspace, void *stream) {
    if (!valid(p) || !workspace) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t)stream;
    const int64_t inputs = p->batch * p->channels * p->height * p->width;
    if (inputs > 0) {
        dw_grad_input<<<blocks_for(inputs), kThreads, 0, s>>>(*p, w, g, gx);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    if (p->channels > 0) {
        const int64_t blocks = weight_blocks(*p);
        dw_grad_weight_partials<<<p->channels * blocks, kThreads, 0, s>>>(*p, x, g, workspace, blocks);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
        dw_grad_weight_reduce<<<blocks_for(p->channels * 9), kThreads, 0, s>>>(*p, workspace, blocks, gw);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    return 0;
}

}  // extern "C"

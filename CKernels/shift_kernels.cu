// shift_kernels.cu: the forward and backward shift kernels and their launchers.
//
// Two families. The plane-tiled kernels (shift_tiles.cuh) run every problem whose planes fit
// 32-bit offsets: a block per few small planes or per tile of a large one (or, for channels-last
// data, per 32 channels x 8 units, so that warps run along the channels), taps computed once per
// block from the shifts on the device, padding as a template constant, a padding-free interior,
// vector stores, and a fused backward (gradInput and the shift gradient's partial sums in one
// pass, then a tiny fixed-order reduction over n). The generic kernels (grid-stride loops, 64-bit
// indices, per-element math from shift_math.cuh) take the rest: planes past 2^31 elements.
// Nothing uses atomics: every sum has a fixed order, so results are the same bits run to run.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include "grid_stride.cuh"
#include "shift_tiles.cuh"

using namespace shiftcuda;

namespace {

// MARK: plane-tiled kernels

// Writes a unit's outputs (computed in T) as S: one 16-byte store (8 for half) where the row is
// contiguous and aligned.
template <typename S, typename T>
__device__ __forceinline__ void store_unit(S *dst, int32_t stride, int count, const T v[kUnitWidth]) {
    if (count == kUnitWidth && stride == 1) {
        const uintptr_t address = reinterpret_cast<uintptr_t>(dst);
        if constexpr (sizeof(S) == 2) {
            if ((address & 7) == 0) {
                __half2 *pair = reinterpret_cast<__half2 *>(dst);
                pair[0] = __halves2half2(S(v[0]), S(v[1]));
                pair[1] = __halves2half2(S(v[2]), S(v[3]));
                return;
            }
        } else if ((address & 15) == 0) {
            if constexpr (sizeof(S) == 4) {
                *reinterpret_cast<float4 *>(dst) = make_float4((float)v[0], (float)v[1], (float)v[2], (float)v[3]);
            } else {
                reinterpret_cast<double2 *>(dst)[0] = make_double2((double)v[0], (double)v[1]);
                reinterpret_cast<double2 *>(dst)[1] = make_double2((double)v[2], (double)v[3]);
            }
            return;
        }
    }
    for (int k = 0; k < count; ++k) dst[k * stride] = S(v[k]);
}

template <typename S, typename T, int PAD>
__global__ void __launch_bounds__(kTileThreads) tiled_forward(shiftcuda_problem p, Tiling tl, const S *x, const T *shifts,
                                                              S *y) {
    __shared__ Taps<T> slots[kMaxSlots];
    const int64_t block = blockIdx.x;
    const int thread = threadIdx.x;
    const int64_t plane = prologue_plane(tl, block, thread);
    if (plane >= 0) slots[thread] = make_taps<T>(p, shifts, plane % p.channels, forward_sampling(p));
    __syncthreads();
    int64_t offset = 0;
    T out[kUnitWidth];
    const int count = forward_thread<T, PAD>(p, tl, slots, x, block, thread, &offset, out);
    if (count > 0) store_unit(y + offset, (int32_t)p.y_stride[4], count, out);
}

template <typename S, typename T, int PAD, bool MIRROR>
__global__ void __launch_bounds__(kTileThreads) tiled_backward(shiftcuda_problem p, Tiling tl, const S *x, const T *shifts,
                                                               const S *g, S *gx, T *partials) {
    __shared__ Taps<T> slots[kMaxSlots];
    __shared__ Taps<T> cells[kMaxSlots];
    __shared__ T sums[3][kTileThreads];
    const int64_t block = blockIdx.x;
    const int thread = threadIdx.x;
    const bool learns = partials != nullptr;
    const int64_t plane = prologue_plane(tl, block, thread);
    if (plane >= 0) {
        slots[thread] = make_taps<T>(p, shifts, plane % p.channels, forward_sampling(p));
        if (learns) cells[thread] = make_taps<T>(p, shifts, plane % p.channels, BOTH_TAPS);
    }
    __syncthreads();
    int64_t offset = 0;
    T out[kUnitWidth], part[3];
    const int count = backward_thread<T, PAD, MIRROR>(p, tl, slots, cells, x, g, learns, block, thread, &offset, out, part);
    if (count > 0) store_unit(gx + offset, (int32_t)p.gx_stride[4], count, out);
    if (!learns) return;
    for (int a = 0; a < 3; ++a) sums[a][thread] = part[a];
    __syncthreads();
    const Place at = locate(tl, block, thread);
    if (tl.layout == CHANNELS_LAST) {
        if (at.lead) {
            T sum[3];
            reduce_lanes(thread, sums, sum);
            for (int a = 0; a < 3; ++a) partials[at.partial * 3 + a] = sum[a];
        }
        return;
    }
    for (int half = kTileThreads / 2; half > 0; half >>= 1) {
        reduce_level(at, thread, half, sums);
        __syncthreads();
    }
    if (at.lead)
        for (int a = 0; a < 3; ++a) partials[at.partial * 3 + a] = sums[a][thread];
}

// gs[c, j] = -(sum over n, then over the plane's tiles, of the partials of axis j): a fixed order.
template <typename T>
__global__ void tiled_reduce(shiftcuda_problem p, Tiling tl, const T *partials, T *gs) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < p.channels * p.spatial_rank;
         i += (int64_t)gridDim.x * blockDim.x)
        gs[i] = reduce_channel(p, tl, partials, i);
}

// MARK: generic kernels (planes past 32-bit offsets)

// The offset of element [n, c, d, h, w] at these strides.
__device__ __forceinline__ int64_t offset_of(const int64_t index[5], const int64_t stride[5]) {
    return index[0] * stride[0] + index[1] * stride[1] + index[2] * stride[2] + index[3] * stride[3] + index[4] * stride[4];
}

// The walk of the per-element kernels: a grid-stride loop over an [N, C, D, H, W] box, in the
// problem's axis order, giving each element its indices, its spatial position and its channel's
// forward taps.
template <typename T, typename Visit>
__device__ __forceinline__ void for_each_element(const shiftcuda_problem &p, const int64_t size[5], const T *shifts,
                                                 Visit visit) {
    const int64_t total = size[0] * size[1] * size[2] * size[3] * size[4];
    const int sampling = forward_sampling(p);
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t index[5];
        unravel(i, size, p.order, index);
        Taps<T> taps = make_taps<T>(p, shifts, index[1], sampling);
        const int64_t pos[3] = {index[2], index[3], index[4]};
        visit(index, pos, taps);
    }
}

template <typename S, typename T>
__global__ void __launch_bounds__(kThreads) forward_kernel(shiftcuda_problem p, const S *x, const T *shifts, S *y) {
    const int64_t size[5] = {p.batch, p.channels, p.out_size[0], p.out_size[1], p.out_size[2]};
    for_each_element(p, size, shifts, [&](const int64_t index[5], const int64_t pos[3], const Taps<T> &taps) {
        y[offset_of(index, p.y_stride)] = S(taps.finite ? forward_element<T>(p, taps, x, index[0], index[1], pos) : (T)NAN);
    });
}

template <typename S, typename T, int PAD>
__global__ void __launch_bounds__(kThreads) grad_input_kernel(shiftcuda_problem p, const T *shifts, const S *g, S *gx) {
    const int64_t size[5] = {p.batch, p.channels, p.in_size[0], p.in_size[1], p.in_size[2]};
    for_each_element(p, size, shifts, [&](const int64_t index[5], const int64_t j[3], const Taps<T> &taps) {
        gx[offset_of(index, p.gx_stride)] =
            S(taps.finite ? grad_input_element<T, PAD>(p, taps, g, index[0], index[1], j) : (T)NAN);
    });
}

// Blocks per channel for the generic shift gradient.
int64_t gradient_blocks(const shiftcuda_problem &p) {
    return per_channel_blocks(p.batch * p.out_size[0] * p.out_size[1] * p.out_size[2]);
}

template <typename S, typename T>
__global__ void __launch_bounds__(kThreads) shift_grad_partials_kernel(shiftcuda_problem p, const S *x, const T *shifts,
                                                                      const S *g, T *partials, int64_t blocks_per_channel) {
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
        T gv = T(g[n * p.y_stride[0] + c * p.y_stride[1] + pd * p.y_stride[2] + ph * p.y_stride[3] + pw * p.y_stride[4]]);
        T e[3];
        shift_grad_element<T>(p, cell, x, gv, n, c, pos, e);
        acc[0] += e[0]; acc[1] += e[1]; acc[2] += e[2];
    }
    if (!cell.finite) acc[0] = acc[1] = acc[2] = (T)NAN;
    block_sums<3>(sums, acc, partials);
}

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

// MARK: launchers

bool valid(const shiftcuda_problem *p) {
    if (!p || p->spatial_rank < 1 || p->spatial_rank > 3 || p->batch < 0 || p->channels < 0) return false;
    for (int a = 0; a < 3; ++a)
        if (p->in_size[a] < 0 || p->out_size[a] < 0 || p->step[a] < 1) return false;
    return true;
}

int64_t count_of(const int64_t a, const int64_t b, const int64_t s[3]) { return a * b * s[0] * s[1] * s[2]; }

// Whether a plane of this tensor is addressed by 32-bit offsets: non-negative strides and a span
// below 2^31.
bool plane_fits(const int64_t size[3], const int64_t stride[5]) {
    int64_t span = 0;
    for (int a = 0; a < 3; ++a) {
        if (stride[2 + a] < 0 || size[a] >= (int64_t(1) << 30)) return false;
        if (size[a] > 0) span += (size[a] - 1) * stride[2 + a];
    }
    return span < (int64_t(1) << 31);
}

// Whether the plane-tiled kernels take this problem; the generic kernels take the rest.
bool tiled(const shiftcuda_problem &p, const Tiling &t, bool backward) {
    if (t.units < 0) return false;
    for (int a = 0; a < 3; ++a)
        if (p.out_size[a] * p.step[a] + p.in_size[a] + 4 >= (int64_t(1) << 30)) return false;
    if (!plane_fits(p.in_size, p.x_stride) || !plane_fits(p.out_size, p.y_stride)) return false;
    if (backward && !plane_fits(p.in_size, p.gx_stride)) return false;
    return t.blocks < (int64_t(1) << 31) - 1;
}

template <typename S, typename T, int PAD>
void launch_forward(const shiftcuda_problem &p, const Tiling &t, const S *x, const T *shifts, S *y, cudaStream_t s) {
    tiled_forward<S, T, PAD><<<(unsigned)t.blocks, kTileThreads, 0, s>>>(p, t, x, shifts, y);
}

// S: the storage type, T: the compute type (float for half).
template <typename S, typename T>
int forward(const shiftcuda_problem *p, const S *x, const T *shifts, S *y, void *stream) {
    if (!valid(p)) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    const int64_t total = count_of(p->batch, p->channels, p->out_size);
    if (total == 0) return 0;
    cudaStream_t s = (cudaStream_t)stream;
    const Tiling t = tiling_of(*p, false);
    if (t.units > 0 && tiled(*p, t, false)) {
        switch (p->padding) {
        case SHIFTCUDA_ZEROS: launch_forward<S, T, SHIFTCUDA_ZEROS>(*p, t, x, shifts, y, s); break;
        case SHIFTCUDA_BORDER: launch_forward<S, T, SHIFTCUDA_BORDER>(*p, t, x, shifts, y, s); break;
        case SHIFTCUDA_PERIODIC: launch_forward<S, T, SHIFTCUDA_PERIODIC>(*p, t, x, shifts, y, s); break;
        case SHIFTCUDA_REFLECT: launch_forward<S, T, SHIFTCUDA_REFLECT>(*p, t, x, shifts, y, s); break;
        default: launch_forward<S, T, SHIFTCUDA_SYMMETRIC>(*p, t, x, shifts, y, s); break;
        }
    } else {
        forward_kernel<S, T><<<blocks_for(total), kThreads, 0, s>>>(*p, x, shifts, y);
    }
    return (int)cudaGetLastError();
}

// Stride 1 on every axis: gradInput is the forward with mirrored taps, but for the padded band.
bool mirrors(const shiftcuda_problem &p) { return p.step[0] == 1 && p.step[1] == 1 && p.step[2] == 1; }

template <typename S, typename T, int PAD>
void launch_backward(const shiftcuda_problem &p, const Tiling &t, const S *x, const T *shifts, const S *g, S *gx,
                     T *partials, cudaStream_t s) {
    if (mirrors(p))
        tiled_backward<S, T, PAD, true><<<(unsigned)t.blocks, kTileThreads, 0, s>>>(p, t, x, shifts, g, gx, partials);
    else
        tiled_backward<S, T, PAD, false><<<(unsigned)t.blocks, kTileThreads, 0, s>>>(p, t, x, shifts, g, gx, partials);
}

template <typename S, typename T>
int backward(const shiftcuda_problem *p, const S *x, const T *shifts, const S *g, S *gx, T *gs, T *workspace,
             void *stream) {
    if (!valid(p)) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    if (gs && p->channels > 0 && !workspace) return SHIFTCUDA_ERROR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t)stream;
    const int64_t inputs = count_of(p->batch, p->channels, p->in_size);
    const Tiling t = tiling_of(*p, true);
    if (tiled(*p, t, true)) {
        if (t.units == 0 || t.planes == 0) {
            // Nothing to read: an empty input gradient and a zero shift gradient.
            if (gs && p->channels > 0)
                if (cudaError_t e = cudaMemsetAsync(gs, 0, sizeof(T) * p->channels * p->spatial_rank, s)) return (int)e;
            return 0;
        }
        T *partials = gs ? workspace : nullptr;
        switch (p->padding) {
        case SHIFTCUDA_ZEROS: launch_backward<S, T, SHIFTCUDA_ZEROS>(*p, t, x, shifts, g, gx, partials, s); break;
        case SHIFTCUDA_BORDER: launch_backward<S, T, SHIFTCUDA_BORDER>(*p, t, x, shifts, g, gx, partials, s); break;
        case SHIFTCUDA_PERIODIC: launch_backward<S, T, SHIFTCUDA_PERIODIC>(*p, t, x, shifts, g, gx, partials, s); break;
        case SHIFTCUDA_REFLECT: launch_backward<S, T, SHIFTCUDA_REFLECT>(*p, t, x, shifts, g, gx, partials, s); break;
        default: launch_backward<S, T, SHIFTCUDA_SYMMETRIC>(*p, t, x, shifts, g, gx, partials, s); break;
        }
        if (cudaError_t e = cudaGetLastError()) return (int)e;
        if (gs && p->channels > 0) {
            tiled_reduce<T><<<blocks_for(p->channels * p->spatial_rank), kThreads, 0, s>>>(*p, t, workspace, gs);
            if (cudaError_t e = cudaGetLastError()) return (int)e;
        }
        return 0;
    }
    if (inputs > 0) {
        const unsigned blocks = (unsigned)blocks_for(inputs);
        switch (p->padding) {
        case SHIFTCUDA_ZEROS: grad_input_kernel<S, T, SHIFTCUDA_ZEROS><<<blocks, kThreads, 0, s>>>(*p, shifts, g, gx); break;
        case SHIFTCUDA_BORDER: grad_input_kernel<S, T, SHIFTCUDA_BORDER><<<blocks, kThreads, 0, s>>>(*p, shifts, g, gx); break;
        case SHIFTCUDA_PERIODIC: grad_input_kernel<S, T, SHIFTCUDA_PERIODIC><<<blocks, kThreads, 0, s>>>(*p, shifts, g, gx); break;
        case SHIFTCUDA_REFLECT: grad_input_kernel<S, T, SHIFTCUDA_REFLECT><<<blocks, kThreads, 0, s>>>(*p, shifts, g, gx); break;
        default: grad_input_kernel<S, T, SHIFTCUDA_SYMMETRIC><<<blocks, kThreads, 0, s>>>(*p, shifts, g, gx); break;
        }
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    if (gs && p->channels > 0) {
        const int64_t blocks = gradient_blocks(*p);
        shift_grad_partials_kernel<S, T><<<p->channels * blocks, kThreads, 0, s>>>(*p, x, shifts, g, workspace, blocks);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
        shift_grad_reduce_kernel<T><<<blocks_for(p->channels * p->spatial_rank), kThreads, 0, s>>>(*p, workspace, blocks, gs);
        if (cudaError_t e = cudaGetLastError()) return (int)e;
    }
    return 0;
}

int64_t workspace_of(const shiftcuda_problem *p) {
    if (!valid(p)) return 0;
    const Tiling t = tiling_of(*p, true);
    if (tiled(*p, t, true)) return t.planes * t.tiles * 3;
    return p->channels * gradient_blocks(*p) * 3;
}

}  // namespace

extern "C" {

int shiftcuda_version(void) { return SHIFTCUDA_VERSION; }

int shiftcuda_forward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, float *y, void *stream) {
    return forward<float, float>(p, x, shifts, y, stream);
}

int shiftcuda_forward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, double *y, void *stream) {
    return forward<double, double>(p, x, shifts, y, stream);
}

int64_t shiftcuda_backward_workspace(const shiftcuda_problem *p) { return workspace_of(p); }

int shiftcuda_backward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, const float *g,
                           float *gx, float *gs, float *workspace, void *stream) {
    return backward<float, float>(p, x, shifts, g, gx, gs, workspace, stream);
}

int shiftcuda_backward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, const double *g,
                           double *gx, double *gs, double *workspace, void *stream) {
    return backward<double, double>(p, x, shifts, g, gx, gs, workspace, stream);
}

int shiftcuda_forward_f16(const shiftcuda_problem *p, const uint16_t *x, const float *shifts, uint16_t *y, void *stream) {
    return forward<__half, float>(p, reinterpret_cast<const __half *>(x), shifts, reinterpret_cast<__half *>(y), stream);
}

int shiftcuda_backward_f16(const shiftcuda_problem *p, const uint16_t *x, const float *shifts, const uint16_t *g,
                           uint16_t *gx, float *gs, float *workspace, void *stream) {
    return backward<__half, float>(p, reinterpret_cast<const __half *>(x), shifts, reinterpret_cast<const __half *>(g),
                                   reinterpret_cast<__half *>(gx), gs, workspace, stream);
}

}  // extern "C"

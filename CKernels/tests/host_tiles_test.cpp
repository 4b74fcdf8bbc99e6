// Runs the plane-tiled kernels' per-thread functions (shift_tiles.cuh) over every block and thread
// of small problems, exactly as the GPU launches them (prologue, threads, then the block's
// reduction level by level), and compares with the shared reference (host_reference.h): the
// forward value by value, gradInput by the adjoint identity, the shift gradient by central
// differences.
// Covers every padding, mode, rank and stride, NCHW and channels-last strides, odd widths, planes
// smaller than a block and planes cut into tiles, shifts far beyond the axis, and non-finite
// shifts (NaN for the channel on every path). What it cannot see (shared memory races,
// alignment of the vector stores) is kept small in shift_kernels.cu for the GPU run to check.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include "shift_tiles.cuh"
#include "host_reference.h"

using namespace shiftcuda;

using reference::check;
using reference::count_of;
using reference::dot;
using reference::sampled;

struct Problem {
    shiftcuda_problem p;
    bool channels_last;
};

// Dense strides of an [N, C, D, H, W] box, NCDHW or channels-last (N, D, H, W, C).
static void dense_strides(const int64_t n_c[2], const int64_t size[3], bool channels_last, int64_t out[5]) {
    (void)n_c;
    const int64_t c = n_c[1], sp = size[0] * size[1] * size[2];
    if (channels_last) {
        out[1] = 1; out[4] = c; out[3] = size[2] * c; out[2] = size[1] * size[2] * c; out[0] = sp * c;
    } else {
        out[4] = 1; out[3] = size[2]; out[2] = size[1] * size[2]; out[1] = sp; out[0] = c * sp;
    }
}

// The tiled forward, every block and thread as launched: data stored as S, computed in T.
template <typename S, typename T>
static std::vector<S> tiled_forward(const shiftcuda_problem &p, const std::vector<S> &x, const std::vector<T> &s,
                                    size_t y_count, Tiling *used = nullptr) {
    std::vector<S> y(y_count, S(-12345));  // a sentinel: every element must be written
    const Tiling t = tiling_of(p, false);
    if (used) *used = t;
    if (t.units == 0) return y;
    for (int64_t block = 0; block < t.blocks; ++block) {
        Taps<T> slots[kMaxSlots];
        for (int thread = 0; thread < kTileThreads; ++thread) {
            int64_t plane = prologue_plane(t, block, thread);
            if (plane >= 0) slots[thread] = make_taps<T>(p, s.data(), plane % p.channels, forward_sampling(p));
        }
        for (int thread = 0; thread < kTileThreads; ++thread) {
            int64_t offset = 0;
            T out[kUnitWidth];
            int count = 0;
            // The padding is a template constant on the device; run the one the problem names.
            switch (p.padding) {
            case SHIFTCUDA_ZEROS: count = forward_thread<T, SHIFTCUDA_ZEROS>(p, t, slots, x.data(), block, thread, &offset, out); break;
            case SHIFTCUDA_BORDER: count = forward_thread<T, SHIFTCUDA_BORDER>(p, t, slots, x.data(), block, thread, &offset, out); break;
            case SHIFTCUDA_PERIODIC: count = forward_thread<T, SHIFTCUDA_PERIODIC>(p, t, slots, x.data(), block, thread, &offset, out); break;
            case SHIFTCUDA_REFLECT: count = forward_thread<T, SHIFTCUDA_REFLECT>(p, t, slots, x.data(), block, thread, &offset, out); break;
            default: count = forward_thread<T, SHIFTCUDA_SYMMETRIC>(p, t, slots, x.data(), block, thread, &offset, out); break;
            }
            for (int k = 0; k < count; ++k) y[offset + k * p.y_stride[4]] = S(out[k]);
        }
    }
    return y;
}

template <typename T, int PAD, typename S>
static int run_backward_thread(const shiftcuda_problem &p, const Tiling &t, const Taps<T> *slots, const Taps<T> *cells,
                               const S *x, const S *g, bool learns, int64_t block, int thread, int64_t *offset, T out[4],
                               T part[3]) {
    bool mirror = p.step[0] == 1 && p.step[1] == 1 && p.step[2] == 1;
    return mirror ? backward_thread<T, PAD, true>(p, t, slots, cells, x, g, learns, block, thread, offset, out, part)
                  : backward_thread<T, PAD, false>(p, t, slots, cells, x, g, learns, block, thread, offset, out, part);
}

// The tiled backward: per block, the prologue, every thread, then the reduction tree level by
// level; then the per-channel reduction over n. Returns gx and fills gs ([C, k]).
template <typename S, typename T>
static std::vector<S> tiled_backward(const shiftcuda_problem &p, const std::vector<S> &x, const std::vector<T> &s,
                                     const std::vector<S> &g, size_t gx_count, std::vector<T> &gs) {
    std::vector<S> gx(gx_count, S(-12345));
    const Tiling t = tiling_of(p, true);
    gs.assign(p.channels * p.spatial_rank, T(0));
    if (t.units == 0 || t.planes == 0) return gx;
    std::vector<T> partials(t.planes * t.tiles * 3, T(-777));
    for (int64_t block = 0; block < t.blocks; ++block) {
        Taps<T> slots[kMaxSlots], cells[kMaxSlots];
        for (int thread = 0; thread < kTileThreads; ++thread) {
            int64_t plane = prologue_plane(t, block, thread);
            if (plane < 0) continue;
            slots[thread] = make_taps<T>(p, s.data(), plane % p.channels, forward_sampling(p));
            cells[thread] = make_taps<T>(p, s.data(), plane % p.channels, BOTH_TAPS);
        }
        static T sums[3][kTileThreads];
        for (int thread = 0; thread < kTileThreads; ++thread) {
            int64_t offset = 0;
            T out[kUnitWidth], part[3];
            int count = 0;
            switch (p.padding) {
            case SHIFTCUDA_ZEROS: count = run_backward_thread<T, SHIFTCUDA_ZEROS>(p, t, slots, cells, x.data(), g.data(), true, block, thread, &offset, out, part); break;
            case SHIFTCUDA_BORDER: count = run_backward_thread<T, SHIFTCUDA_BORDER>(p, t, slots, cells, x.data(), g.data(), true, block, thread, &offset, out, part); break;
            case SHIFTCUDA_PERIODIC: count = run_backward_thread<T, SHIFTCUDA_PERIODIC>(p, t, slots, cells, x.data(), g.data(), true, block, thread, &offset, out, part); break;
            case SHIFTCUDA_REFLECT: count = run_backward_thread<T, SHIFTCUDA_REFLECT>(p, t, slots, cells, x.data(), g.data(), true, block, thread, &offset, out, part); break;
            default: count = run_backward_thread<T, SHIFTCUDA_SYMMETRIC>(p, t, slots, cells, x.data(), g.data(), true, block, thread, &offset, out, part); break;
            }
            for (int k = 0; k < count; ++k) gx[offset + k * p.gx_stride[4]] = S(out[k]);
            for (int a = 0; a < 3; ++a) sums[a][thread] = part[a];
        }
        if (t.layout == CHANNELS_LAST) {
            for (int thread = 0; thread < kTileThreads; ++thread) {
                Place at = locate(t, block, thread);
                if (!at.lead) continue;
                T sum[3];
                reduce_lanes(thread, sums, sum);
                for (int a = 0; a < 3; ++a) partials[at.partial * 3 + a] = sum[a];
            }
            continue;
        }
        for (int half = kTileThreads / 2; half > 0; half >>= 1) {
            // Every thread of a level reads values no thread of the same level writes (t + half
            // is never below half), so running them in sequence matches the barrier-separated GPU.
            for (int thread = 0; thread < kTileThreads; ++thread) reduce_level(locate(t, block, thread), thread, half, sums);
        }
        for (int thread = 0; thread < kTileThreads; ++thread) {
            Place at = locate(t, block, thread);
            if (at.lead)
                for (int a = 0; a < 3; ++a) partials[at.partial * 3 + a] = sums[a][thread];
        }
    }
    bool written = true;
    for (T v : partials) written = written && v != T(-777);
    check(written, "every (plane, tile) partial written", -1);
    for (int64_t i = 0; i < p.channels * p.spatial_rank; ++i) gs[i] = reduce_channel(p, t, partials.data(), i);
    return gx;
}

// Whether a non-finite shift on channel 0 left `got` (an [N, C] + size box at these strides) NaN
// on channel 0 and the same as `clean` on every other channel.
static bool only_channel_zero_nan(const shiftcuda_problem &p, const int64_t size[3], const int64_t stride[5],
                                  const std::vector<double> &got, const std::vector<double> &clean) {
    bool ok = true;
    for (int64_t n = 0; n < p.batch; ++n)
        for (int64_t c = 0; c < p.channels; ++c)
            for (int64_t d = 0; d < size[0]; ++d)
                for (int64_t h = 0; h < size[1]; ++h)
                    for (int64_t w = 0; w < size[2]; ++w) {
                        int64_t o = n * stride[0] + c * stride[1] + d * stride[2] + h * stride[3] + w * stride[4];
                        ok = ok && (c == 0 ? std::isnan(got[o]) : got[o] == clean[o]);
                    }
    return ok;
}

static Problem make_problem(std::mt19937_64 &rng, int trial) {
    std::uniform_int_distribution<int> size(1, 7), small(0, 3);
    Problem k{};
    shiftcuda_problem &p = k.p;
    p.spatial_rank = 1 + trial % 3;
    p.mode = (trial / 3) % 3;
    p.padding = (trial / 9) % 5;
    k.channels_last = (trial / 45) % 2 == 1;
    p.batch = 1 + small(rng) % 2;
    p.channels = 1 + small(rng) + (trial % 7 == 0 ? 40 : 0);  // many small planes: several per block
    int lift = 3 - p.spatial_rank;
    for (int a = 0; a < 3; ++a) {
        bool lifted = a < lift;
        p.in_size[a] = lifted ? 1 : size(rng);
        if (!lifted && a == 2 && trial % 5 == 1) p.in_size[a] = 300 + small(rng);  // planes cut into tiles, odd widths
        if (!lifted && a == 2 && trial % 11 == 3) p.in_size[a] = 2;               // reflect on short axes
        p.step[a] = lifted ? 1 : (trial % 4 == 3 ? 1 + small(rng) : 1);            // strides up to 4
        p.origin[a] = lifted ? 0 : small(rng) - 1;
        p.out_size[a] = lifted ? 1 : (p.in_size[a] + p.step[a] - 1) / p.step[a] + (trial % 6 == 5 ? small(rng) : 0);
    }
    const int64_t nc[2] = {p.batch, p.channels};
    dense_strides(nc, p.in_size, k.channels_last, p.x_stride);
    dense_strides(nc, p.in_size, k.channels_last, p.gx_stride);
    dense_strides(nc, p.out_size, k.channels_last, p.y_stride);
    for (int a = 0; a < 5; ++a) p.order[a] = a;
    p.shift_stride[0] = p.spatial_rank; p.shift_stride[1] = 1;
    return k;
}

int main() {
    std::mt19937_64 rng(77);
    std::uniform_real_distribution<double> unit(-1, 1), frac(0.1, 0.9);
    int tiled_planes = 0, packed_planes = 0, channels_last = 0, half_checked = 0;
    for (int trial = 0; trial < 360; ++trial) {
        Problem k = make_problem(rng, trial);
        const shiftcuda_problem &p = k.p;
        const size_t xn = count_of(p, p.in_size), yn = count_of(p, p.out_size);
        std::vector<double> x(xn), g(yn), s;
        for (auto &v : x) v = unit(rng);
        for (auto &v : g) v = unit(rng);
        for (int64_t c = 0; c < p.channels * p.spatial_rank; ++c) {
            double whole = double((int)(rng() % 5) - 2);
            if (trial % 13 == 2 && c == 0) whole = 1e9;    // far beyond the axis
            if (trial % 13 == 4 && c == 0) whole = -3e7;
            s.push_back(whole + (p.mode == SHIFTCUDA_GROUPED ? 0.0 : frac(rng)));  // off the lattice
        }
        Tiling used;
        // Forward in double against the reference.
        std::vector<double> y = tiled_forward<double, double>(p, x, s, yn, &used), expected = reference::forward(p, x, sampled(p, s));
        if (used.layout == CHANNELS_LAST) ++channels_last;
        else if (used.tiles > 1) ++tiled_planes;
        else if (used.per_block > 1) ++packed_planes;
        double worst = 0;
        for (size_t i = 0; i < yn; ++i) worst = std::fmax(worst, std::fabs(y[i] - expected[i]));
        check(worst <= 1e-12, "tiled forward matches the reference", trial);
        // Forward in float.
        std::vector<float> xf(x.begin(), x.end()), sf(s.begin(), s.end());
        std::vector<float> yf = tiled_forward<float, float>(p, xf, sf, yn);
        std::vector<double> sampled_f = sampled(p, std::vector<double>(sf.begin(), sf.end()));
        std::vector<double> expected_f = reference::forward(p, std::vector<double>(xf.begin(), xf.end()), sampled_f);
        worst = 0;
        for (size_t i = 0; i < yn; ++i) worst = std::fmax(worst, std::fabs(yf[i] - expected_f[i]));
        check(worst <= 1e-5, "tiled float forward matches the reference", trial);
        // Backward: gradInput by the adjoint identity, the shift gradient by central differences.
        std::vector<double> gs;
        std::vector<double> gx = tiled_backward<double, double>(p, x, s, g, xn, gs);
        std::vector<double> v(xn);
        for (auto &e : v) e = unit(rng);
        double lhs = dot(g, reference::forward(p, v, sampled(p, s))), rhs = dot(gx, v);
        check(std::fabs(lhs - rhs) <= 1e-12 * std::fmax(1, std::fabs(lhs)), "tiled gradInput is the adjoint", trial);
        if (p.mode != SHIFTCUDA_GROUPED && trial % 13 != 2 && trial % 13 != 4) {
            bool ok = true;
            for (int64_t i = 0; i < p.channels * p.spatial_rank; ++i) {
                std::vector<double> plus = s, minus = s;
                plus[i] += 1e-6;
                minus[i] -= 1e-6;
                double numeric = (dot(g, reference::forward(p, x, plus)) - dot(g, reference::forward(p, x, minus))) / 2e-6;
                ok = ok && std::fabs(numeric - gs[i]) <= 1e-6 * std::fmax(1, std::fabs(numeric));
            }
            check(ok, "tiled shift gradient matches finite differences", trial);
        }
        // The same gradients through the generic per-element functions (the other kernel family).
        std::vector<double> gx_generic(xn);
        const int64_t box[5] = {p.batch, p.channels, p.in_size[0], p.in_size[1], p.in_size[2]};
        for (size_t i = 0; i < xn; ++i) {
            int64_t index[5];
            unravel((int64_t)i, box, p.order, index);
            Taps<double> taps = make_taps<double>(p, s.data(), index[1], forward_sampling(p));
            const int64_t j[3] = {index[2], index[3], index[4]};
            gx_generic[index[0] * p.gx_stride[0] + index[1] * p.gx_stride[1] + j[0] * p.gx_stride[2] + j[1] * p.gx_stride[3] +
                       j[2] * p.gx_stride[4]] = grad_input_element_any<double>(p, taps, g.data(), index[0], index[1], j);
        }
        worst = 0;
        for (size_t i = 0; i < xn; ++i) worst = std::fmax(worst, std::fabs(gx[i] - gx_generic[i]));
        check(worst <= 1e-12, "tiled and generic gradInput agree", trial);
        // Float16 storage computing in float: the same bits as the float path on the same
        // (half-valued) data, rounded once to half (2 ulps are allowed; this is 0).
        {
            std::vector<_Float16> xh(x.begin(), x.end()), gh(g.begin(), g.end());
            std::vector<float> xw(xh.begin(), xh.end()), gw(gh.begin(), gh.end());
            std::vector<_Float16> yh = tiled_forward<_Float16, float>(p, xh, sf, yn);
            std::vector<float> yw = tiled_forward<float, float>(p, xw, sf, yn);
            std::vector<float> gsh, gsw;
            std::vector<_Float16> gxh = tiled_backward<_Float16, float>(p, xh, sf, gh, xn, gsh);
            std::vector<float> gxw = tiled_backward<float, float>(p, xw, sf, gw, xn, gsw);
            bool same = gsh == gsw;
            for (size_t i = 0; i < yn; ++i) same = same && (float)yh[i] == (float)(_Float16)yw[i];
            for (size_t i = 0; i < xn; ++i) same = same && (float)gxh[i] == (float)(_Float16)gxw[i];
            check(same, "Float16 storage: the float path rounded to half, bit for bit", trial);
            ++half_checked;
        }
        // Non-finite shift on channel 0: NaN for that channel on every path, others untouched.
        std::vector<double> bad = s;
        bad[0] = trial % 2 ? NAN : -INFINITY;
        std::vector<double> yb = tiled_forward<double, double>(p, x, bad, yn), gsb;
        std::vector<double> gxb = tiled_backward<double, double>(p, x, bad, g, xn, gsb);
        bool nan_ok = only_channel_zero_nan(p, p.out_size, p.y_stride, yb, y) &&
                      only_channel_zero_nan(p, p.in_size, p.gx_stride, gxb, gx);
        for (int j = 0; j < p.spatial_rank; ++j) nan_ok = nan_ok && std::isnan(gsb[j]);
        check(nan_ok, "a non-finite shift makes its channel NaN on every path", trial);
    }
    check(half_checked > 300, "Float16 storage checked on most problems", 0);
    check(tiled_planes > 10 && packed_planes > 50 && channels_last > 100, "every tiling exercised", 0);
    std::printf("tiles: %d passed, %d failed (%d problems with tiled planes, %d with packed planes, %d channels-last)\n",
                reference::passed, reference::failed, tiled_planes, packed_planes, channels_last);
    return reference::failed == 0 ? 0 : 1;
}

// shift_tiles.cuh: the plane-tiled shift kernels' work, written as __host__ __device__ functions of
// (block index, thread index) so that the host check runs every block and thread of small problems
// exactly as the GPU would (PLAN "CUDA without a GPU"). The kernels in shift_kernels.cu only add
// shared memory, __syncthreads and vector stores around these.
//
// Shape of the work (research/gpu-feasibility.md): the grid covers (n * c plane) x (tile of a
// plane's units); a unit is four consecutive outputs of one row. Small planes are packed several to
// a block (`per_block` planes, one segment of threads each) so that 7x7 or 14x14 planes do not
// leave a block idle; large planes are cut into `tiles` tiles of one block. Channels-last data
// (channels innermost in memory) has its own layout of the same work: a block takes 32
// consecutive channels x 8 units of one image, so that a warp reads and writes 32 consecutive
// channels of one position. Each block computes the taps of its planes once (shift_taps.h), into
// shared memory. Offsets inside a plane are 32-bit; plane bases are 64-bit. Rows whose taps all
// read inside the input (the interior) run with no padding logic; the border maps each tap
// through the padding. Data is stored as S and computed in T (float for half storage).
#ifndef SHIFT_TILES_CUH
#define SHIFT_TILES_CUH

#include "shift_math.cuh"

namespace shiftcuda {

constexpr int kTileThreads = 256;   // threads per block
constexpr int kUnitWidth = 4;       // outputs per thread along the innermost spatial axis
constexpr int kMaxSlots = 32;       // planes per block at most (bounds the shared tap table)
constexpr int kChannelLanes = 32;   // channels-last: channels per block, one warp's width
constexpr int kUnitLanes = kTileThreads / kChannelLanes;  // channels-last: units per block

enum Layout { PLANES = 0, CHANNELS_LAST = 1 };

// How a problem is cut into blocks; fixed by the sizes alone, so the order of every reduction is
// the same on every device and run.
struct Tiling {
    int32_t layout;     // PLANES or CHANNELS_LAST
    int64_t planes;     // N * C
    int64_t channels;   // C
    int64_t chunks;     // channels-last: blocks across the channels
    int32_t rows;       // rows of units per plane (D * H of the larger of input and output)
    int32_t vecs;       // units per row
    int32_t units;      // rows * vecs
    int32_t per_block;  // planes per block (> 1 only when tiles == 1)
    int32_t tiles;      // blocks per plane (channels-last: per image and chunk of channels)
    int64_t blocks;
};

SC_HD int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// rows x width: the unit grid. A problem with no units launches no tiled kernel (its shift
// gradient is zero, written by the launcher).
SC_HD Tiling make_tiling(int64_t batch, int64_t channels, int64_t rows, int64_t width, int32_t layout) {
    Tiling t;
    t.layout = layout;
    t.planes = batch * channels;
    t.channels = channels;
    t.chunks = ceil_div(channels, kChannelLanes);
    const int64_t vecs = ceil_div(width, kUnitWidth), units = rows * vecs;
    if (rows >= (int64_t(1) << 31) || units >= (int64_t(1) << 31)) {
        // Past 32-bit units: marked, and left to the generic kernels.
        t.rows = t.vecs = t.units = -1;
        t.per_block = t.tiles = 1;
        t.blocks = 0;
        return t;
    }
    t.rows = (int32_t)rows;
    t.vecs = (int32_t)vecs;
    t.units = (int32_t)units;
    if (layout == CHANNELS_LAST) {
        t.per_block = 1;
        t.tiles = (int32_t)ceil_div(t.units, kUnitLanes);
        t.blocks = batch * t.tiles * t.chunks;
    } else if (t.units <= kTileThreads) {
        int32_t fit = t.units == 0 ? kMaxSlots : kTileThreads / t.units;
        t.per_block = fit < kMaxSlots ? fit : kMaxSlots;
        t.tiles = 1;
        t.blocks = ceil_div(t.planes, t.per_block);
    } else {
        t.per_block = 1;
        t.tiles = (int32_t)ceil_div(t.units, kTileThreads);
        t.blocks = t.planes * t.tiles;
    }
    return t;
}

// The tiling the launchers use for a problem: the unit grid of the output (forward), or of the
// larger of input and output (backward, which reads its unit as both), laid out channels-last
// when every tensor of the call has its channels innermost.
SC_HD Tiling tiling_of(const shiftcuda_problem &p, bool backward) {
    const int64_t out_rows = p.out_size[0] * p.out_size[1], in_rows = p.in_size[0] * p.in_size[1];
    const int64_t rows = backward && in_rows > out_rows ? in_rows : out_rows;
    const int64_t width = backward && p.in_size[2] > p.out_size[2] ? p.in_size[2] : p.out_size[2];
    const bool channels_last = p.channels > 1 && p.x_stride[1] == 1 && p.y_stride[1] == 1 && (!backward || p.gx_stride[1] == 1);
    return make_tiling(p.batch, p.channels, rows, width, channels_last ? CHANNELS_LAST : PLANES);
}

// Where thread `thread` of block `block` works: its plane (and slot in the block's tap table), its
// unit, and the segment of threads that shares its plane (for the block's reductions). `lead` is
// the thread that writes the segment's partial sum; `partial` indexes (plane, tile).
struct Place {
    int64_t plane, partial;
    int32_t unit, slot, segment_start, segment_length;
    bool valid;     // the thread's plane and unit exist (it works and takes part in reductions)
    bool lead;
};

SC_HD Place locate(const Tiling &t, int64_t block, int thread) {
    Place at;
    if (t.layout == CHANNELS_LAST) {
        // Blocks walk the chunks of channels fastest, so neighbouring blocks read one region.
        const int64_t chunk = block % t.chunks, rest = block / t.chunks;
        const int32_t tile = (int32_t)(rest % t.tiles);
        const int64_t n = rest / t.tiles;
        const int lane = thread % kChannelLanes, row = thread / kChannelLanes;
        const int64_t c = chunk * kChannelLanes + lane;
        at.slot = lane;
        at.unit = tile * kUnitLanes + row;
        at.plane = n * t.channels + c;
        at.partial = at.plane * t.tiles + tile;
        // A channel's threads are one per row of lanes; the first (row 0) sums them.
        at.segment_start = lane;
        at.segment_length = kUnitLanes;
        at.valid = c < t.channels && at.unit < t.units;
        at.lead = at.valid && row == 0;
        return at;
    }
    if (t.tiles == 1) {
        // A problem with no units launches nothing (the launcher zeroes the shift gradient).
        at.slot = t.units == 0 ? kMaxSlots : thread / t.units;
        at.unit = t.units == 0 ? 0 : thread % t.units;
        at.plane = block * t.per_block + at.slot;
        at.segment_start = at.slot * t.units;
        at.segment_length = t.units;
        at.partial = at.plane;
        at.valid = at.slot < t.per_block && at.plane < t.planes;
    } else {
        at.slot = 0;
        at.plane = block / t.tiles;
        const int32_t tile = (int32_t)(block % t.tiles);
        at.unit = tile * kTileThreads + thread;
        at.segment_start = 0;
        const int32_t left = t.units - tile * kTileThreads;
        at.segment_length = left < kTileThreads ? left : kTileThreads;
        at.partial = at.plane * t.tiles + tile;
        at.valid = thread < at.segment_length;
    }
    at.lead = at.valid && thread == at.segment_start;
    return at;
}

// The plane whose taps thread `thread` computes in the block's prologue (into slot `thread`), or
// -1: one thread per plane of the block, so each block computes its taps once.
SC_HD int64_t prologue_plane(const Tiling &t, int64_t block, int thread) {
    if (t.layout == CHANNELS_LAST) {
        const int64_t chunk = block % t.chunks, n = block / t.chunks / t.tiles, c = chunk * kChannelLanes + thread;
        return thread < kChannelLanes && c < t.channels ? n * t.channels + c : -1;
    }
    if (t.tiles > 1) return thread == 0 ? block / t.tiles : -1;
    const int64_t plane = block * t.per_block + thread;
    return thread < t.per_block && plane < t.planes ? plane : -1;
}

// The input index raw tap i reads on an axis, with the interior known to be inside: PAD is a
// template constant so the switch of shift_tap_map folds away.
template <int PAD>
SC_HD int64_t border_tap(int64_t i, int64_t n) { return shift_tap_map(i, n, PAD); }

// Adds wv * (the w-axis interpolation of `row`) for `count` consecutive outputs from pw0.
// TAPS is the w-axis tap count (1: an integer shift, a strided copy; 2: interpolation).
template <typename T, int PAD, int TAPS, typename S>
SC_HD void add_row(const Axis<T> &a, const S *row, int32_t stride, int32_t pw0, int count, T wv, T acc[kUnitWidth]) {
    const T w0 = a.weight_of(0), w1 = a.weight_of(1);
    const int32_t step = (int32_t)a.step, i0 = pw0 * step + (int32_t)a.base;
    if (pw0 >= a.first && pw0 + count <= a.last) {
        if (TAPS == 2 && step == 1) {
            // A window of five samples serves four outputs: 5 loads instead of 8.
            T window[kUnitWidth + 1];
            for (int k = 0; k <= count; ++k) window[k] = T(row[(i0 + k) * stride]);
            for (int k = 0; k < count; ++k) acc[k] += wv * (w0 * window[k] + w1 * window[k + 1]);
        } else {
            for (int k = 0; k < count; ++k) {
                const int32_t i = i0 + k * step;
                acc[k] += TAPS == 2 ? wv * (w0 * T(row[i * stride]) + w1 * T(row[(i + 1) * stride])) : wv * T(row[i * stride]);
            }
        }
        return;
    }
    for (int k = 0; k < count; ++k) {
        T sum = T(0);
        for (int b = 0; b < TAPS; ++b) {
            const int64_t iw = border_tap<PAD>((int64_t)(pw0 + k) * a.step + a.base + b, a.length);
            if (iw >= 0) sum += (TAPS == 2 ? a.weight_of(b) : T(1)) * T(row[(int32_t)iw * stride]);
        }
        acc[k] += wv * sum;
    }
}

// The rows of the (d, h) taps of output row (pd, ph): calls body(weight, row offset, bd, bh) for
// each that reads inside the input.
template <typename T, int PAD, typename Body>
SC_HD void for_each_row(const Taps<T> &t, const int32_t stride[3], int32_t pd, int32_t ph, Body body) {
    const Axis<T> &ad = t.axis[0], &ah = t.axis[1];
    for (int bd = 0; bd < ad.taps; ++bd) {
        const int64_t id = pd >= ad.first && pd < ad.last ? pd * ad.step + ad.base + bd
                                                          : border_tap<PAD>(pd * ad.step + ad.base + bd, ad.length);
        if (id < 0) continue;
        for (int bh = 0; bh < ah.taps; ++bh) {
            const int64_t ih = ph >= ah.first && ph < ah.last ? ph * ah.step + ah.base + bh
                                                              : border_tap<PAD>(ph * ah.step + ah.base + bh, ah.length);
            if (ih < 0) continue;
            body(ad.weight_of(bd) * ah.weight_of(bh), (int32_t)id * stride[0] + (int32_t)ih * stride[1], bd, bh);
        }
    }
}

// The in-plane strides (d, h, w) of a tensor, 32-bit (the launcher checked they fit).
SC_HD void plane_strides(const int64_t s[5], int32_t out[3]) {
    out[0] = (int32_t)s[2]; out[1] = (int32_t)s[3]; out[2] = (int32_t)s[4];
}

// One thread of the forward: up to four outputs of one row, written to `out` (the caller stores
// them, as a vector where it can). Returns how many, 0 when the thread has none.
template <typename T, int PAD, typename S>
SC_HD int forward_thread(const shiftcuda_problem &p, const Tiling &tl, const Taps<T> *slots, const S *x,
                         int64_t block, int thread, int64_t *y_offset, T out[kUnitWidth]) {
    const Place at = locate(tl, block, thread);
    if (!at.valid) return 0;
    const int32_t row = at.unit / tl.vecs, pw0 = (at.unit % tl.vecs) * kUnitWidth;
    const int32_t height = (int32_t)p.out_size[1], width = (int32_t)p.out_size[2];
    const int32_t pd = row / height, ph = row % height;
    const int count = width - pw0 < kUnitWidth ? width - pw0 : kUnitWidth;
    if (count <= 0) return 0;
    const int64_t n = at.plane / p.channels, c = at.plane % p.channels;
    *y_offset = n * p.y_stride[0] + c * p.y_stride[1] +
                (int64_t)((int32_t)p.y_stride[2] * pd + (int32_t)p.y_stride[3] * ph + (int32_t)p.y_stride[4] * pw0);
    const Taps<T> &t = slots[at.slot];
    for (int k = 0; k < kUnitWidth; ++k) out[k] = T(0);
    if (!t.finite) {
        for (int k = 0; k < count; ++k) out[k] = (T)NAN;
        return count;
    }
    const S *plane = x + n * p.x_stride[0] + c * p.x_stride[1];
    int32_t xs[3];
    plane_strides(p.x_stride, xs);
    const Axis<T> &aw = t.axis[2];
    for_each_row<T, PAD>(t, xs, pd, ph, [&](T wv, int32_t offset, int, int) {
        if (aw.taps == 2) add_row<T, PAD, 2>(aw, plane + offset, xs[2], pw0, count, wv, out);
        else add_row<T, PAD, 1>(aw, plane + offset, xs[2], pw0, count, wv, out);
    });
    return count;
}

// The preimage walk for one input element (shift_math.cuh), as a real call: it is long, and
// inlining it into every padding's kernel, four times per thread, multiplied compile time.
template <typename T, int PAD, typename S>
SC_HD_CALL T gathered_gradient(const shiftcuda_problem &p, const Taps<T> &t, const S *g, int64_t n, int64_t c,
                               const int64_t j[3]) {
    return grad_input_element<T, PAD>(p, t, g, n, c, j);
}

// The input gradient of element j of one axis at stride 1: the forward with mirrored taps, g read
// at j - base - b, zero outside [0, count). Exact wherever no padded tap folds onto j.
template <typename T>
SC_HD bool mirrored_reader(const Axis<T> &a, int64_t j, int b, int64_t *p) {
    *p = j - a.base - b;
    return *p >= 0 && *p < a.count;
}

// Whether input j of an axis is read only by unpadded taps (raw tap i == j), so that the mirrored
// forward gives its whole gradient. Raw taps left of the axis (L of them) and right of it (R) fold,
// through any padding, onto the first or last max(L, R) + 1 inputs at most (border: onto 0 and
// n - 1; periodic: onto the far end; reflect and symmetric: onto the near end); zeros padding
// folds nothing.
template <typename T, int PAD>
SC_HD bool unfolded(const Axis<T> &a, int64_t j) {
    if (PAD == SHIFTCUDA_ZEROS || a.count == 0) return true;
    const int64_t last_tap = (a.count - 1) * a.step + a.base + a.taps - 1;
    const int64_t left = a.base < 0 ? -a.base : 0, right = last_tap >= a.length ? last_tap - a.length + 1 : 0;
    if (left == 0 && right == 0) return true;
    const int64_t margin = (left > right ? left : right) + 1;
    return j >= margin && j < a.length - margin;
}

// One thread of the fused backward. Its unit is read twice: as four input elements, whose gradient
// it writes to `gx_out` (returning how many, at *gx_offset), and as four output elements, whose
// shift-gradient terms it adds to part[3] (axes d, h, w, before the final negation). MIRROR (stride
// 1 on every axis): gradInput is the forward with mirrored taps, except in the band near the edges
// onto which padded taps fold, which takes the preimage walk of for_each_reader, as every element
// does at larger strides.
template <typename T, int PAD, bool MIRROR, typename S>
SC_HD int backward_thread(const shiftcuda_problem &p, const Tiling &tl, const Taps<T> *slots, const Taps<T> *cells,
                          const S *x, const S *g, bool learns, int64_t block, int thread, int64_t *gx_offset,
                          T gx_out[kUnitWidth], T part[3]) {
    part[0] = part[1] = part[2] = T(0);
    const Place at = locate(tl, block, thread);
    if (!at.valid) return 0;
    const int32_t row = at.unit / tl.vecs, c0 = (at.unit % tl.vecs) * kUnitWidth;
    const int64_t n = at.plane / p.channels, c = at.plane % p.channels;
    const Taps<T> &t = slots[at.slot];
    const S *g_plane = g + n * p.y_stride[0] + c * p.y_stride[1];
    const S *x_plane = x + n * p.x_stride[0] + c * p.x_stride[1];
    int written = 0;
    // gradInput for input elements (jd, jh, c0 ..< c0 + count).
    const int32_t in_rows = (int32_t)(p.in_size[0] * p.in_size[1]), in_width = (int32_t)p.in_size[2];
    if (row < in_rows && c0 < in_width) {
        const int32_t jd = row / (int32_t)p.in_size[1], jh = row % (int32_t)p.in_size[1];
        const int count = in_width - c0 < kUnitWidth ? in_width - c0 : kUnitWidth;
        *gx_offset = n * p.gx_stride[0] + c * p.gx_stride[1] +
                     (int64_t)((int32_t)p.gx_stride[2] * jd + (int32_t)p.gx_stride[3] * jh + (int32_t)p.gx_stride[4] * c0);
        for (int k = 0; k < kUnitWidth; ++k) gx_out[k] = T(0);
        if (!t.finite) {
            for (int k = 0; k < count; ++k) gx_out[k] = (T)NAN;
        } else {
            const Axis<T> &ad = t.axis[0], &ah = t.axis[1], &aw = t.axis[2];
            bool mirrored[kUnitWidth];
            const bool rows = MIRROR && unfolded<T, PAD>(ad, jd) && unfolded<T, PAD>(ah, jh);
            bool all_mirrored = rows;
            for (int k = 0; k < kUnitWidth; ++k) {
                mirrored[k] = rows && k < count && unfolded<T, PAD>(aw, c0 + k);
                all_mirrored = all_mirrored && (k >= count || mirrored[k]);
            }
            if (rows) {
                int32_t gs[3];
                plane_strides(p.y_stride, gs);
                for (int bd = 0; bd < ad.taps; ++bd) {
                    int64_t pd;
                    if (!mirrored_reader(ad, jd, bd, &pd)) continue;
                    for (int bh = 0; bh < ah.taps; ++bh) {
                        int64_t ph;
                        if (!mirrored_reader(ah, jh, bh, &ph)) continue;
                        const T wv = ad.weight_of(bd) * ah.weight_of(bh);
                        const S *src = g_plane + ((int32_t)pd * gs[0] + (int32_t)ph * gs[1]);
                        // The mirrored row reads g at c0 + k - base - b: when all of them lie in
                        // [0, count), a window of five serves the four elements (two taps each).
                        const int64_t low = c0 - aw.base - (aw.taps - 1), high = c0 + count - 1 - aw.base;
                        if (all_mirrored && low >= 0 && high < aw.count) {
                            T window[kUnitWidth + 1];
                            for (int i = 0; i < count + aw.taps - 1; ++i) window[i] = T(src[((int32_t)low + i) * gs[2]]);
                            // window[i] is g at low + i; element k, tap b reads low + k + (taps - 1) - b.
                            for (int k = 0; k < count; ++k) {
                                T sum = T(0);
                                for (int bw = 0; bw < aw.taps; ++bw) sum += aw.weight_of(bw) * window[k + aw.taps - 1 - bw];
                                gx_out[k] += wv * sum;
                            }
                            continue;
                        }
                        for (int k = 0; k < count; ++k) {
                            if (!mirrored[k]) continue;
                            T sum = T(0);
                            for (int bw = 0; bw < aw.taps; ++bw) {
                                int64_t pw;
                                if (mirrored_reader(aw, c0 + k, bw, &pw)) sum += aw.weight_of(bw) * T(src[(int32_t)pw * gs[2]]);
                            }
                            gx_out[k] += wv * sum;
                        }
                    }
                }
            }
            for (int k = 0; k < count; ++k) {
                if (mirrored[k]) continue;
                const int64_t j[3] = {jd, jh, c0 + k};
                gx_out[k] = gathered_gradient<T, PAD>(p, t, g, n, c, j);
            }
        }
        written = count;
    }
    // Shift-gradient terms for output elements (pd, ph, c0 ..< c0 + count), read through the
    // derivative cell (both taps on every axis).
    const int32_t out_rows = (int32_t)(p.out_size[0] * p.out_size[1]), out_width = (int32_t)p.out_size[2];
    if (learns && row < out_rows && c0 < out_width) {
        const Taps<T> &cell = cells[at.slot];
        if (!cell.finite) {
            part[0] = part[1] = part[2] = (T)NAN;
            return written;
        }
        const int32_t pd = row / (int32_t)p.out_size[1], ph = row % (int32_t)p.out_size[1];
        const int count = out_width - c0 < kUnitWidth ? out_width - c0 : kUnitWidth;
        int32_t xs[3], gs[3];
        plane_strides(p.x_stride, xs);
        plane_strides(p.y_stride, gs);
        T gv[kUnitWidth];
        for (int k = 0; k < count; ++k) gv[k] = T(g_plane[(int32_t)pd * gs[0] + (int32_t)ph * gs[1] + (c0 + k) * gs[2]]);
        const Axis<T> &ad = cell.axis[0], &ah = cell.axis[1], &aw = cell.axis[2];
        const bool inside = c0 >= aw.first && c0 + count <= aw.last;
        const bool windowed = inside && aw.step == 1;
        for_each_row<T, PAD>(cell, xs, pd, ph, [&](T, int32_t offset, int bd, int bh) {
            const S *src = x_plane + offset;
            const T wd = ad.weight_of(bd), wh = ah.weight_of(bh);
            // At stride 1 inside the axis, five samples serve the four outputs' two taps each.
            T window[kUnitWidth + 1];
            if (windowed)
                for (int k = 0; k <= count; ++k) window[k] = T(src[((int32_t)aw.base + c0 + k) * xs[2]]);
            for (int k = 0; k < count; ++k) {
                const int64_t raw = (int64_t)(c0 + k) * aw.step + aw.base;
                T v[2];
                for (int bw = 0; bw < 2; ++bw) {
                    if (windowed) {
                        v[bw] = gv[k] * window[k + bw];
                        continue;
                    }
                    const int64_t iw = inside ? raw + bw : border_tap<PAD>(raw + bw, aw.length);
                    v[bw] = iw >= 0 ? gv[k] * T(src[(int32_t)iw * xs[2]]) : T(0);
                }
                const T w0 = aw.weight_of(0), w1 = aw.weight_of(1);
                // d/du of the corner weights: -1 for b = 0, +1 for b = 1 on the axis differentiated.
                const T across = w0 * v[0] + w1 * v[1], along = v[1] - v[0];
                part[0] += (bd == 0 ? -wh : wh) * across;
                part[1] += (bh == 0 ? -wd : wd) * across;
                part[2] += wd * wh * along;
            }
        });
    }
    return written;
}

// One level of the block's fixed-order tree reduction, segment by segment: thread t adds the value
// `half` places above it when both lie in its segment. Called for half = 128, 64, ..., 1 with a
// barrier between levels; the result of a segment ends in its first thread. (Plane layout only.)
template <typename T>
SC_HD void reduce_level(const Place &at, int thread, int half, T (*sums)[kTileThreads]) {
    const int local = thread - at.segment_start;
    if (at.valid && local < half && local + half < at.segment_length)
        for (int a = 0; a < 3; ++a) sums[a][thread] += sums[a][thread + half];
}

// Channels-last: a channel's threads lie kChannelLanes apart; its lead (row 0) sums them in row
// order. Threads without work hold zeros.
template <typename T>
SC_HD void reduce_lanes(int thread, T (*sums)[kTileThreads], T out[3]) {
    for (int a = 0; a < 3; ++a) {
        T sum = T(0);
        for (int row = 0; row < kUnitLanes; ++row) sum += sums[a][thread + row * kChannelLanes];
        out[a] = sum;
    }
}

// gs[i] for i = c * k + j: -(sum over n, then over the plane's tiles, of the partials of axis j),
// a fixed order whatever the device.
template <typename T>
SC_HD T reduce_channel(const shiftcuda_problem &p, const Tiling &tl, const T *partials, int64_t i) {
    const int k = p.spatial_rank;
    const int64_t c = i / k;
    const int axis = 3 - k + (int)(i % k);
    T sum = T(0);
    for (int64_t n = 0; n < p.batch; ++n)
        for (int64_t tile = 0; tile < tl.tiles; ++tile) sum += partials[((n * p.channels + c) * tl.tiles + tile) * 3 + axis];
    return -sum;
}

}  // namespace shiftcuda

#endif

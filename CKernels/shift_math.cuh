// shift_math.cuh: what the shift kernels run per element, as __host__ __device__
// functions, so that the host test program checks exactly what the kernels run. Data is stored
// as S and computed in T (S = T, or S = half with T = float): every read converts with T(...). The taps
// themselves (base, weights, interior, derivative cell) come from the one definition in
// shift_taps.h, the header the CPU reads too; nothing here re-derives them.
#ifndef SHIFT_MATH_CUH
#define SHIFT_MATH_CUH

#include <math.h>
#include <stdint.h>
#include "shift_taps.h"
#include "shiftcuda.h"

#ifdef __CUDACC__
#define SC_HD __host__ __device__ __forceinline__
#define SC_HD_CALL __host__ __device__ __noinline__
#else
#define SC_HD inline
#define SC_HD_CALL inline
#endif

static_assert((int)SHIFTCUDA_ZEROS == (int)SHIFT_TAPS_ZEROS && (int)SHIFTCUDA_BORDER == (int)SHIFT_TAPS_BORDER &&
                  (int)SHIFTCUDA_PERIODIC == (int)SHIFT_TAPS_PERIODIC && (int)SHIFTCUDA_REFLECT == (int)SHIFT_TAPS_REFLECT &&
                  (int)SHIFTCUDA_SYMMETRIC == (int)SHIFT_TAPS_SYMMETRIC,
              "shiftcuda.h and shift_taps.h number the paddings alike");

namespace shiftcuda {

enum Sampling { INTERPOLATE = SHIFT_TAPS_INTERPOLATE, BOTH_TAPS = SHIFT_TAPS_BOTH, ROUND = SHIFT_TAPS_ROUND };

// One spatial axis of one channel, as shift_taps.h computes it, with the axis' sizes beside it:
// output p reads taps p * step + base + b (b < taps) with weights 1 - weight (b = 0) and weight
// (b = 1); outputs in [first, last) read inside the axis.
template <typename T>
struct Axis {
    int64_t length, count, step, base, first, last;
    T weight;
    int taps;
    int padding;
    int finite;

    SC_HD int64_t tap(int64_t p, int b) const { return shift_tap_map(p * step + base + b, length, padding); }
    SC_HD T weight_of(int b) const { return b == 0 ? T(1) - weight : weight; }
};

template <typename C, typename T>
SC_HD Axis<T> axis_from(const C &c, int64_t length, int64_t count, int64_t step, int padding) {
    Axis<T> a;
    a.length = length; a.count = count; a.step = step; a.padding = padding;
    a.base = c.base; a.first = c.first; a.last = c.last; a.weight = c.weight; a.taps = c.taps; a.finite = c.finite;
    return a;
}

// The tap definition for each element type: one C function per type (shift_taps.h).
template <typename T>
SC_HD Axis<T> make_axis(T shift, int64_t origin, int64_t length, int64_t count, int64_t step, int padding, int sampling);

template <>
SC_HD Axis<float> make_axis<float>(float shift, int64_t origin, int64_t length, int64_t count, int64_t step, int padding,
                                   int sampling) {
    return axis_from<shift_axis_f, float>(shift_axis_taps_f(shift, origin, length, count, step, padding, sampling),
                                          length, count, step, padding);
}

template <>
SC_HD Axis<double> make_axis<double>(double shift, int64_t origin, int64_t length, int64_t count, int64_t step,
                                     int padding, int sampling) {
    return axis_from<shift_axis_d, double>(shift_axis_taps_d(shift, origin, length, count, step, padding, sampling),
                                           length, count, step, padding);
}

// The taps of all three lifted axes of channel c; lifted axes read tap 0 only.
// `finite` is 0 when any of the channel's shifts is NaN or infinite (possible only for shifts
// that live on the device, which are not read back to be checked): every path then writes NaN
// for the channel, since NaN weights alone would still give 0 where zeros padding skips
// a tap.
template <typename T>
struct Taps {
    Axis<T> axis[3];
    int finite;
};

template <typename T>
SC_HD Taps<T> make_taps(const shiftcuda_problem &p, const T *shifts, int64_t c, int sampling) {
    Taps<T> t;
    int lift = 3 - p.spatial_rank;
    for (int a = 0; a < 3; ++a) {
        bool lifted = a < lift;
        T s = lifted ? T(0) : shifts[c * p.shift_stride[0] + (a - lift) * p.shift_stride[1]];
        t.axis[a] = make_axis<T>(s, p.origin[a], p.in_size[a], p.out_size[a], p.step[a], p.padding,
                                 lifted ? ROUND : sampling);
    }
    t.finite = t.axis[0].finite & t.axis[1].finite & t.axis[2].finite;
    return t;
}

SC_HD int forward_sampling(const shiftcuda_problem &p) { return p.mode == SHIFTCUDA_ACTIVE ? INTERPOLATE : ROUND; }

// The corners (bd, bh, bw) that output position pos reads, those whose three taps land inside
// the input (a zeros-padded tap maps to -1 and is skipped), in the one fixed order the sums over
// them rely on; each comes with its offset in an input plane (x strides).
template <typename T, typename Visit>
SC_HD void for_each_corner(const shiftcuda_problem &p, const Taps<T> &t, const int64_t pos[3], Visit visit) {
    for (int bd = 0; bd < t.axis[0].taps; ++bd) {
        int64_t id = t.axis[0].tap(pos[0], bd);
        if (id < 0) continue;
        for (int bh = 0; bh < t.axis[1].taps; ++bh) {
            int64_t ih = t.axis[1].tap(pos[1], bh);
            if (ih < 0) continue;
            for (int bw = 0; bw < t.axis[2].taps; ++bw) {
                int64_t iw = t.axis[2].tap(pos[2], bw);
                if (iw < 0) continue;
                visit(bd, bh, bw, id * p.x_stride[2] + ih * p.x_stride[3] + iw * p.x_stride[4]);
            }
        }
    }
}

// y[n, c, pd, ph, pw]: the sum over corners of the weights times the padded input.
template <typename T, typename S>
SC_HD T forward_element(const shiftcuda_problem &p, const Taps<T> &t, const S *x, int64_t n, int64_t c,
                        const int64_t pos[3]) {
    const S *plane = x + n * p.x_stride[0] + c * p.x_stride[1];
    T sum = T(0);
    for_each_corner(p, t, pos, [&](int bd, int bh, int bw, int64_t at) {
        sum += t.axis[0].weight_of(bd) * t.axis[1].weight_of(bh) * t.axis[2].weight_of(bw) * T(plane[at]);
    });
    return sum;
}

// The output positions p and taps b of one axis whose tap reads input index j: the preimage of j
// under the padding, walked in increasing raw tap order so that sums are deterministic.
// PAD is a template constant: the three nested walks of grad_input_element inline each visit at
// every call site of the switch, so a runtime padding multiplied the code (and compile time) by
// the cube of the switch's size.
template <int PAD, typename T, typename Visit>
SC_HD void for_each_reader(const Axis<T> &a, int64_t j, Visit visit) {
    if (a.count == 0) return;
    int64_t lo = a.base, hi = (a.count - 1) * a.step + a.base + a.taps - 1;  // raw tap range
    auto raw = [&](int64_t i) {
        for (int b = 0; b < a.taps; ++b) {
            int64_t q = i - a.base - b;
            if (q >= 0 && q % a.step == 0 && q / a.step < a.count) visit(q / a.step, a.weight_of(b));
        }
    };
    auto residue = [&](int64_t r, int64_t period) {
        for (int64_t i = lo + shift_taps_floor_mod(r - lo, period); i <= hi; i += period) raw(i);
    };
    switch (PAD) {
    case SHIFTCUDA_ZEROS:
        if (j >= lo && j <= hi) raw(j);
        break;
    case SHIFTCUDA_BORDER: {
        int64_t from = (j == 0) ? lo : j, to = (j == a.length - 1) ? hi : j;
        for (int64_t i = from > lo ? from : lo; i <= (to < hi ? to : hi); ++i) raw(i);
        break;
    }
    case SHIFTCUDA_PERIODIC:
        residue(j, a.length);
        break;
    case SHIFTCUDA_REFLECT: {
        if (a.length == 1) { for (int64_t i = lo; i <= hi; ++i) raw(i); break; }
        int64_t period = shift_taps_period(a.length, PAD);
        residue(j, period);
        if (j != 0 && j != a.length - 1) residue(period - j, period);
        break;
    }
    default: {
        int64_t period = 2 * a.length;
        residue(j, period);
        residue(period - 1 - j, period);
        break;
    }
    }
}

// gx[n, c, jd, jh, jw] = sum over every (output, corner) that reads this input of weight * g.
template <typename T, int PAD, typename S>
SC_HD T grad_input_element(const shiftcuda_problem &p, const Taps<T> &t, const S *g, int64_t n, int64_t c,
                           const int64_t j[3]) {
    const S *plane = g + n * p.y_stride[0] + c * p.y_stride[1];
    T sum = T(0);
    for_each_reader<PAD>(t.axis[0], j[0], [&](int64_t pd, T wd) {
        for_each_reader<PAD>(t.axis[1], j[1], [&](int64_t ph, T wh) {
            T wv = wd * wh;
            for_each_reader<PAD>(t.axis[2], j[2], [&](int64_t pw, T ww) {
                sum += wv * ww * T(plane[pd * p.y_stride[2] + ph * p.y_stride[3] + pw * p.y_stride[4]]);
            });
        });
    });
    return sum;
}

// The same with the padding known at run time (the host checks).
template <typename T, typename S>
SC_HD T grad_input_element_any(const shiftcuda_problem &p, const Taps<T> &t, const S *g, int64_t n, int64_t c,
                               const int64_t j[3]) {
    switch (p.padding) {
    case SHIFTCUDA_ZEROS: return grad_input_element<T, SHIFTCUDA_ZEROS>(p, t, g, n, c, j);
    case SHIFTCUDA_BORDER: return grad_input_element<T, SHIFTCUDA_BORDER>(p, t, g, n, c, j);
    case SHIFTCUDA_PERIODIC: return grad_input_element<T, SHIFTCUDA_PERIODIC>(p, t, g, n, c, j);
    case SHIFTCUDA_REFLECT: return grad_input_element<T, SHIFTCUDA_REFLECT>(p, t, g, n, c, j);
    default: return grad_input_element<T, SHIFTCUDA_SYMMETRIC>(p, t, g, n, c, j);
    }
}

// g[n, c, pos] * dy/du_a for the three lifted axes (the shift gradient is the negation).
template <typename T, typename S>
SC_HD void shift_grad_element(const shiftcuda_problem &p, const Taps<T> &cell, const S *x, T gv,
                              int64_t n, int64_t c, const int64_t pos[3], T out[3]) {
    const S *plane = x + n * p.x_stride[0] + c * p.x_stride[1];
    out[0] = out[1] = out[2] = T(0);
    for_each_corner(p, cell, pos, [&](int bd, int bh, int bw, int64_t at) {
        T v = gv * T(plane[at]);
        T wd = cell.axis[0].weight_of(bd), wh = cell.axis[1].weight_of(bh), ww = cell.axis[2].weight_of(bw);
        out[0] += (bd == 0 ? -wh : wh) * ww * v;
        out[1] += (bh == 0 ? -wd : wd) * ww * v;
        out[2] += (bw == 0 ? -wd : wd) * wh * v;
    });
}

// Splits a linear index over a 5-D box [n, c, d, h, w] into its indices, walking the axes in
// `order` (outermost first) so that the innermost axis varies fastest.
SC_HD void unravel(int64_t linear, const int64_t size[5], const int32_t order[5], int64_t index[5]) {
    for (int k = 4; k >= 0; --k) {
        int axis = order[k];
        index[axis] = linear % size[axis];
        linear /= size[axis];
    }
}

}  // namespace shiftcuda

#endif

/*
 * shift_taps.h: the one definition of a shift's taps, shared by the CPU ops (through
 * the CShiftTaps target) and every CUDA kernel (the Makefile adds this folder to nvcc's -I).
 *
 * For one channel and one spatial axis, output p reads input taps p * step + base + b for
 * b < taps, each mapped through the padding (shift_tap_map), with weights 1 - weight (b = 0) and
 * weight (b = 1). Outputs in [first, last) read every tap inside 0..<length: kernels run them
 * without padding logic. The derivative cell is the same function with
 * SHIFT_TAPS_BOTH (two taps even on the lattice).
 *
 * Plain C so that Swift, g++ and nvcc all compile the same text. The arithmetic has no a * b + c
 * in floating point, so FMA contraction cannot make nvcc disagree with a host compiler; the only
 * floating operations are negation, rint, floor, one exact subtraction (v - floor(v)), exact
 * conversions to double, fmod (exact) and comparisons. Under nvcc the functions are
 * __host__ __device__: each CUDA block computes its channel's entry from the shifts on the device.
 */
#ifndef SHIFT_TAPS_H
#define SHIFT_TAPS_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define SHIFT_TAPS_FN static __host__ __device__ __forceinline__
#else
#define SHIFT_TAPS_FN static inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Padding modes, numbered as ShiftPadding's cases and shiftcuda.h's SHIFTCUDA_*. */
enum { SHIFT_TAPS_ZEROS = 0, SHIFT_TAPS_BORDER = 1, SHIFT_TAPS_PERIODIC = 2, SHIFT_TAPS_REFLECT = 3,
       SHIFT_TAPS_SYMMETRIC = 4 };

/* How a shift becomes taps: interpolate at s (one tap on the lattice), interpolate with both taps
   always (the derivative's cell), or round half to even (sparse forward, grouped). */
enum { SHIFT_TAPS_INTERPOLATE = 0, SHIFT_TAPS_BOTH = 1, SHIFT_TAPS_ROUND = 2 };

/* One axis of one channel. `finite` is 0 when the shift was NaN or infinite: the entry is then a
   harmless placeholder (one tap at base 0, empty interior) and every kernel writes NaN for the
   channel instead of reading through it. */
typedef struct shift_axis_f {
    int64_t base, first, last;
    float weight;
    int32_t taps, finite;
} shift_axis_f;

typedef struct shift_axis_d {
    int64_t base, first, last;
    double weight;
    int32_t taps, finite;
} shift_axis_d;

/* floor(a / b) and the non-negative remainder, for b > 0. */
SHIFT_TAPS_FN int64_t shift_taps_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

SHIFT_TAPS_FN int64_t shift_taps_floor_mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

/* The period of the padding's index map on an axis of length n >= 1, or 0 when it has none. */
SHIFT_TAPS_FN int64_t shift_taps_period(int64_t n, int padding) {
    switch (padding) {
    case SHIFT_TAPS_PERIODIC: return n;
    case SHIFT_TAPS_REFLECT: return n == 1 ? 1 : 2 * (n - 1);
    case SHIFT_TAPS_SYMMETRIC: return 2 * n;
    default: return 0;
    }
}

/* The input index that raw tap i reads on an axis of length n >= 1, or -1 for a zero. */
SHIFT_TAPS_FN int64_t shift_tap_map(int64_t i, int64_t n, int padding) {
    switch (padding) {
    case SHIFT_TAPS_ZEROS: return (i >= 0 && i < n) ? i : -1;
    case SHIFT_TAPS_BORDER: return i < 0 ? 0 : (i >= n ? n - 1 : i);
    case SHIFT_TAPS_PERIODIC: return shift_taps_floor_mod(i, n);
    case SHIFT_TAPS_REFLECT: {
        if (n == 1) return 0;
        int64_t period = 2 * (n - 1), r = shift_taps_floor_mod(i, period);
        return r < n ? r : period - r;
    }
    default: {
        int64_t period = 2 * n, r = shift_taps_floor_mod(i, period);
        return r < n ? r : period - 1 - r;
    }
    }
}

/* The outputs p in [*first, *last) whose taps p * step + base + b, b < taps, all lie in 0..<length. */
SHIFT_TAPS_FN void shift_taps_interior(int64_t base, int32_t taps, int64_t length, int64_t count, int64_t step,
                                       int64_t *first, int64_t *last) {
    int64_t f = -shift_taps_floor_div(base, step);
    f = f > 0 ? f : 0;
    f = f < count ? f : count;
    int64_t l = shift_taps_floor_div(length - taps - base, step) + 1;
    l = l < count ? l : count;
    *first = f;
    *last = l > f ? l : f;
}

/* The integer part of the taps: origin + q (q = floor of the negated shift, a whole number held
   in double) reduced so that no index overflows whatever the shift's size. For the periodic
   modes the reduction is exact modulo the period, taking the congruent base nearest the middle of
   the axis, or the neighbour one period away when that keeps more outputs padding-free (integer
   halving can leave the best one there); for zeros and border, clamping keeps every tap on the
   same side of the axis, which reads the same values. Then the interior. */
SHIFT_TAPS_FN void shift_taps_place(double q, int64_t origin, int64_t length, int64_t count, int64_t step,
                                    int padding, int32_t taps, int64_t *base, int64_t *first, int64_t *last) {
    int64_t b;
    if (length == 0) {
        b = 0;
    } else {
        int64_t period = shift_taps_period(length, padding);
        if (period != 0) {
            int64_t reduced = (int64_t)fmod(q, (double)period);
            int64_t centre = (length - 1 - (count - 1 > 0 ? count - 1 : 0) * step) / 2;
            int64_t half = period / 2;
            int64_t near = centre + shift_taps_floor_mod(origin + reduced - centre + half, period) - half;
            int64_t f, l;
            shift_taps_interior(near, taps, length, count, step, &f, &l);
            int64_t longest = l - f;
            b = near;
            for (int side = -1; side <= 1; side += 2) {
                int64_t candidate = near + side * period;
                shift_taps_interior(candidate, taps, length, count, step, &f, &l);
                if (l - f > longest) {
                    b = candidate;
                    longest = l - f;
                }
            }
        } else {
            double limit = (double)(count * step + length + 2);
            double v = (double)origin + q;
            v = v > -limit ? v : -limit;
            v = v < limit ? v : limit;
            b = (int64_t)v;
        }
    }
    *base = b;
    shift_taps_interior(b, taps, length, count, step, first, last);
}

/* The taps of an axis with `length` input and `count` output samples at `step`. The caller
   guarantees count * step + length fits comfortably in int64 (ShiftProblem caps it at 2^52). */
SHIFT_TAPS_FN shift_axis_d shift_axis_taps_d(double shift, int64_t origin, int64_t length, int64_t count,
                                             int64_t step, int padding, int sampling) {
    shift_axis_d a;
    if (!isfinite(shift)) {
        a.base = 0; a.first = 0; a.last = 0; a.weight = 0.0; a.taps = 1; a.finite = 0;
        return a;
    }
    double v = sampling == SHIFT_TAPS_ROUND ? rint(-shift) : -shift;
    double q = floor(v);
    a.weight = v - q;
    a.taps = (sampling == SHIFT_TAPS_BOTH || a.weight != 0.0) ? 2 : 1;
    a.finite = 1;
    shift_taps_place(q, origin, length, count, step, padding, a.taps, &a.base, &a.first, &a.last);
    return a;
}

/* The same for float shifts, computed in double and narrowed: the bits float arithmetic would
   give. Negation, rint and floor are exact on a float's value in either type, and so is
   v - floor(v) for v >= 0 or v <= -1. For -1 < v < 0 it is 1 - |v|: double holds it exactly when
   |v| >= 2^-30, so narrowing rounds it once, as float subtraction does; below that both round to
   1 (the double result is never halfway between two floats). TapDefinitionTests compares the
   two bit for bit. */
SHIFT_TAPS_FN shift_axis_f shift_axis_taps_f(float shift, int64_t origin, int64_t length, int64_t count,
                                             int64_t step, int padding, int sampling) {
    shift_axis_d d = shift_axis_taps_d((double)shift, origin, length, count, step, padding, sampling);
    shift_axis_f a = { d.base, d.first, d.last, (float)d.weight, d.taps, d.finite };
    return a;
}

#ifdef __cplusplus
}
#endif

#endif

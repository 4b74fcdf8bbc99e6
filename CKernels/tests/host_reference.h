// The reference the host checks compare the kernels with, written from the definitions of the
// shift (sampling, padding, backward) and independently of shift_taps.h and the kernels, shared
// by host_math_test.cpp and host_tiles_test.cpp so that both tests check against one oracle.
#ifndef SHIFTCUDA_HOST_REFERENCE_H
#define SHIFTCUDA_HOST_REFERENCE_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>
#include "shiftcuda.h"

namespace reference {

inline int passed = 0, failed = 0;

// Counts a check, printing the failures.
inline void check(bool ok, const char *what, int trial) {
    if (ok) { ++passed; return; }
    ++failed;
    std::printf("FAILED: %s (trial %d)\n", what, trial);
}

// The index a tap at integer position i reads on an axis of length n (n >= 1), or -1 for a zero
// (padding) read. Periodic padding wraps with a non-negative remainder; reflect mirrors about the
// edge samples without repeating them (period 2(n - 1), and n = 1 always reads 0); symmetric
// mirrors with the edge sample repeated (period 2n). Both mirrors fold i into one period first,
// then reflect the upper half of the period back into [0, n).
inline int64_t tap(int64_t i, int64_t n, int padding) {
    switch (padding) {
    case SHIFTCUDA_ZEROS: return (i >= 0 && i < n) ? i : -1;
    case SHIFTCUDA_BORDER: return i < 0 ? 0 : (i >= n ? n - 1 : i);
    case SHIFTCUDA_PERIODIC: return ((i % n) + n) % n;
    case SHIFTCUDA_REFLECT: {
        if (n == 1) return 0;
        const int64_t period = 2 * (n - 1), j = ((i % period) + period) % period;
        return j < n ? j : period - j;
    }
    default: {
        const int64_t period = 2 * n, j = ((i % period) + period) % period;
        return j < n ? j : period - 1 - j;
    }
    }
}

// The number of elements of an [N, C] + size box.
inline size_t count_of(const shiftcuda_problem &p, const int64_t size[3]) {
    return (size_t)(p.batch * p.channels * size[0] * size[1] * size[2]);
}

// The shifts the forward samples at: rounded half to even for sparse and grouped.
inline std::vector<double> sampled(const shiftcuda_problem &p, std::vector<double> s) {
    if (p.mode != SHIFTCUDA_ACTIVE) for (auto &v : s) v = std::nearbyint(v);
    return s;
}

// The forward literally, in double, for shifts s (already rounded for sparse and grouped),
// indexed by the problem's strides (x and y dense, in any axis order): each output position
// samples u = p * step + origin - s on each axis and interpolates between the two taps around
// it, reading through the padding; a tap of weight zero is not read. A huge shift is reduced
// modulo the padding's period (or clamped for zeros and border padding) in exact arithmetic. A
// channel with a non-finite shift is left at 0 here: its expected values are NaN, which the
// callers check themselves.
inline std::vector<double> forward(const shiftcuda_problem &p, const std::vector<double> &x, const std::vector<double> &s) {
    std::vector<double> y(count_of(p, p.out_size), 0.0);
    const int lift = 3 - p.spatial_rank;
    for (int64_t n = 0; n < p.batch; ++n)
        for (int64_t c = 0; c < p.channels; ++c)
            for (int64_t pd = 0; pd < p.out_size[0]; ++pd)
                for (int64_t ph = 0; ph < p.out_size[1]; ++ph)
                    for (int64_t pw = 0; pw < p.out_size[2]; ++pw) {
                        const int64_t pos[3] = {pd, ph, pw};
                        int64_t f[3];
                        double t[3];
                        bool finite = true;
                        for (int a = 0; a < 3; ++a) {
                            const double shift = a < lift ? 0 : s[c * p.spatial_rank + a - lift];
                            finite = finite && std::isfinite(shift);
                            double u = double(pos[a] * p.step[a] + p.origin[a]) - shift;
                            if (!std::isfinite(u)) u = 0;
                            const int64_t period = p.padding == SHIFTCUDA_PERIODIC ? p.in_size[a]
                                                 : p.padding == SHIFTCUDA_REFLECT ? (p.in_size[a] == 1 ? 1 : 2 * (p.in_size[a] - 1))
                                                 : p.padding == SHIFTCUDA_SYMMETRIC ? 2 * p.in_size[a] : 0;
                            double fl = std::floor(u);
                            t[a] = u - fl;
                            if (period > 0) fl = std::fmod(fl, double(period));
                            else fl = std::fmax(std::fmin(fl, 1e12), -1e12);
                            f[a] = (int64_t)fl;
                        }
                        if (!finite) continue;
                        double sum = 0;
                        for (int corner = 0; corner < 8; ++corner) {
                            double w = 1;
                            int64_t idx[3];
                            bool inside = true;
                            for (int a = 0; a < 3; ++a) {
                                const int b = (corner >> (2 - a)) & 1;
                                w *= b ? t[a] : 1 - t[a];
                                idx[a] = tap(f[a] + b, p.in_size[a], p.padding);
                                inside = inside && idx[a] >= 0;
                            }
                            if (inside && w != 0)
                                sum += w * x[n * p.x_stride[0] + c * p.x_stride[1] + idx[0] * p.x_stride[2] +
                                             idx[1] * p.x_stride[3] + idx[2] * p.x_stride[4]];
                        }
                        y[n * p.y_stride[0] + c * p.y_stride[1] + pd * p.y_stride[2] + ph * p.y_stride[3] + pw * p.y_stride[4]] = sum;
                    }
    return y;
}

inline double dot(const std::vector<double> &a, const std::vector<double> &b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace reference

#endif

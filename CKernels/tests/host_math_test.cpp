// Checks the kernels' per-element math (shift_math.cuh) on the host, against the shared reference
// (host_reference.h), so that CI proves the index, padding and interpolation math without a GPU.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include "shift_math.cuh"
#include "host_reference.h"

using namespace shiftcuda;

using reference::check;
using reference::dot;

struct Case {
    shiftcuda_problem p;
    std::vector<double> x, shifts, g;
};

static Case make_case(std::mt19937_64 &rng, int trial) {
    std::uniform_int_distribution<int> size(1, 6), small(0, 3);
    std::uniform_real_distribution<double> unit(-1, 1);
    Case k{};
    shiftcuda_problem &p = k.p;
    p.spatial_rank = 1 + trial % 3;
    p.mode = trial % 2 == 0 ? SHIFTCUDA_ACTIVE : SHIFTCUDA_SPARSE;
    p.padding = (trial / 2) % 5;
    p.batch = 1 + small(rng) % 2;
    p.channels = 1 + small(rng);
    int lift = 3 - p.spatial_rank;
    for (int a = 0; a < 3; ++a) {
        bool lifted = a < lift;
        p.in_size[a] = lifted ? 1 : size(rng);
        p.step[a] = lifted ? 1 : 1 + small(rng) % 2;
        p.origin[a] = lifted ? 0 : small(rng) - 1;
        p.out_size[a] = lifted ? 1 : (p.in_size[a] + p.step[a] - 1) / p.step[a] + small(rng) % 2;
    }
    // Input in NCDHW order; output and gradients likewise (the kernels take any strides).
    int64_t in_sp = p.in_size[0] * p.in_size[1] * p.in_size[2], out_sp = p.out_size[0] * p.out_size[1] * p.out_size[2];
    int64_t xs[5] = {p.channels * in_sp, in_sp, p.in_size[1] * p.in_size[2], p.in_size[2], 1};
    int64_t ys[5] = {p.channels * out_sp, out_sp, p.out_size[1] * p.out_size[2], p.out_size[2], 1};
    for (int a = 0; a < 5; ++a) { p.x_stride[a] = xs[a]; p.gx_stride[a] = xs[a]; p.y_stride[a] = ys[a]; p.order[a] = a; }
    p.shift_stride[0] = p.spatial_rank; p.shift_stride[1] = 1;
    k.x.resize(p.batch * p.channels * in_sp);
    k.g.resize(p.batch * p.channels * out_sp);
    for (auto &v : k.x) v = unit(rng);
    for (auto &v : k.g) v = unit(rng);
    std::uniform_real_distribution<double> frac(0.1, 0.9);
    for (int64_t c = 0; c < p.channels * p.spatial_rank; ++c)
        k.shifts.push_back(double(small(rng) - 2) + frac(rng));  // off the lattice
    return k;
}

static std::vector<double> kernel_forward(const shiftcuda_problem &p, const std::vector<double> &x, const std::vector<double> &s) {
    std::vector<double> y(p.batch * p.channels * p.out_size[0] * p.out_size[1] * p.out_size[2]);
    const int64_t size[5] = {p.batch, p.channels, p.out_size[0], p.out_size[1], p.out_size[2]};
    for (size_t i = 0; i < y.size(); ++i) {
        int64_t index[5];
        unravel((int64_t)i, size, p.order, index);
        Taps<double> taps = make_taps<double>(p, s.data(), index[1], forward_sampling(p));
        const int64_t pos[3] = {index[2], index[3], index[4]};
        y[index[0] * p.y_stride[0] + index[1] * p.y_stride[1] + pos[0] * p.y_stride[2] + pos[1] * p.y_stride[3] + pos[2]] =
            forward_element<double>(p, taps, x.data(), index[0], index[1], pos);
    }
    return y;
}

int main() {
    std::mt19937_64 rng(2024);
    // The padding table of the definition through make_axis + forward_element (1-D, x = [1..5],
    // shifts 3 / -3 / 7), and the reference's tap on the same table.
    const double table[5][3][5] = {
        {{0, 0, 0, 1, 2}, {4, 5, 0, 0, 0}, {0, 0, 0, 0, 0}}, {{1, 1, 1, 1, 2}, {4, 5, 5, 5, 5}, {1, 1, 1, 1, 1}},
        {{3, 4, 5, 1, 2}, {4, 5, 1, 2, 3}, {4, 5, 1, 2, 3}}, {{4, 3, 2, 1, 2}, {4, 5, 4, 3, 2}, {2, 3, 4, 5, 4}},
        {{3, 2, 1, 1, 2}, {4, 5, 5, 4, 3}, {4, 5, 5, 4, 3}}};
    const double shifts_1d[3] = {3, -3, 7};
    for (int padding = 0; padding < 5; ++padding)
        for (int k = 0; k < 3; ++k) {
            shiftcuda_problem p{};
            p.spatial_rank = 1; p.mode = SHIFTCUDA_ACTIVE; p.padding = padding; p.batch = 1; p.channels = 1;
            for (int a = 0; a < 3; ++a) { p.in_size[a] = a == 2 ? 5 : 1; p.out_size[a] = p.in_size[a]; p.step[a] = 1; }
            int64_t st[5] = {5, 5, 5, 5, 1};
            for (int a = 0; a < 5; ++a) { p.x_stride[a] = st[a]; p.y_stride[a] = st[a]; p.order[a] = a; }
            p.shift_stride[0] = 1; p.shift_stride[1] = 1;
            std::vector<double> x = {1, 2, 3, 4, 5}, s = {shifts_1d[k]};
            std::vector<double> y = kernel_forward(p, x, s);
            bool ok = true;
            for (int i = 0; i < 5; ++i) ok = ok && y[i] == table[padding][k][i];
            check(ok, "padding table", padding * 3 + k);
            std::vector<double> r = reference::forward(p, x, s);
            check(r == std::vector<double>(table[padding][k], table[padding][k] + 5), "reference padding table", padding * 3 + k);
            // Huge shifts: the same values as their remainder modulo the period (or all-padding).
            if (padding >= SHIFTCUDA_PERIODIC) {
                double period = double(shift_taps_period(5, padding));
                std::vector<double> huge = {1e30}, reduced = {std::fmod(1e30, period)};
                check(kernel_forward(p, x, huge) == reference::forward(p, x, reduced), "huge shift reduction", padding);
            }
        }

    for (int trial = 0; trial < 300; ++trial) {
        Case k = make_case(rng, trial);
        const shiftcuda_problem &p = k.p;
        std::vector<double> rounded = k.shifts;
        if (p.mode == SHIFTCUDA_SPARSE) for (auto &v : rounded) v = std::nearbyint(v);
        // Forward.
        std::vector<double> y = kernel_forward(p, k.x, k.shifts), expected = reference::forward(p, k.x, rounded);
        double worst = 0;
        for (size_t i = 0; i < y.size(); ++i) worst = std::fmax(worst, std::fabs(y[i] - expected[i]));
        check(worst <= 1e-12, "forward matches the reference", trial);
        // gradInput (gather) against the adjoint identity <g, f(v)> = <f^T g, v> for basis-free v.
        std::vector<double> gx(k.x.size());
        const int64_t size[5] = {p.batch, p.channels, p.in_size[0], p.in_size[1], p.in_size[2]};
        for (size_t i = 0; i < gx.size(); ++i) {
            int64_t index[5];
            unravel((int64_t)i, size, p.order, index);
            Taps<double> taps = make_taps<double>(p, k.shifts.data(), index[1], forward_sampling(p));
            const int64_t j[3] = {index[2], index[3], index[4]};
            gx[i] = grad_input_element_any<double>(p, taps, k.g.data(), index[0], index[1], j);
        }
        std::vector<double> v(k.x.size());
        std::uniform_real_distribution<double> unit(-1, 1);
        for (auto &e : v) e = unit(rng);
        double lhs = dot(k.g, reference::forward(p, v, rounded)), rhs = dot(gx, v);
        check(std::fabs(lhs - rhs) <= 1e-12 * std::fmax(1, std::fabs(lhs)), "gradInput is the adjoint", trial);
        // Shift gradient against central differences of <g, f(s)> through the active forward.
        std::vector<double> gs(3 * p.channels, 0.0);
        for (int64_t n = 0; n < p.batch; ++n)
            for (int64_t c = 0; c < p.channels; ++c) {
                Taps<double> cell = make_taps<double>(p, k.shifts.data(), c, BOTH_TAPS);
                for (int64_t pd = 0; pd < p.out_size[0]; ++pd)
                    for (int64_t ph = 0; ph < p.out_size[1]; ++ph)
                        for (int64_t pw = 0; pw < p.out_size[2]; ++pw) {
                            const int64_t pos[3] = {pd, ph, pw};
                            double gv = k.g[n * p.y_stride[0] + c * p.y_stride[1] + pd * p.y_stride[2] + ph * p.y_stride[3] + pw];
                            double e[3];
                            shift_grad_element<double>(p, cell, k.x.data(), gv, n, c, pos, e);
                            for (int a = 0; a < 3; ++a) gs[c * 3 + a] -= e[a];
                        }
            }
        bool ok = true;
        for (int64_t c = 0; c < p.channels; ++c)
            for (int j = 0; j < p.spatial_rank; ++j) {
                std::vector<double> plus = k.shifts, minus = k.shifts;
                plus[c * p.spatial_rank + j] += 1e-6;
                minus[c * p.spatial_rank + j] -= 1e-6;
                double numeric = (dot(k.g, reference::forward(p, k.x, plus)) - dot(k.g, reference::forward(p, k.x, minus))) / 2e-6;
                double analytic = gs[c * 3 + (3 - p.spatial_rank) + j];
                ok = ok && std::fabs(numeric - analytic) <= 1e-6 * std::fmax(1, std::fabs(numeric));
            }
        check(ok, "shift gradient matches finite differences", trial);
    }
    std::printf("%d passed, %d failed\n", reference::passed, reference::failed);
    return reference::failed == 0 ? 0 : 1;
}

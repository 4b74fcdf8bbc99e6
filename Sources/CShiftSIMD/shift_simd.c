#include "shift_simd.h"

#include <stdlib.h>
#include <string.h>

/* Same arithmetic on every level: never contract a * b + c into a fused multiply-add. */
#pragma clang fp contract(off)

/* The loops, written once; each level's wrapper inlines them under its own target features and
   the compiler vectorises them to that width. */
static inline __attribute__((always_inline)) void
bilinear_body(float *restrict out, const float *restrict p0, const float *restrict p1,
              float a0, float b0, float a1, float b1, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        out[i] = (a0 * p0[i] + b0 * p0[i + 1]) + (a1 * p1[i] + b1 * p1[i + 1]);
    }
}

static inline __attribute__((always_inline)) void
linear_body(float *restrict out, const float *restrict p, float a, float b, int64_t count, int accumulate) {
    if (accumulate) {
        for (int64_t i = 0; i < count; i++) out[i] += a * p[i] + b * p[i + 1];
    } else {
        for (int64_t i = 0; i < count; i++) out[i] = a * p[i] + b * p[i + 1];
    }
}

typedef float lanes8 __attribute__((vector_size(32)));

/* An unaligned load of eight floats (a macro: a function returning a vector would have an
   ABI that depends on the caller's target). */
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(lanes8))

static inline __attribute__((always_inline)) void
dot_differences_body(const float *g, const float *x, int64_t count, float *diff_lanes, float *base_lanes) {
    lanes8 diff = {0}, base = {0};
    for (int64_t i = 0; i + 8 <= count; i += 8) {
        lanes8 gv, x0, x1;
        LOAD8(gv, g + i);
        LOAD8(x0, x + i);
        LOAD8(x1, x + i + 1);
        diff += gv * (x1 - x0);
        base += gv * x0;
    }
    memcpy(diff_lanes, &diff, sizeof diff);
    memcpy(base_lanes, &base, sizeof base);
}

#if defined(__x86_64__) && defined(__clang__)
#define SHIFT_SIMD_X86 1
#define LEVEL_FUNCTIONS(suffix, features)                                                          \
    __attribute__((target(features))) static void bilinear_##suffix(                               \
        float *out, const float *p0, const float *p1, float a0, float b0, float a1, float b1,    \
        int64_t count) {                                                                           \
        bilinear_body(out, p0, p1, a0, b0, a1, b1, count);                                         \
    }                                                                                              \
    __attribute__((target(features))) static void linear_##suffix(                                 \
        float *out, const float *p, float a, float b, int64_t count, int accumulate) {             \
        linear_body(out, p, a, b, count, accumulate);                                              \
    }                                                                                              \
    __attribute__((target(features))) static void dot_differences_##suffix(                        \
        const float *g, const float *x, int64_t count, float *diff_lanes, float *base_lanes) {     \
        dot_differences_body(g, x, count, diff_lanes, base_lanes);                                 \
    }
LEVEL_FUNCTIONS(avx2, "avx2")
LEVEL_FUNCTIONS(avx512, "avx512f")
#endif

int shift_simd_supported_level(void) {
#ifdef SHIFT_SIMD_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SHIFT_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return SHIFT_SIMD_AVX2;
#endif
    return SHIFT_SIMD_PORTABLE;
}

static int chosen_level(void) {
    int level = shift_simd_supported_level();
    const char *request = getenv("SHIFTOPS_SIMD");
    if (request == NULL || request[0] == '\0') return level;
    int wanted = level;
    if (strcmp(request, "portable") == 0) wanted = SHIFT_SIMD_PORTABLE;
    else if (strcmp(request, "avx2") == 0) wanted = SHIFT_SIMD_AVX2;
    else if (strcmp(request, "avx512") == 0) wanted = SHIFT_SIMD_AVX512;
    return wanted < level ? wanted : level;
}

int shift_simd_level(void) {
    /* Computed on first use; a race computes the same value twice. */
    static _Atomic int cached = -1;
    int level = cached;
    if (level < 0) {
        level = chosen_level();
        cached = level;
    }
    return level;
}

void shift_simd_bilinear_f32(int level, float *out, const float *p0, const float *p1,
                             float a0, float b0, float a1, float b1, int64_t count) {
#ifdef SHIFT_SIMD_X86
    if (level >= SHIFT_SIMD_AVX512) { bilinear_avx512(out, p0, p1, a0, b0, a1, b1, count); return; }
    if (level == SHIFT_SIMD_AVX2) { bilinear_avx2(out, p0, p1, a0, b0, a1, b1, count); return; }
#endif
    (void)level;
    bilinear_body(out, p0, p1, a0, b0, a1, b1, count);
}

void shift_simd_linear_f32(int level, float *out, const float *p, float a, float b, int64_t count,
                           int accumulate) {
#ifdef SHIFT_SIMD_X86
    if (level >= SHIFT_SIMD_AVX512) { linear_avx512(out, p, a, b, count, accumulate); return; }
    if (level == SHIFT_SIMD_AVX2) { linear_avx2(out, p, a, b, count, accumulate); return; }
#endif
    (void)level;
    linear_body(out, p, a, b, count, accumulate);
}

void shift_simd_dot_differences_f32(int level, const float *g, const float *x, int64_t count,
                                    float *diff_lanes, float *base_lanes) {
#ifdef SHIFT_SIMD_X86
    /* Eight lanes are one AVX2 register; AVX-512 keeps them (wider lanes would change the sums). */
    if (level >= SHIFT_SIMD_AVX512) { dot_differences_avx512(g, x, count, diff_lanes, base_lanes); return; }
    if (level == SHIFT_SIMD_AVX2) { dot_differences_avx2(g, x, count, diff_lanes, base_lanes); return; }
#endif
    (void)level;
    dot_differences_body(g, x, count, diff_lanes, base_lanes);
}

#include "shift_simd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Same arithmetic on every level: never contract a * b + c into a fused multiply-add. A
   command-line -ffp-contract=fast would override this pragma (the package sets no such flag);
   -ffast-math, which would also reorder the sums, is refused outright. */
#if defined(__FAST_MATH__)
#error "shift_simd.c must be compiled without -ffast-math: every vector level must give the portable bits"
#endif
#pragma clang fp contract(off)

typedef float lanes8 __attribute__((vector_size(32)));

/* An unaligned load of eight floats (a macro: a function returning a vector would have an
   ABI that depends on the caller's target). */
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(lanes8))
#define STORE8(p, v) memcpy((p), &(v), sizeof(lanes8))

/* The loops, written once; each level's wrapper inlines them under its own target features, where
   eight lanes are one AVX2 register (or half an AVX-512 one). Each tap's p[i] and p[i + 1] are two
   loads: left to itself the compiler rebuilds p[i] from the previous vector with three shuffles,
   which costs more than the load. Every lane computes what the scalar tail computes.

   Each vector loop tests `i <= count - 8`, not `i + 8 <= count` (which compiled to two more
   instructions per step, a sixth of the bilinear step), and takes two steps per pass
   (UNROLL2), so that the count and branch come once per two steps. Unrolling changes no sum:
   each lane's additions keep their order. */
#define UNROLL2 _Pragma("clang loop unroll_count(2)")

static inline __attribute__((always_inline)) void
bilinear_body(float *restrict out, const float *restrict p0, const float *restrict p1,
              float a0, float b0, float a1, float b1, int64_t count) {
    int64_t i = 0;
    UNROLL2
    for (; i <= count - 8; i += 8) {
        lanes8 x0, y0, x1, y1;
        LOAD8(x0, p0 + i); LOAD8(y0, p0 + i + 1); LOAD8(x1, p1 + i); LOAD8(y1, p1 + i + 1);
        lanes8 v = (a0 * x0 + b0 * y0) + (a1 * x1 + b1 * y1);
        STORE8(out + i, v);
    }
    for (; i < count; i++) out[i] = (a0 * p0[i] + b0 * p0[i + 1]) + (a1 * p1[i] + b1 * p1[i + 1]);
}

static inline __attribute__((always_inline)) void
trilinear_body(float *restrict out, const float *restrict p0, const float *restrict p1, const float *restrict p2,
               const float *restrict p3, float a0, float b0, float a1, float b1, float a2, float b2, float a3,
               float b3, int64_t count) {
    int64_t i = 0;
    UNROLL2
    for (; i <= count - 8; i += 8) {
        lanes8 x0, y0, x1, y1, x2, y2, x3, y3;
        LOAD8(x0, p0 + i); LOAD8(y0, p0 + i + 1); LOAD8(x1, p1 + i); LOAD8(y1, p1 + i + 1);
        LOAD8(x2, p2 + i); LOAD8(y2, p2 + i + 1); LOAD8(x3, p3 + i); LOAD8(y3, p3 + i + 1);
        lanes8 v = (((a0 * x0 + b0 * y0) + (a1 * x1 + b1 * y1)) + (a2 * x2 + b2 * y2)) + (a3 * x3 + b3 * y3);
        STORE8(out + i, v);
    }
    for (; i < count; i++) {
        out[i] = (((a0 * p0[i] + b0 * p0[i + 1]) + (a1 * p1[i] + b1 * p1[i + 1])) + (a2 * p2[i] + b2 * p2[i + 1]))
            + (a3 * p3[i] + b3 * p3[i + 1]);
    }
}

static inline __attribute__((always_inline)) void
linear_body(float *restrict out, const float *restrict p, float a, float b, int64_t count, int accumulate) {
    int64_t i = 0;
    if (accumulate) {
        UNROLL2
        for (; i <= count - 8; i += 8) {
            lanes8 x, y, o;
            LOAD8(x, p + i); LOAD8(y, p + i + 1); LOAD8(o, out + i);
            o += a * x + b * y;
            STORE8(out + i, o);
        }
        for (; i < count; i++) out[i] += a * p[i] + b * p[i + 1];
    } else {
        UNROLL2
        for (; i <= count - 8; i += 8) {
            lanes8 x, y;
            LOAD8(x, p + i); LOAD8(y, p + i + 1);
            lanes8 v = a * x + b * y;
            STORE8(out + i, v);
        }
        for (; i < count; i++) out[i] = a * p[i] + b * p[i + 1];
    }
}

/* linear_body for an output row at stride 2 over a dense input row: out[i] (+)= a p[2i] + b p[2i + 1].
   Sixteen consecutive floats hold eight outputs' pairs, split into their even and odd lanes by
   two shuffles; the last vector reads p[2i + 15], the last pair's second value, and no further. */
static inline __attribute__((always_inline)) void
linear_step2_body(float *restrict out, const float *restrict p, float a, float b, int64_t count, int accumulate) {
    int64_t i = 0;
    UNROLL2
    for (; i <= count - 8; i += 8) {
        lanes8 lo, hi;
        LOAD8(lo, p + 2 * i); LOAD8(hi, p + 2 * i + 8);
        lanes8 x = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
        lanes8 y = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
        lanes8 v = a * x + b * y;
        if (accumulate) {
            lanes8 o;
            LOAD8(o, out + i);
            v = o + v;
        }
        STORE8(out + i, v);
    }
    for (; i < count; i++) {
        float v = a * p[2 * i] + b * p[2 * i + 1];
        out[i] = accumulate ? out[i] + v : v;
    }
}

/* bilinear_body for an output row at stride 2 over two dense input rows:
   out[i] = (a0 p0[2i] + b0 p0[2i + 1]) + (a1 p1[2i] + b1 p1[2i + 1]), each row's pairs split into
   even and odd lanes as in linear_step2_body. */
static inline __attribute__((always_inline)) void
bilinear_step2_body(float *restrict out, const float *restrict p0, const float *restrict p1, float a0, float b0,
                    float a1, float b1, int64_t count) {
    int64_t i = 0;
    UNROLL2
    for (; i <= count - 8; i += 8) {
        lanes8 lo0, hi0, lo1, hi1;
        LOAD8(lo0, p0 + 2 * i); LOAD8(hi0, p0 + 2 * i + 8); LOAD8(lo1, p1 + 2 * i); LOAD8(hi1, p1 + 2 * i + 8);
        lanes8 x0 = __builtin_shufflevector(lo0, hi0, 0, 2, 4, 6, 8, 10, 12, 14);
        lanes8 y0 = __builtin_shufflevector(lo0, hi0, 1, 3, 5, 7, 9, 11, 13, 15);
        lanes8 x1 = __builtin_shufflevector(lo1, hi1, 0, 2, 4, 6, 8, 10, 12, 14);
        lanes8 y1 = __builtin_shufflevector(lo1, hi1, 1, 3, 5, 7, 9, 11, 13, 15);
        lanes8 v = (a0 * x0 + b0 * y0) + (a1 * x1 + b1 * y1);
        STORE8(out + i, v);
    }
    for (; i < count; i++) out[i] = (a0 * p0[2 * i] + b0 * p0[2 * i + 1]) + (a1 * p1[2 * i] + b1 * p1[2 * i + 1]);
}

/* trilinear_body for an output row at stride 2 over four dense input rows (two rows of each of
   two slices): out[i] = (((a0 x0 + b0 y0) + (a1 x1 + b1 y1)) + (a2 x2 + b2 y2)) + (a3 x3 + b3 y3),
   x_k = p_k[2i] and y_k = p_k[2i + 1], each row's pairs split as in linear_step2_body. */
static inline __attribute__((always_inline)) void
trilinear_step2_body(float *restrict out, const float *restrict p0, const float *restrict p1, const float *restrict p2,
                     const float *restrict p3, float a0, float b0, float a1, float b1, float a2, float b2, float a3,
                     float b3, int64_t count) {
    int64_t i = 0;
#define STEP2_PAIRS(x, y, p)                                                                       \
    lanes8 x, y;                                                                                   \
    do {                                                                                           \
        lanes8 lo_, hi_;                                                                           \
        LOAD8(lo_, (p) + 2 * i); LOAD8(hi_, (p) + 2 * i + 8);                                      \
        x = __builtin_shufflevector(lo_, hi_, 0, 2, 4, 6, 8, 10, 12, 14);                          \
        y = __builtin_shufflevector(lo_, hi_, 1, 3, 5, 7, 9, 11, 13, 15);                          \
    } while (0)
    UNROLL2
    for (; i <= count - 8; i += 8) {
        STEP2_PAIRS(x0, y0, p0);
        STEP2_PAIRS(x1, y1, p1);
        STEP2_PAIRS(x2, y2, p2);
        STEP2_PAIRS(x3, y3, p3);
        lanes8 v = (((a0 * x0 + b0 * y0) + (a1 * x1 + b1 * y1)) + (a2 * x2 + b2 * y2)) + (a3 * x3 + b3 * y3);
        STORE8(out + i, v);
    }
#undef STEP2_PAIRS
    for (; i < count; i++) {
        out[i] = (((a0 * p0[2 * i] + b0 * p0[2 * i + 1]) + (a1 * p1[2 * i] + b1 * p1[2 * i + 1]))
                  + (a2 * p2[2 * i] + b2 * p2[2 * i + 1]))
            + (a3 * p3[2 * i] + b3 * p3[2 * i + 1]);
    }
}

static inline __attribute__((always_inline)) void
dot_differences_body(const float *g, const float *x, int64_t count, float *diff_lanes, float *base_lanes) {
    lanes8 diff = {0}, base = {0};
    UNROLL2
    for (int64_t i = 0; i <= count - 8; i += 8) {
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

/* Two taps' sums in one pass: g is read once, and the four sums are four independent chains
   of additions where one tap's two form two (each lane of each sum is added to in the same
   order as dot_differences_body adds to it). */
static inline __attribute__((always_inline)) void
dot_differences2_body(const float *g, const float *x0, const float *x1, int64_t count, float *lanes) {
    lanes8 diff0 = {0}, base0 = {0}, diff1 = {0}, base1 = {0};
    UNROLL2
    for (int64_t i = 0; i <= count - 8; i += 8) {
        lanes8 gv, u0, v0, u1, v1;
        LOAD8(gv, g + i);
        LOAD8(u0, x0 + i);
        LOAD8(v0, x0 + i + 1);
        LOAD8(u1, x1 + i);
        LOAD8(v1, x1 + i + 1);
        diff0 += gv * (v0 - u0);
        base0 += gv * u0;
        diff1 += gv * (v1 - u1);
        base1 += gv * u1;
    }
    memcpy(lanes, &diff0, sizeof diff0);
    memcpy(lanes + 8, &base0, sizeof base0);
    memcpy(lanes + 16, &diff1, sizeof diff1);
    memcpy(lanes + 24, &base1, sizeof base1);
}

/* An 8 x 8 block: eight rows loaded, transposed in registers (unpack, shuffle, lane swap), and
   stored as eight columns. */
static inline __attribute__((always_inline)) void
transpose8x8(const float *source, int64_t ss, float *target, int64_t ts) {
    lanes8 r0, r1, r2, r3, r4, r5, r6, r7;
    LOAD8(r0, source); LOAD8(r1, source + ss); LOAD8(r2, source + 2 * ss); LOAD8(r3, source + 3 * ss);
    LOAD8(r4, source + 4 * ss); LOAD8(r5, source + 5 * ss); LOAD8(r6, source + 6 * ss); LOAD8(r7, source + 7 * ss);
#define LO(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 4, 12, 5, 13)
#define HI(a, b) __builtin_shufflevector(a, b, 2, 10, 3, 11, 6, 14, 7, 15)
#define PAIRS_LO(a, b) __builtin_shufflevector(a, b, 0, 1, 8, 9, 4, 5, 12, 13)
#define PAIRS_HI(a, b) __builtin_shufflevector(a, b, 2, 3, 10, 11, 6, 7, 14, 15)
#define HALVES_LO(a, b) __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11)
#define HALVES_HI(a, b) __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15)
    lanes8 t0 = LO(r0, r1), t1 = HI(r0, r1), t2 = LO(r2, r3), t3 = HI(r2, r3);
    lanes8 t4 = LO(r4, r5), t5 = HI(r4, r5), t6 = LO(r6, r7), t7 = HI(r6, r7);
    lanes8 u0 = PAIRS_LO(t0, t2), u1 = PAIRS_HI(t0, t2), u2 = PAIRS_LO(t1, t3), u3 = PAIRS_HI(t1, t3);
    lanes8 u4 = PAIRS_LO(t4, t6), u5 = PAIRS_HI(t4, t6), u6 = PAIRS_LO(t5, t7), u7 = PAIRS_HI(t5, t7);
    lanes8 columns[8] = {HALVES_LO(u0, u4), HALVES_LO(u1, u5), HALVES_LO(u2, u6), HALVES_LO(u3, u7),
                         HALVES_HI(u0, u4), HALVES_HI(u1, u5), HALVES_HI(u2, u6), HALVES_HI(u3, u7)};
#undef LO
#undef HI
#undef PAIRS_LO
#undef PAIRS_HI
#undef HALVES_LO
#undef HALVES_HI
    for (int k = 0; k < 8; k++) memcpy(target + k * ts, &columns[k], sizeof(lanes8));
}

static inline __attribute__((always_inline)) void
transpose_body(const float *source, int64_t ss, float *target, int64_t ts, int64_t rows, int64_t columns) {
    int64_t full_rows = rows & ~(int64_t)7, full_columns = columns & ~(int64_t)7;
    /* The longer side outermost, so that the short side's lines stay in cache between blocks. */
    if (rows >= columns) {
        /* Rows are usually the pixels of a channels-last tensor here, a few channels read from
           each: the rows 16 ahead are asked for, which the hardware does poorly at this stride. */
        for (int64_t i = 0; i < full_rows; i += 8) {
            if (i + 24 <= rows)
                for (int64_t k = i + 16; k < i + 24; k++) {
                    __builtin_prefetch(source + k * ss, 0, 3);
                    __builtin_prefetch(source + k * ss + columns - 1, 0, 3);
                }
            for (int64_t j = 0; j < full_columns; j += 8)
                transpose8x8(source + i * ss + j, ss, target + j * ts + i, ts);
        }
    } else {
        for (int64_t j = 0; j < full_columns; j += 8)
            for (int64_t i = 0; i < full_rows; i += 8)
                transpose8x8(source + i * ss + j, ss, target + j * ts + i, ts);
    }
    /* Guarded: with whole blocks of columns (the usual case) the loop over every row would still
       run, empty, for about a quarter of the transposes' instructions. */
    if (full_columns < columns)
        for (int64_t i = 0; i < full_rows; i++)
            for (int64_t j = full_columns; j < columns; j++) target[j * ts + i] = source[i * ss + j];
    for (int64_t i = full_rows; i < rows; i++)
        for (int64_t j = 0; j < columns; j++) target[j * ts + i] = source[i * ss + j];
}

/* Part `part` of the `bytes` bytes at p (to be read) and at w (to be written), either NULL, split
   into parts of `per` bytes (the last shorter), asked for ahead of use, a line at a time. The
   channels-last kernels sweep a row a block of channels at a time, so their first touch of a new
   row strides across it a pixel at a time, which the hardware prefetchers follow poorly from
   memory: each row is asked for in memory order, one part per block, a row before it is read
   (the next output row likewise, with the intent to write). */
static inline __attribute__((always_inline)) void
prefetch_part(const uint8_t *p, uint8_t *w, int64_t bytes, int64_t per, int64_t part) {
    int64_t first = per * part, end = first + per < bytes ? first + per : bytes;
    /* Four lines a step: with one a step, the loop spent more instructions counting than
       asking (an eighth of the wide forward's instructions). */
#define PREFETCH_LINES(body)                                                                       \
    do {                                                                                           \
        int64_t i = first;                                                                         \
        for (; i + 192 < end; i += 256) { body(i); body(i + 64); body(i + 128); body(i + 192); }   \
        for (; i < end; i += 64) body(i);                                                          \
    } while (0)
#define READ(i) __builtin_prefetch(p + (i), 0, 3)
#define WRITE(i) __builtin_prefetch(w + (i), 1, 3)
    if (p != NULL) PREFETCH_LINES(READ);
    if (w != NULL) PREFETCH_LINES(WRITE);
#undef PREFETCH_LINES
#undef READ
#undef WRITE
}

/* 32 bytes of any elements, moved, never interpreted. */
typedef int8_t bytes32 __attribute__((vector_size(32)));

/* Bytewise `mask ? a : b`, the mask's bytes all ones or all zeros (a comparison's result, so that
   the compiler can use a byte blend). */
#define SELECT32(mask, a, b) (((a) & (mask)) | ((b) & ~(mask)))

/* out[i * out_step + b] for i < count, the 32 bytes b of one chunk, from its entries' sources p[k]
   (already at the chunk's bytes) and masks m[k], k < entries: the loop written once per count of
   entries so that the pointers and masks stay in registers. */
#define SELECT_CHUNK_LOOP(entries)                                                                 \
    for (int64_t i = 0; i < count; i++) {                                                          \
        int64_t at = i * in_step;                                                                  \
        bytes32 v, u;                                                                              \
        memcpy(&v, p[0] + at, sizeof v);                                                           \
        for (int k = 1; k < (entries); k++) {                                                      \
            memcpy(&u, p[k] + at, sizeof u);                                                       \
            v = SELECT32(m[k], u, v);                                                              \
        }                                                                                          \
        memcpy(o + i * out_step, &v, sizeof v);                                                    \
    }

static inline __attribute__((always_inline)) void
select_pixels_body(uint8_t *out, int64_t out_step, const uint8_t *const *sources, int64_t in_step,
                   int64_t pixel_bytes, int64_t count, const int32_t *first, const int32_t *entry_source,
                   const uint8_t *entry_mask, const uint8_t *ahead, int64_t ahead_bytes, uint8_t *out_ahead,
                   int64_t out_ahead_bytes) {
    int64_t chunks = (pixel_bytes + 31) / 32;
    /* The next row to be read and the next to be written, a part per chunk (prefetch_part). */
    int64_t per_in = (ahead_bytes + chunks - 1) / chunks, per_out = (out_ahead_bytes + chunks - 1) / chunks;
    /* A chunk at a time along the pixels, so that each chunk's few sources and masks stay in
       registers; the row's pixels stay in cache between the chunks. (In blocks of pixels that fit
       the first-level cache it ran no faster.) */
    for (int64_t j = 0; j < chunks; j++) {
        int64_t offset = 32 * j < pixel_bytes - 32 ? 32 * j : pixel_bytes - 32;
        int32_t e = first[j], entries = first[j + 1] - e;
        uint8_t *o = out + offset;
        prefetch_part(ahead, NULL, ahead_bytes, per_in, j);
        prefetch_part(NULL, out_ahead, out_ahead_bytes, per_out, j);
        enum { HELD = 9 };
        const uint8_t *p[HELD];
        bytes32 m[HELD];
        int held = entries < HELD ? entries : HELD;
        for (int k = 0; k < held; k++) {
            bytes32 raw;
            p[k] = sources[entry_source[e + k]] + offset;
            memcpy(&raw, entry_mask + 32 * (int64_t)(e + k), sizeof raw);
            m[k] = raw != 0;
        }
        switch (entries) {
        case 1: SELECT_CHUNK_LOOP(1) break;
        case 2: SELECT_CHUNK_LOOP(2) break;
        case 3: SELECT_CHUNK_LOOP(3) break;
        case 4: SELECT_CHUNK_LOOP(4) break;
        case 5: SELECT_CHUNK_LOOP(5) break;
        case 6: SELECT_CHUNK_LOOP(6) break;
        case 7: SELECT_CHUNK_LOOP(7) break;
        case 8: SELECT_CHUNK_LOOP(8) break;
        case 9: SELECT_CHUNK_LOOP(9) break;
        default:
            /* More sources in one chunk than a 3 x 3 neighbourhood has: the first nine as above,
               the rest from memory. */
            for (int64_t i = 0; i < count; i++) {
                int64_t at = i * in_step;
                bytes32 v, u, raw;
                memcpy(&v, p[0] + at, sizeof v);
                for (int k = 1; k < HELD; k++) {
                    memcpy(&u, p[k] + at, sizeof u);
                    v = SELECT32(m[k], u, v);
                }
                for (int32_t k = HELD; k < entries; k++) {
                    memcpy(&u, sources[entry_source[e + k]] + offset + at, sizeof u);
                    memcpy(&raw, entry_mask + 32 * (int64_t)(e + k), sizeof raw);
                    v = SELECT32(raw != 0, u, v);
                }
                memcpy(o + i * out_step, &v, sizeof v);
            }
        }
    }
}
#undef SELECT_CHUNK_LOOP

/* count (at least 1) output pixels of an integer shift whose every channel reads inside a 3 x 3
   neighbourhood: rows[r] is input row r of the three (a fill row where the padding reads the
   fill) at the centre column of output pixel 0, and output pixel i reads columns i - 1, i, i + 1
   of them (in_step apart), except that the first pixel's left column is before[r] and the last
   pixel's right column after[r] (through the padding where the row ends there). Chunk j's four
   masks (masks + 128 j) pick, per byte, the upper or lower row (else the middle) and the left or
   right column (else the middle): each input column's row is selected once as the column
   enters, and each output selects among three such columns, so a chunk costs 3 loads and 4
   selections per pixel, whatever the number of sources. */
static inline __attribute__((always_inline)) void
select_neighbours_body(uint8_t *out, int64_t out_step, const uint8_t *const *rows, const uint8_t *const *before,
                       const uint8_t *const *after, int64_t in_step, int64_t pixel_bytes, int64_t count,
                       const uint8_t *masks, const uint8_t *ahead, int64_t ahead_bytes, uint8_t *out_ahead,
                       int64_t out_ahead_bytes) {
    int64_t chunks = (pixel_bytes + 31) / 32;
    int64_t per_in = (ahead_bytes + chunks - 1) / chunks, per_out = (out_ahead_bytes + chunks - 1) / chunks;
    for (int64_t j = 0; j < chunks; j++) {
        int64_t offset = 32 * j < pixel_bytes - 32 ? 32 * j : pixel_bytes - 32;
        prefetch_part(ahead, NULL, ahead_bytes, per_in, j);
        prefetch_part(NULL, out_ahead, out_ahead_bytes, per_out, j);
        bytes32 raw, up, down, left, right;
        memcpy(&raw, masks + 128 * j, sizeof raw);
        up = raw != 0;
        memcpy(&raw, masks + 128 * j + 32, sizeof raw);
        down = raw != 0;
        memcpy(&raw, masks + 128 * j + 64, sizeof raw);
        left = raw != 0;
        memcpy(&raw, masks + 128 * j + 96, sizeof raw);
        right = raw != 0;
        const uint8_t *r0 = rows[0] + offset, *r1 = rows[1] + offset, *r2 = rows[2] + offset;
        uint8_t *o = out + offset;
        bytes32 a, b, c, left_column, here, right_column, v;
#define COLUMN(t, p0, p1, p2)                                                                      \
    do {                                                                                           \
        memcpy(&a, (p0), sizeof a);                                                                \
        memcpy(&b, (p1), sizeof b);                                                                \
        memcpy(&c, (p2), sizeof c);                                                                \
        (t) = SELECT32(down, c, SELECT32(up, a, b));                                               \
    } while (0)
        COLUMN(left_column, before[0] + offset, before[1] + offset, before[2] + offset);
        COLUMN(here, r0, r1, r2);
        for (int64_t i = 0; i + 1 < count; i++) {
            int64_t at = (i + 1) * in_step;
            COLUMN(right_column, r0 + at, r1 + at, r2 + at);
            v = SELECT32(right, right_column, SELECT32(left, left_column, here));
            memcpy(o + i * out_step, &v, sizeof v);
            left_column = here;
            here = right_column;
        }
        /* The last pixel's right column comes through the padding where the row ends there. */
        COLUMN(right_column, after[0] + offset, after[1] + offset, after[2] + offset);
        v = SELECT32(right, right_column, SELECT32(left, left_column, here));
        memcpy(o + (count - 1) * out_step, &v, sizeof v);
#undef COLUMN
    }
}
#undef SELECT32

typedef int32_t mask8 __attribute__((vector_size(32)));

/* Lane-wise `mask ? a : b`, the mask's lanes all ones or all zeros (a comparison's result, so
   that the compiler can use a blend): a selection, no arithmetic, so whatever the unselected lane
   holds (inf, NaN) never reaches the result. */
#define SELECT8(mask, a, b) ((lanes8)(((mask8)(a) & (mask)) | ((mask8)(b) & ~(mask))))

/* o = eight channels of one output pixel from the nine neighbours v (row offset i - 1, column
   offset j - 1), with the masks and weights NEIGHBOUR_CHANNELS loaded: each lane selects the two
   rows its base says (-1: offsets -1 and 0, else 0 and +1), the two columns of each likewise, and
   forms the planar kernels' sum with its weights. (A macro, as LOAD8: a function taking vectors
   would have an ABI that depends on the caller's target.) */
#define NEIGHBOURS_LANES(o, v)                                                                     \
    do {                                                                                           \
        lanes8 t0 = SELECT8(mh, v[0][0], v[1][0]), t1 = SELECT8(mh, v[0][1], v[1][1]);             \
        lanes8 t2 = SELECT8(mh, v[0][2], v[1][2]), u0 = SELECT8(mh, v[1][0], v[2][0]);             \
        lanes8 u1 = SELECT8(mh, v[1][1], v[2][1]), u2 = SELECT8(mh, v[1][2], v[2][2]);             \
        lanes8 x00 = SELECT8(mw, t0, t1), x01 = SELECT8(mw, t1, t2);                               \
        lanes8 x10 = SELECT8(mw, u0, u1), x11 = SELECT8(mw, u1, u2);                               \
        (o) = (wa0 * x00 + wb0 * x01) + (wa1 * x10 + wb1 * x11);                                   \
    } while (0)

/* The lane masks and weights of channels c to c + 8. */
#define NEIGHBOUR_CHANNELS(c)                                                                      \
    mask8 low_h, low_w;                                                                            \
    LOAD8(low_h, row_low + (c));                                                                   \
    LOAD8(low_w, col_low + (c));                                                                   \
    mask8 mh = low_h != 0, mw = low_w != 0;                                                        \
    lanes8 wa0, wb0, wa1, wb1;                                                                     \
    LOAD8(wa0, a0 + (c)); LOAD8(wb0, b0 + (c)); LOAD8(wa1, a1 + (c)); LOAD8(wb1, b1 + (c))

/* prefetch_part for a row of `count` floats in parts of `per` floats, as the neighbourhood
   kernels count them. */
static inline __attribute__((always_inline)) void
prefetch_split(const float *p, float *w, int64_t count, int64_t per, int64_t part) {
    prefetch_part((const uint8_t *)p, (uint8_t *)w, count * (int64_t)sizeof(float), per * (int64_t)sizeof(float), part);
}

/* The zero that stands for a neighbour zero padding leaves out (p[i][j] NULL), chosen so that
   each sum comes out as the planar kernels form it, which leave the term out, signed zeros
   included: a whole row left out reads -0 (x + -0 is x for every x); in a row that is read, a
   column left out as a lane's left tap reads +0 (the planar kernels start that sum from +0) and
   as its right tap -0. Column 0 is only ever a left tap and column 2 a right one; column 1 is the
   right tap of lanes whose base is -1 and the left tap of the others. The weights are
   non-negative (never -0), so a weight times the zero keeps its sign. A lane that reads no row
   at all writes +0, as the planar kernels do. */

/* Channels c >= first of one output pixel: p[i][j] is the input pixel at row offset i - 1 and
   column offset j - 1 through the padding, or NULL where zero padding leaves the input (read as
   the zero above); rows_out[i] says that the whole row i is left out. */
static inline __attribute__((always_inline)) void
neighbours_pixel(float *restrict out, const float *const p[3][3], const int rows_out[3], const int32_t *row_low,
                 const int32_t *col_low, const float *a0, const float *b0, const float *a1, const float *b1,
                 int64_t first, int64_t count) {
    int64_t c = first;
    for (; c + 8 <= count; c += 8) {
        NEIGHBOUR_CHANNELS(c);
        const lanes8 plus = {0}, minus = plus * -1.0f;
        lanes8 v[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                if (p[i][j] != NULL) LOAD8(v[i][j], p[i][j] + c);
                else if (rows_out[i] || j == 2) v[i][j] = minus;
                else if (j == 0) v[i][j] = plus;
                else v[i][j] = SELECT8(mw, minus, plus);
            }
        lanes8 o;
        NEIGHBOURS_LANES(o, v);
        if (rows_out[1]) {
            /* A lane whose two rows are both left out (an output grid beyond the input) has no
               term at all, which the planar kernels write as +0. */
            mask8 none = (mask8)SELECT8(mh, (mask8){0} - rows_out[0], (mask8){0} - rows_out[2]);
            o = SELECT8(none, (lanes8){0}, o);
        }
        STORE8(out + c, o);
    }
    for (; c < count; c++) {
        int i = row_low[c] ? 0 : 1, j = col_low[c] ? 0 : 1;
        /* Column q is this lane's left tap where q == j, its right one where q == j + 1. */
#define AT(r, q) (p[r][q] != NULL ? p[r][q][c] : rows_out[r] || (q) == j + 1 ? -0.0f : 0.0f)
        out[c] = rows_out[i] && rows_out[i + 1]
            ? 0.0f
            : (a0[c] * AT(i, j) + b0[c] * AT(i, j + 1)) + (a1[c] * AT(i + 1, j) + b1[c] * AT(i + 1, j + 1));
#undef AT
    }
}

/* One output row's outputs roll_first to roll_end - 1, for channels 0 to blocks_end, channel
   block by channel block, the masks and weights in registers along the row. Each input column's
   two row selections (upper t, lower u) are made once, as the column enters, and each lane's
   column selection with them: X_k is column k - 1 or k of t by the lane's base, so output q reads
   X_q as x00 and X_{q+1} as x01 (likewise Y from u); two columns per iteration, so that nothing
   is copied. Where `full`, the row covers every column: the edge columns' outer neighbours come
   through the padding, or, under zero padding, column -1 is only ever a left tap (+0) and column
   `width` only a right one (-0). With `edge` (a constant), a row zero padding leaves out reads
   -0 everywhere, as in neighbours_pixel; without it, all three rows are inside. */
static inline __attribute__((always_inline)) void
neighbours_row(const float *const row[3], float *out, const float *ahead, float *out_ahead, int64_t width,
               int64_t channels, int64_t blocks_end, const int32_t *columns, int full, int64_t roll_first,
               int64_t roll_end, const int32_t *row_low, const int32_t *col_low, const float *a0, const float *b0,
               const float *a1, const float *b1, const int edge) {
    const lanes8 plus = {0}, minus = plus * -1.0f;
    const int64_t parts = blocks_end / 8, per = parts > 0 ? (width * channels + parts - 1) / parts : 0;
    for (int64_t c = 0; c < blocks_end; c += 8) {
        prefetch_split(ahead, out_ahead, width * channels, per, c / 8);
        NEIGHBOUR_CHANNELS(c);
        lanes8 pt, pu, tn, un, X, Y, nX, nY;
#define ROW_VALUE(v, i, column)                                                                    \
    do {                                                                                           \
        if (edge && row[i] == NULL) (v) = minus;                                                   \
        else LOAD8(v, row[i] + (int64_t)(column) * channels + c);                                  \
    } while (0)
#define ENTER_COLUMN(tv, uv, column)                                                               \
    do {                                                                                           \
        lanes8 r0_, r1_, r2_;                                                                      \
        ROW_VALUE(r0_, 0, column);                                                                 \
        ROW_VALUE(r1_, 1, column);                                                                 \
        ROW_VALUE(r2_, 2, column);                                                                 \
        (tv) = SELECT8(mh, r0_, r1_);                                                              \
        (uv) = SELECT8(mh, r1_, r2_);                                                              \
    } while (0)
#define ENTER_EDGE_COLUMN(tv, uv, mapped, missing)                                                 \
    do {                                                                                           \
        if ((mapped) >= 0) ENTER_COLUMN(tv, uv, mapped);                                           \
        else {                                                                                     \
            lanes8 r0_ = edge && row[0] == NULL ? minus : (missing);                               \
            lanes8 r1_ = edge && row[1] == NULL ? minus : (missing);                               \
            lanes8 r2_ = edge && row[2] == NULL ? minus : (missing);                               \
            (tv) = SELECT8(mh, r0_, r1_);                                                          \
            (uv) = SELECT8(mh, r1_, r2_);                                                          \
        }                                                                                          \
    } while (0)
#define OUTPUT(q, X0, Y0, X1, Y1)                                                                  \
    do {                                                                                           \
        lanes8 o_ = (wa0 * (X0) + wb0 * (X1)) + (wa1 * (Y0) + wb1 * (Y1));                         \
        STORE8(out + (int64_t)(q) * channels + c, o_);                                             \
    } while (0)
        if (full) ENTER_EDGE_COLUMN(pt, pu, columns[0], plus);
        else ENTER_COLUMN(pt, pu, roll_first - 1);
        ENTER_COLUMN(tn, un, roll_first);
        X = SELECT8(mw, pt, tn); Y = SELECT8(mw, pu, un);
        pt = tn; pu = un;
        /* Outputs whose right neighbour column is inside the input. */
        int64_t last = full ? roll_end - 1 : roll_end, q = roll_first;
        for (; q < last - 1; q += 2) {
            ENTER_COLUMN(tn, un, q + 1);
            nX = SELECT8(mw, pt, tn); nY = SELECT8(mw, pu, un);
            OUTPUT(q, X, Y, nX, nY);
            ENTER_COLUMN(pt, pu, q + 2);
            X = SELECT8(mw, tn, pt); Y = SELECT8(mw, un, pu);
            OUTPUT(q + 1, nX, nY, X, Y);
        }
        if (q < last) {
            ENTER_COLUMN(tn, un, q + 1);
            nX = SELECT8(mw, pt, tn); nY = SELECT8(mw, pu, un);
            OUTPUT(q, X, Y, nX, nY);
            X = nX; Y = nY; pt = tn; pu = un;
            q++;
        }
        if (full) {
            ENTER_EDGE_COLUMN(tn, un, columns[3 * (width - 1) + 2], minus);
            nX = SELECT8(mw, pt, tn); nY = SELECT8(mw, pu, un);
            OUTPUT(q, X, Y, nX, nY);
        }
#undef ROW_VALUE
#undef ENTER_COLUMN
#undef ENTER_EDGE_COLUMN
#undef OUTPUT
    }
}

static inline __attribute__((always_inline)) void
neighbours_body(const float *x, float *y, int64_t width, int64_t out_width, int64_t column_step, int64_t channels,
                const int32_t *rows, const int32_t *columns, const int32_t *row_low, const int32_t *col_low,
                const float *a0, const float *b0, const float *a1, const float *b1, int64_t first_row, int64_t row_count) {
    /* Columns 1 to inner_end - 1 read their three neighbours unmapped. */
    const int64_t inner_end = width - 1 < out_width ? width - 1 : out_width, blocks_end = channels & ~(int64_t)7;
    for (int64_t r = first_row; r < first_row + row_count; r++) {
        const float *row[3];
        int rows_out[3], rows_inside = 1;
        for (int i = 0; i < 3; i++) {
            row[i] = rows[3 * r + i] < 0 ? NULL : x + (int64_t)rows[3 * r + i] * width * channels;
            rows_out[i] = row[i] == NULL;
            rows_inside &= !rows_out[i];
        }
        float *out = y + r * out_width * channels;
        /* The input row the next output row reads first (its offset +1), and the next output
           row, fetched during this one. */
        int more = r + 1 < first_row + row_count;
        const float *ahead = more && rows[3 * (r + 1) + 2] >= 0 ? x + (int64_t)rows[3 * (r + 1) + 2] * width * channels
                                                                : NULL;
        float *out_ahead = more && out_width == width ? out + out_width * channels : NULL;
        /* Where the output grid is the input's, whole rows roll: those inside, and those with a row
           left out by zero padding whose middle row is inside (so that every lane reads a row).
           Elsewhere, the columns whose neighbours are all inside. */
        int full = column_step == 1 && out_width == width && (rows_inside || !rows_out[1]);
        int64_t roll_first = full ? 0 : 1, roll_end = full ? width : inner_end;
        /* A roll enters consecutive input columns, one per output: only at a column step of 1.
           At other steps every pixel maps its own nine neighbours. */
        int rolls = column_step == 1 && (rows_inside || full) && roll_end > roll_first;
        if (rolls && rows_inside)
            neighbours_row(row, out, ahead, out_ahead, width, channels, blocks_end, columns, full, roll_first, roll_end,
                           row_low, col_low, a0, b0, a1, b1, 0);
        else if (rolls)
            neighbours_row(row, out, ahead, out_ahead, width, channels, blocks_end, columns, full, roll_first, roll_end,
                           row_low, col_low, a0, b0, a1, b1, 1);
        int64_t inner_first = rolls ? roll_first : out_width, inner_last = rolls ? roll_end : out_width;
        for (int64_t q = 0; q < out_width; q++) {
            /* Where the blocks cover every channel, the roll did the inner pixels: jump them
               (a test per pixel cost a sixteenth of the kernel). A roll covers at least one
               pixel (roll_end > roll_first), so the jump goes forward. */
            if (q == inner_first && blocks_end == channels) {
                q = inner_last;
                if (q >= out_width) break;
            }
            int inner = q >= inner_first && q < inner_last;
            const float *p[3][3];
            for (int j = 0; j < 3; j++) {
                int32_t column = columns[3 * q + j];
                for (int i = 0; i < 3; i++) p[i][j] = row[i] == NULL || column < 0 ? NULL : row[i] + (int64_t)column * channels;
            }
            /* Inner pixels have only the channels left over the blocks to do. */
            neighbours_pixel(out + q * channels, p, rows_out, row_low, col_low, a0, b0, a1, b1, inner ? blocks_end : 0,
                             channels);
        }
    }
}

/* The 3-D forward where every channel's taps lie in the 3 x 3 x 3 neighbourhood of its output
   pixel (bases -1 or 0 on all three axes), for one image: the 2-D scheme above with one more
   selection per value. Each lane selects its two slices (mask md), in each its two rows (mh) and
   two columns (mw), and forms the planar kernels' sum: the four row terms a x0 + b x1 added slice
   by slice, row by row, as (((T00 + T01) + T10) + T11). A row term that zero padding leaves out
   (its slice or its row outside) reads -0 throughout, and so adds nothing, as the planar kernels
   leave it out; a column left out in a row that is read reads neighbours_pixel's zeros; a lane
   with no row term at all (both its slices or both its rows outside) writes +0. Channel c's
   weight for slice k, row i and column j of its own taps (each 0 or 1) is
   w[(4 k + 2 i + j) * channels + c]. */
#define VOLUME_CHANNELS(c)                                                                         \
    mask8 low_d, low_h, low_w;                                                                     \
    LOAD8(low_d, slice_low + (c));                                                                 \
    LOAD8(low_h, row_low + (c));                                                                   \
    LOAD8(low_w, col_low + (c));                                                                   \
    const mask8 md = low_d != 0, mh = low_h != 0, mw = low_w != 0;                                 \
    lanes8 wt[8];                                                                                  \
    for (int t_ = 0; t_ < 8; t_++) LOAD8(wt[t_], w + t_ * channels + (c))

/* The planar kernels' sum from a lane's eight values: X0[k][i] and X1[k][i] its left and right
   columns in slice k and row i. */
#define VOLUME_SUM(X0, X1)                                                                         \
    ((((wt[0] * (X0)[0][0] + wt[1] * (X1)[0][0]) + (wt[2] * (X0)[0][1] + wt[3] * (X1)[0][1]))     \
      + (wt[4] * (X0)[1][0] + wt[5] * (X1)[1][0]))                                                 \
     + (wt[6] * (X0)[1][1] + wt[7] * (X1)[1][1]))

/* Channels c >= first of one output pixel: p[k][i][j] is the input pixel at slice, row and
   column offsets k - 1, i - 1, j - 1 through the padding, or NULL where zero padding leaves the
   input; slice_out[k] and row_out[i] say that the whole slice or row is left out. */
static inline __attribute__((always_inline)) void
volume_pixel(float *restrict out, const float *const p[3][3][3], const int slice_out[3], const int row_out[3],
             const int32_t *slice_low, const int32_t *row_low, const int32_t *col_low, const float *w,
             int64_t first, int64_t channels) {
    int64_t c = first;
    for (; c + 8 <= channels; c += 8) {
        VOLUME_CHANNELS(c);
        const lanes8 plus = {0}, minus = plus * -1.0f;
        lanes8 v[3][3][3], left[2][2], right[2][2];
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    if (p[k][i][j] != NULL) LOAD8(v[k][i][j], p[k][i][j] + c);
                    else if (slice_out[k] || row_out[i] || j == 2) v[k][i][j] = minus;
                    else if (j == 0) v[k][i][j] = plus;
                    else v[k][i][j] = SELECT8(mw, minus, plus);
                }
        for (int k = 0; k < 2; k++) {
            lanes8 s[3][3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) s[i][j] = SELECT8(md, v[k][i][j], v[k + 1][i][j]);
            for (int i = 0; i < 2; i++) {
                lanes8 r0 = SELECT8(mh, s[i][0], s[i + 1][0]), r1 = SELECT8(mh, s[i][1], s[i + 1][1]);
                lanes8 r2 = SELECT8(mh, s[i][2], s[i + 1][2]);
                left[k][i] = SELECT8(mw, r0, r1);
                right[k][i] = SELECT8(mw, r1, r2);
            }
        }
        lanes8 o = VOLUME_SUM(left, right);
        if (slice_out[1] || row_out[1]) {
            /* A lane whose two slices or two rows are both left out (an output grid beyond the
               input) has no term, which the planar kernels write as +0. */
            mask8 none_d = (mask8){0} - slice_out[1], none_h = (mask8){0} - row_out[1];
            none_d &= (mask8)SELECT8(md, (mask8){0} - slice_out[0], (mask8){0} - slice_out[2]);
            none_h &= (mask8)SELECT8(mh, (mask8){0} - row_out[0], (mask8){0} - row_out[2]);
            o = SELECT8(none_d | none_h, plus, o);
        }
        STORE8(out + c, o);
    }
    for (; c < channels; c++) {
        int k = slice_low[c] ? 0 : 1, i = row_low[c] ? 0 : 1, j = col_low[c] ? 0 : 1;
        if ((slice_out[k] && slice_out[k + 1]) || (row_out[i] && row_out[i + 1])) {
            out[c] = 0.0f;
            continue;
        }
        /* Column q is this lane's left tap where q == j, its right one where q == j + 1. */
        float x[2][2][2];
        for (int kk = 0; kk < 2; kk++)
            for (int ii = 0; ii < 2; ii++)
                for (int jj = 0; jj < 2; jj++) {
                    const float *q = p[k + kk][i + ii][j + jj];
                    x[kk][ii][jj] = q != NULL ? q[c] : slice_out[k + kk] || row_out[i + ii] || jj == 1 ? -0.0f : 0.0f;
                }
        const float *wc = w + c;
        out[c] = (((wc[0] * x[0][0][0] + wc[channels] * x[0][0][1])
                   + (wc[2 * channels] * x[0][1][0] + wc[3 * channels] * x[0][1][1]))
                  + (wc[4 * channels] * x[1][0][0] + wc[5 * channels] * x[1][0][1]))
                 + (wc[6 * channels] * x[1][1][0] + wc[7 * channels] * x[1][1][1]);
    }
}

/* Outputs first to end - 1 of one output row, output column q reading input columns q - 1 .. q + 1,
   for channels 0 to blocks_end, channel block by channel block, masks and weights held along the
   row. As each column enters, each lane's slices and rows are selected once (four values: its
   slice k, row i); X_q, the lane's left column of output q, is column q - 1 or q of them by its
   base, so output q reads X_q and X_{q+1}, and each X is made once. Where `full`, the row covers
   every column (first 0, end width): the edge columns' outer neighbours come through the padding,
   or, under zero padding, column -1 is only ever a left tap (+0) and column `width` only a right
   one (-0); elsewhere the columns read lie inside. With `edge` (a constant), a row row[k][i] that
   zero padding leaves out (NULL) reads -0 everywhere, as in volume_pixel; the caller passes rows
   whose centre slice and row are inside, so that every lane reads some row. Without it, all nine
   rows are inside. With `step2` (a constant), output q reads columns 2q - 1 .. 2q + 1 instead,
   all inside (a stride of 2 along the row; never `full`). */
static inline __attribute__((always_inline)) void
volume_row(const float *const row[3][3], float *out, int64_t width, int64_t channels, int64_t blocks_end,
           const int32_t *columns, int full, int64_t first, int64_t end, const int32_t *slice_low,
           const int32_t *row_low, const int32_t *col_low, const float *w, const int edge, const int step2) {
    const lanes8 plus = {0}, minus = plus * -1.0f;
    for (int64_t c = 0; c < blocks_end; c += 8) {
        VOLUME_CHANNELS(c);
#define VOLUME_SELECT(T, v)                                                                        \
    do {                                                                                           \
        for (int k_ = 0; k_ < 2; k_++) {                                                           \
            lanes8 s0_ = SELECT8(md, v[k_][0], v[k_ + 1][0]), s1_ = SELECT8(md, v[k_][1], v[k_ + 1][1]); \
            lanes8 s2_ = SELECT8(md, v[k_][2], v[k_ + 1][2]);                                      \
            (T)[k_][0] = SELECT8(mh, s0_, s1_);                                                    \
            (T)[k_][1] = SELECT8(mh, s1_, s2_);                                                    \
        }                                                                                          \
    } while (0)
#define VOLUME_ENTER(T, column)                                                                    \
    do {                                                                                           \
        lanes8 v_[3][3];                                                                           \
        for (int k_ = 0; k_ < 3; k_++)                                                             \
            for (int i_ = 0; i_ < 3; i_++) {                                                       \
                if (edge && row[k_][i_] == NULL) v_[k_][i_] = minus;                               \
                else LOAD8(v_[k_][i_], row[k_][i_] + (int64_t)(column) * channels + c);            \
            }                                                                                      \
        VOLUME_SELECT(T, v_);                                                                      \
    } while (0)
#define VOLUME_ENTER_EDGE(T, mapped, missing)                                                      \
    do {                                                                                           \
        if ((mapped) >= 0) VOLUME_ENTER(T, mapped);                                                \
        else {                                                                                     \
            lanes8 v_[3][3];                                                                       \
            for (int k_ = 0; k_ < 3; k_++)                                                         \
                for (int i_ = 0; i_ < 3; i_++) v_[k_][i_] = edge && row[k_][i_] == NULL ? minus : (missing); \
            VOLUME_SELECT(T, v_);                                                                  \
        }                                                                                          \
    } while (0)
#define VOLUME_COLUMNS(X, before, after)                                                           \
    do {                                                                                           \
        for (int k_ = 0; k_ < 2; k_++)                                                             \
            for (int i_ = 0; i_ < 2; i_++) (X)[k_][i_] = SELECT8(mw, (before)[k_][i_], (after)[k_][i_]); \
    } while (0)
#define VOLUME_OUTPUT(q, X0, X1)                                                                   \
    do {                                                                                           \
        lanes8 o_ = VOLUME_SUM(X0, X1);                                                            \
        STORE8(out + (int64_t)(q) * channels + c, o_);                                             \
    } while (0)
        /* t and n hold the last two columns entered, X and Y the lane's left columns of the
           outputs in turn; two outputs per iteration, so that nothing is copied. */
        lanes8 t[2][2], n[2][2], X[2][2], Y[2][2];
        if (step2) {
            /* Output q reads columns 2q - 1 .. 2q + 1, the first its left neighbour's last: two
               columns enter per output. */
            VOLUME_ENTER(t, 2 * first - 1);
            for (int64_t q = first; q < end; q++) {
                VOLUME_ENTER(n, 2 * q);
                VOLUME_COLUMNS(X, t, n);
                VOLUME_ENTER(t, 2 * q + 1);
                VOLUME_COLUMNS(Y, n, t);
                VOLUME_OUTPUT(q, X, Y);
            }
            continue;
        }
        if (full) VOLUME_ENTER_EDGE(t, columns[0], plus);
        else VOLUME_ENTER(t, first - 1);
        VOLUME_ENTER(n, first);
        VOLUME_COLUMNS(X, t, n);
        /* Outputs whose right neighbour column is inside the input. */
        const int64_t last = full ? end - 1 : end;
        int64_t q = first;
        for (; q < last - 1; q += 2) {
            VOLUME_ENTER(t, q + 1);
            VOLUME_COLUMNS(Y, n, t);
            VOLUME_OUTPUT(q, X, Y);
            VOLUME_ENTER(n, q + 2);
            VOLUME_COLUMNS(X, t, n);
            VOLUME_OUTPUT(q + 1, Y, X);
        }
        if (q < last) {
            VOLUME_ENTER(t, q + 1);
            VOLUME_COLUMNS(Y, n, t);
            VOLUME_OUTPUT(q, X, Y);
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < 2; i++) {
                    X[k][i] = Y[k][i];
                    n[k][i] = t[k][i];
                }
            q++;
        }
        if (full) {
            VOLUME_ENTER_EDGE(t, columns[3 * (width - 1) + 2], minus);
            VOLUME_COLUMNS(Y, n, t);
            VOLUME_OUTPUT(q, X, Y);
        }
#undef VOLUME_SELECT
#undef VOLUME_ENTER
#undef VOLUME_ENTER_EDGE
#undef VOLUME_COLUMNS
#undef VOLUME_OUTPUT
    }
}

static inline __attribute__((always_inline)) void
volume_body(const float *x, float *y, int64_t height, int64_t width, int64_t out_height, int64_t out_width,
            int64_t column_step, int64_t channels, const int32_t *slices, const int32_t *rows, const int32_t *columns,
            const int32_t *slice_low, const int32_t *row_low, const int32_t *col_low, const float *w,
            int64_t first_row, int64_t row_count) {
    /* Columns 1 to inner_end - 1 read their three neighbours unmapped. */
    const int64_t inner_end = width - 1 < out_width ? width - 1 : out_width, blocks_end = channels & ~(int64_t)7;
    /* Slice by slice, row by row within each: each slice's input rows are then read in order,
       three sequential streams (at stride 2, a little faster than taking the rows first, which
       keeps more of the input cached between slices but jumps between slices every row). */
    for (int64_t r = first_row; r < first_row + row_count; r++) {
        const int64_t od = r / out_height, oh = r - od * out_height;
        const float *row[3][3];
        int slice_out[3], row_out[3], inside = 1;
        for (int k = 0; k < 3; k++) {
            slice_out[k] = slices[3 * od + k] < 0;
            row_out[k] = rows[3 * oh + k] < 0;
        }
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 3; i++) {
                row[k][i] = slice_out[k] || row_out[i]
                    ? NULL
                    : x + ((int64_t)slices[3 * od + k] * height + rows[3 * oh + i]) * width * channels;
                inside &= row[k][i] != NULL;
            }
        float *out = y + (od * out_height + oh) * out_width * channels;
        /* Where the output grid is the input's, whole rows roll: those inside, and those with a
           slice or row left out by zero padding whose centre slice and row are inside (so that
           every lane reads a row). Elsewhere, the columns whose neighbours are all inside, in rows
           whose nine rows are, or at a column step of 2 whose centre slice and row are. A roll
           enters input columns in order: at a column step of 1 or 2; at other steps every pixel
           maps its own neighbours. */
        const int centre_in = !slice_out[1] && !row_out[1];
        const int full = column_step == 1 && out_width == width && centre_in;
        const int64_t step2_end = width < 2 ? 0 : (width - 2) / 2 + 1 < out_width ? (width - 2) / 2 + 1 : out_width;
        const int64_t roll_first = full ? 0 : 1, roll_end = full ? width : column_step == 2 ? step2_end : inner_end;
        const int rolls = ((column_step == 1 && (inside || full)) || (column_step == 2 && centre_in))
            && roll_end > roll_first;
        if (rolls && column_step == 2 && inside)
            volume_row(row, out, width, channels, blocks_end, columns, 0, roll_first, roll_end, slice_low, row_low,
                       col_low, w, 0, 1);
        else if (rolls && column_step == 2)
            volume_row(row, out, width, channels, blocks_end, columns, 0, roll_first, roll_end, slice_low, row_low,
                       col_low, w, 1, 1);
        else if (rolls && inside)
            volume_row(row, out, width, channels, blocks_end, columns, full, roll_first, roll_end, slice_low, row_low,
                       col_low, w, 0, 0);
        else if (rolls)
            volume_row(row, out, width, channels, blocks_end, columns, full, roll_first, roll_end, slice_low, row_low,
                       col_low, w, 1, 0);
        const int64_t inner_first = rolls ? roll_first : out_width, inner_last = rolls ? roll_end : out_width;
        for (int64_t q = 0; q < out_width; q++) {
            /* As in neighbours_body: where the blocks cover every channel, jump the rolled pixels. */
            if (q == inner_first && blocks_end == channels) {
                q = inner_last;
                if (q >= out_width) break;
            }
            const int inner = q >= inner_first && q < inner_last;
            const float *p[3][3][3];
            for (int j = 0; j < 3; j++) {
                const int32_t column = columns[3 * q + j];
                for (int k = 0; k < 3; k++)
                    for (int i = 0; i < 3; i++)
                        p[k][i][j] = row[k][i] == NULL || column < 0 ? NULL : row[k][i] + (int64_t)column * channels;
            }
            /* Inner pixels have only the channels left over the blocks to do. */
            volume_pixel(out + q * channels, p, slice_out, row_out, slice_low, row_low, col_low, w,
                         inner ? blocks_end : 0, channels);
        }
    }
}
#undef VOLUME_CHANNELS
#undef VOLUME_SUM

/* The forward where every channel's taps lie in the 5 x 5 neighbourhood of its output pixel
   (bases -2 to 1 on both axes: at origin 0, shifts in (-2, 2)), for one image whose channel count
   is a multiple of 8 (the scheme below is stride 1 on both axes with rows of the input's length;
   elsewhere rows share no pass, and each pixel maps its five columns as the edge columns do, or
   at stride 2 along the row they roll two at a time). A
   lane's base b on an axis, as
   k = b + 2 in 0..3, picks its taps with two mask bits (k & 1, k & 2): three selections pick one
   of four values, so each of the lane's four values costs a few selections, never a
   multiplication by a zero weight.

   Output row r reads the input rows rows[5r + i], i = 0..4 (its centre row offset by i - 2,
   r - 2 .. r + 2 at stride 1, mapped through the
   padding; -1 where zero padding leaves the input, which reads minus_channels, one pixel of -0,
   at every column). The output (a0 x00 + b0 x01) + (a1 x10 + b1 x11), the planar kernels'
   products and sums, takes two halves: a0 x00 + b0 x01 from the lane's upper row (offset bh, one
   of the rows 0..3) and a1 x10 + b1 x11, added onto it, from its lower row (bh + 1, one of
   1..4). The lower row of output r is the upper row of output r + 1, so one pass along the row
   of those values finishes r and starts r + 1 (wide_pass): each value is picked once, and a pass
   carries few enough values to stay in registers. Along a pass, as column m enters, each lane
   selects its row's value T_m; G_m = (k & 1 ? T_{m+1} : T_m), and the lane's column q + bw is
   P_q = (k & 2 ? G_q : G_{q-2}): output q reads P_q and P_{q+1}, so each column costs four
   loads and a handful of selections, and each P is made once.

   Columns 0 and width - 1 read neighbours beyond the row on both sides of their taps: each of
   their five columns is mapped through the padding, and where zero padding leaves a column out
   it reads the zero that keeps the planar sums (neighbours_pixel's rule: -0 in a row left out;
   in a row that is read +0 as a left tap and -0 as a right one). A lane whose two rows are both
   left out writes +0, as the planar kernels do. */
#define WIDE_PICK(m1, m0, v0, v1, v2, v3) SELECT8(m1, SELECT8(m0, v3, v2), SELECT8(m0, v1, v0))
#define WIDE_AT(k, column) (row[k] + (int64_t)(column) * (any_missing ? step[k] : channels) + c)
#define WIDE_ENTER(T, column)                                                                      \
    do {                                                                                           \
        lanes8 v0_, v1_, v2_, v3_;                                                                 \
        LOAD8(v0_, WIDE_AT(0, column)); LOAD8(v1_, WIDE_AT(1, column));                            \
        LOAD8(v2_, WIDE_AT(2, column)); LOAD8(v3_, WIDE_AT(3, column));                            \
        (T) = WIDE_PICK(h1, h0, v0_, v1_, v2_, v3_);                                               \
    } while (0)

/* Channels c to c + 8 of one pass along a row of pick rows: row[0..4) are the four rows a lane
   picks from (rows shift - 2 .. shift + 1 of output row r, missing5 saying which of r's five rows
   zero padding leaves out; such a row has a step of 0 and reads one pixel of -0 at every
   column). The lane's lower row of output r is its upper row of output r + 1, so one pass serves
   both: with `finish` (a constant) it adds a1 x10 + b1 x11 onto finish_row (output r, holding
   a0 x00 + b0 x01 already) and writes +0 where a lane reads no row; with `start` it writes
   a0 x00 + b0 x01 into start_row (the next output row, or output r itself on the first pass of
   a task, and on every row's first pass where rows share nothing: shift 0). */
static inline __attribute__((always_inline)) void
wide_pass(const float *const row[4], const int64_t step[4], const int missing5[5], int shift, int any_missing,
          float *finish_row, float *start_row, int64_t width, int64_t out_width, int roll_step, int64_t channels,
          int64_t c, const int32_t *columns,
          const int32_t *row_base, const int32_t *col_base, const float *a0, const float *b0, const float *a1,
          const float *b1, const int finish, const int start) {
    const lanes8 plus = {0}, minus = plus * -1.0f;
    mask8 bh, bw;
    LOAD8(bh, row_base + c);
    LOAD8(bw, col_base + c);
    /* k & 2 is a base of 0 or 1, k & 1 an odd base; as comparisons (not bit tests), so that the
       selections compile to blends. */
    const mask8 h0 = (bh == -1) | (bh == 1), h1 = bh >= 0, w0 = (bw == -1) | (bw == 1), w1 = bw >= 0;
    lanes8 wa0, wb0, wa1, wb1;
    LOAD8(wa0, a0 + c); LOAD8(wb0, b0 + c); LOAD8(wa1, a1 + c); LOAD8(wb1, b1 + c);
    /* Only rows zero padding cuts need these: the lanes of output r that read no row, and the
       zero a left-out column reads as a left tap in the lane's pick row. */
    mask8 none = {0};
    lanes8 zero = plus;
    if (any_missing) {
        lanes8 z[4];
        mask8 pair[4];
        for (int i = 0; i < 4; i++) {
            z[i] = missing5[i + shift] ? minus : plus;
            pair[i] = (mask8){0} - (missing5[i] & missing5[i + 1]);
        }
        zero = WIDE_PICK(h1, h0, z[0], z[1], z[2], z[3]);
        none = (mask8)WIDE_PICK(h1, h0, (lanes8)pair[0], (lanes8)pair[1], (lanes8)pair[2], (lanes8)pair[3]);
    }
#define WIDE_OUTPUT(q, X0, X1)                                                                     \
    do {                                                                                           \
        int64_t at_ = (int64_t)(q) * channels + c;                                                 \
        if (finish) {                                                                              \
            lanes8 first_;                                                                         \
            LOAD8(first_, finish_row + at_);                                                       \
            lanes8 o_ = first_ + (wa1 * (X0) + wb1 * (X1));                                        \
            if (any_missing) o_ = SELECT8(none, plus, o_);                                         \
            STORE8(finish_row + at_, o_);                                                          \
        }                                                                                          \
        if (start) {                                                                               \
            lanes8 s_ = wa0 * (X0) + wb0 * (X1);                                                   \
            STORE8(start_row + at_, s_);                                                           \
        }                                                                                          \
    } while (0)
    /* The first and last columns, each of its five columns mapped. Columns 1 to width - 2 roll:
       of the columns beyond the row they read only -1, as a left tap, and width, as a right one
       (see below). At a roll_step of 2 (a stride of 2 along the row), the outputs whose five
       columns all lie inside roll two columns at a time (below); at 0, every output column maps
       its own five. */
    const int rolls = roll_step == 1 && width >= 3;
    /* Outputs 1 to step2_end - 1 read columns 2q - 2 .. 2q + 2, all inside. */
    const int64_t step2_end = roll_step == 2 ? ((width - 1) / 2 < out_width ? (width - 1) / 2 : out_width) : 0;
    for (int64_t q = 0; q < out_width; q++) {
        if (rolls && q == 1) q = width - 1;
        if (step2_end > 1 && q == 1) {
            q = step2_end;
            if (q >= out_width) break;
        }
        lanes8 left[5], right[5];
        for (int j = 0; j < 5; j++) {
            int32_t column = columns[5 * q + j];
            if (column >= 0) {
                WIDE_ENTER(left[j], column);
                right[j] = left[j];
            } else {
                left[j] = zero;
                right[j] = minus;
            }
        }
        WIDE_OUTPUT(q, WIDE_PICK(w1, w0, left[0], left[1], left[2], left[3]),
                    WIDE_PICK(w1, w0, right[1], right[2], right[3], right[4]));
    }
    if (step2_end > 1) {
        /* Before output q, v0 .. v2 hold columns 2q - 2 .. 2q; each output enters two more, and
           picks its taps among the five as the mapped path does. */
        lanes8 v0, v1, v2, v3, v4;
        WIDE_ENTER(v0, 0);
        WIDE_ENTER(v1, 1);
        WIDE_ENTER(v2, 2);
        for (int64_t q = 1; q < step2_end; q++) {
            WIDE_ENTER(v3, 2 * q + 1);
            WIDE_ENTER(v4, 2 * q + 2);
            WIDE_OUTPUT(q, WIDE_PICK(w1, w0, v0, v1, v2, v3), WIDE_PICK(w1, w0, v1, v2, v3, v4));
            v0 = v2;
            v1 = v3;
            v2 = v4;
        }
    }
    if (!rolls) return;
    /* Columns 1 to width - 2, rolling: before output q, g1 holds G_{q-1}, g2 G_q, tn column
       q + 1's value and p P_q. Column -1 enters P_1 only, which output 1 reads as its left tap,
       and column width P_{width-1} only, which output width - 2 reads as its right tap: where
       zero padding leaves them out they read the zeros of those roles. */
    lanes8 t0, t1, t2, tn;
    int32_t before = columns[1], after = columns[5 * (width - 1) + 3];
    if (before >= 0) WIDE_ENTER(t0, before);
    else t0 = zero;
    WIDE_ENTER(t1, 0);
    WIDE_ENTER(t2, 1);
    WIDE_ENTER(tn, 2);
    lanes8 g0 = SELECT8(w0, t1, t0), g1 = SELECT8(w0, t2, t1), g2 = SELECT8(w0, tn, t2);
    lanes8 p = SELECT8(w1, g2, g0);
    int64_t q = 1;
    for (; q < width - 2; q++) {
        lanes8 te;
        WIDE_ENTER(te, q + 2);
        lanes8 g3 = SELECT8(w0, te, tn);
        lanes8 pn = SELECT8(w1, g3, g1);
        WIDE_OUTPUT(q, p, pn);
        g1 = g2; g2 = g3; tn = te; p = pn;
    }
    lanes8 te;
    if (after >= 0) WIDE_ENTER(te, after);
    else te = minus;
    lanes8 g3 = SELECT8(w0, te, tn);
    lanes8 pn = SELECT8(w1, g3, g1);
    WIDE_OUTPUT(q, p, pn);
#undef WIDE_OUTPUT
}

/* Runs wide_pass with its flags as constants, so that each combination compiles to its own
   loops. */
#define WIDE_PASS(finish, start)                                                                   \
    do {                                                                                           \
        if (any_missing)                                                                           \
            wide_pass(row + shift, step + shift, missing, shift, 1, out, start_row, width, out_width, \
                      roll_step, channels, c, columns, row_base, col_base, a0, b0, a1, b1, finish, start); \
        else                                                                                       \
            wide_pass(row + shift, step + shift, missing, shift, 0, out, start_row, width, out_width, \
                      roll_step, channels, c, columns, row_base, col_base, a0, b0, a1, b1, finish, start); \
    } while (0)

static inline __attribute__((always_inline)) void
wide_body(const float *x, float *y, const float *minus_channels, int64_t width, int64_t out_width, int64_t column_step,
          int64_t row_step, int64_t channels, const int32_t *rows, const int32_t *columns, const int32_t *row_base,
          const int32_t *col_base, const float *a0, const float *b0, const float *a1, const float *b1,
          int64_t first_row, int64_t row_count) {
    const int64_t row_length = width * channels, out_length = out_width * channels, blocks = channels / 8;
    const int64_t per = blocks > 0 ? (row_length + blocks - 1) / blocks : 0;
    /* Output rows share a pass only where the next one's upper rows are this one's lower rows
       (stride 1 down the image); columns roll one at a time at stride 1 along a row of the input's
       length, and two at a time at stride 2. */
    const int shares = row_step == 1;
    const int roll_step = column_step == 1 && out_width == width ? 1 : column_step == 2 ? 2 : 0;
    for (int64_t r = first_row; r < first_row + row_count; r++) {
        const float *row[5];
        int64_t step[5];
        int missing[5];
        for (int i = 0; i < 5; i++) {
            int32_t mapped = rows[5 * r + i];
            missing[i] = mapped < 0;
            row[i] = missing[i] ? minus_channels : x + (int64_t)mapped * row_length;
            step[i] = missing[i] ? 0 : channels;
        }
        float *out = y + r * out_length;
        int more = r + 1 < first_row + row_count;
        const float *ahead = more && rows[5 * (r + 1) + 4] >= 0 ? x + (int64_t)rows[5 * (r + 1) + 4] * row_length : NULL;
        float *out_ahead = more && out_width == width ? out + out_length : NULL;
        for (int64_t c = 0; c < channels; c += 8) {
            prefetch_split(ahead, out_ahead, row_length, per, c / 8);
            if (r == first_row || !shares) {
                /* The task's first row (or every row, where rows share nothing): its upper half
                   from its rows 0..3. */
                int shift = 0, any_missing = missing[0] | missing[1] | missing[2] | missing[3];
                float *start_row = out;
                WIDE_PASS(0, 1);
            }
            /* Its lower half from its rows 1..4, which are the next row's rows 0..3 where rows
               share: the next row's upper half in the same pass, unless it belongs to another
               task. */
            int shift = 1, any_missing = missing[1] | missing[2] | missing[3] | missing[4];
            float *start_row = out + out_length;
            if (more && shares) WIDE_PASS(1, 1);
            else WIDE_PASS(1, 0);
        }
    }
}
#undef WIDE_PASS
#undef WIDE_AT
#undef WIDE_ENTER
#undef WIDE_PICK

/* The backward of the neighbourhood forward, for one image whose output grid is its input grid
   and whose channels are a multiple of 8: rows first_row to first_row + row_count of gx, and
   those rows' shift-gradient sums added into sums.

   The input gradient is gathered: an input pixel (i, j) receives a0 g[i - bh, j - bw] +
   b0 g[i - bh, j - bw - 1] + a1 g[i - bh - 1, j - bw] + b1 g[i - bh - 1, j - bw - 1] (bh, bw the
   lane's bases), so the rows of g it reads are the forward's mirrored: +1 and 0 for a base of -1,
   0 and -1 for a base of 0, and the columns likewise. A g outside the grid is zero (the zero row
   stands for a missing row; a missing column reads +0). Each lane selects its four values, as the
   forward does, and sums them directly. What padding other than zeros folds back onto edge pixels
   is added afterwards by the caller.

   The shift gradient at output pixel (r, q) reads the forward's four values x00 .. x11 (the
   forward's row and column maps; -1 reads zeros) and adds, per lane, g (x10 - x00), g (x11 - x01),
   g (x01 - x00) and g (x11 - x10) into sums[0..C), [C..2C), [2C..3C) and [3C..4C): pixel by pixel
   in memory order, the same order on every level.

   Along a row each lane's column selections are made once, as a column enters: for g's row
   gA, S_k = (base -1 ? gA[k] : gA[k - 1]), so that input pixel q gathers S_{q+1} with weight
   a0 and S_q with b0; for x's upper row t, X_k = (base -1 ? t[k - 1] : t[k]), so that output q
   reads X_q as x00 and X_{q+1} as x01; likewise gB and u. The input gradient and the shift
   gradient run as two passes along the row (the second reading g and x from cache), each with
   few enough values live that nothing spills; a pass does two columns per iteration, so that
   the values it carries need no copies. With gather == 2 (the sparse backward) the first pass
   instead selects each lane's rounded neighbour of g, the integer shift's adjoint, and the sums
   are the same. */
#define GATHER_ENTER(pA, pB, nSA, nSB, column)                                                     \
    do {                                                                                           \
        lanes8 g0_, g1_, g2_;                                                                      \
        LOAD8(g0_, grow[0] + (int64_t)(column) * channels + c);                                    \
        LOAD8(g1_, grow[1] + (int64_t)(column) * channels + c);                                    \
        LOAD8(g2_, grow[2] + (int64_t)(column) * channels + c);                                    \
        lanes8 ga_ = SELECT8(mh, g2_, g1_), gb_ = SELECT8(mh, g1_, g0_);                           \
        nSA = SELECT8(mw, ga_, pA); nSB = SELECT8(mw, gb_, pB);                                    \
        pA = ga_; pB = gb_;                                                                        \
    } while (0)
#define GATHER_PIXEL(q, SA, SB, nSA, nSB)                                                          \
    do {                                                                                           \
        lanes8 o_ = (wa0 * nSA + wb0 * SA) + (wa1 * nSB + wb1 * SB);                               \
        STORE8(out + (int64_t)(q) * channels + c, o_);                                             \
    } while (0)
#define SUMS_ENTER(pt, pu, nX, nY, x0, x1, x2)                                                     \
    do {                                                                                           \
        lanes8 t_ = SELECT8(mh, x0, x1), u_ = SELECT8(mh, x1, x2);                                 \
        nX = SELECT8(mw, pt, t_); nY = SELECT8(mw, pu, u_);                                        \
        pt = t_; pu = u_;                                                                          \
    } while (0)
#define SUMS_ENTER_COLUMN(pt, pu, nX, nY, column)                                                  \
    do {                                                                                           \
        lanes8 x0_, x1_, x2_;                                                                      \
        LOAD8(x0_, xrow[0] + (int64_t)(column) * channels + c);                                    \
        LOAD8(x1_, xrow[1] + (int64_t)(column) * channels + c);                                    \
        LOAD8(x2_, xrow[2] + (int64_t)(column) * channels + c);                                    \
        SUMS_ENTER(pt, pu, nX, nY, x0_, x1_, x2_);                                                 \
    } while (0)
/* Column `mapped` of x as the padding maps an edge column (-1: zeros). */
#define SUMS_ENTER_MAPPED(pt, pu, nX, nY, mapped)                                                  \
    do {                                                                                           \
        if ((mapped) >= 0) SUMS_ENTER_COLUMN(pt, pu, nX, nY, mapped);                              \
        else SUMS_ENTER(pt, pu, nX, nY, zero, zero, zero);                                         \
    } while (0)
#define SUMS_PIXEL(q, X, Y, nX, nY)                                                                \
    do {                                                                                           \
        lanes8 gq_;                                                                                \
        LOAD8(gq_, grow[1] + (int64_t)(q) * channels + c);                                         \
        s0 += gq_ * (Y - X);                                                                       \
        s1 += gq_ * (nY - nX);                                                                     \
        s2 += gq_ * (nX - X);                                                                      \
        s3 += gq_ * (nY - Y);                                                                      \
    } while (0)

static inline __attribute__((always_inline)) void
neighbours_backward_body(const float *x, const float *g, float *gx, const float *zero_row, int64_t height,
                         int64_t width, int64_t channels, const int32_t *rows, const int32_t *columns,
                         const int32_t *row_low, const int32_t *col_low, const float *a0, const float *b0,
                         const float *a1, const float *b1, float *sums, int64_t first_row, int64_t row_count,
                         int gather, const int32_t *round_row, const int32_t *round_col) {
    const lanes8 zero = {0};
    const int64_t per = channels >= 8 ? (width * channels + channels / 8 - 1) / (channels / 8) : 0;
    for (int64_t r = first_row; r < first_row + row_count; r++) {
        const float *grow[3], *xrow[3];
        for (int i = 0; i < 3; i++) {
            int64_t k = r + i - 1;
            grow[i] = k < 0 || k >= height ? zero_row : g + k * width * channels;
            xrow[i] = rows[3 * r + i] < 0 ? zero_row : x + (int64_t)rows[3 * r + i] * width * channels;
        }
        float *out = gx + r * width * channels;
        /* The rows the next row reads first (g's row r + 2, x's offset +1 of row r + 1). */
        int more = r + 1 < first_row + row_count;
        const float *g_ahead = more && r + 2 < height ? g + (r + 2) * width * channels : NULL;
        const float *x_ahead = more && rows[3 * (r + 1) + 2] >= 0
            ? x + (int64_t)rows[3 * (r + 1) + 2] * width * channels : NULL;
        for (int64_t c = 0; c < channels; c += 8) {
            prefetch_split(g_ahead, more ? out + width * channels : NULL, width * channels, per, c / 8);
            prefetch_split(x_ahead, NULL, width * channels, per, c / 8);
            NEIGHBOUR_CHANNELS(c);
            if (gather == 2) {
                /* The integer shift's adjoint: input pixel (r, j) takes g at (r - bh, j - bw), the
                   lane's rounded offsets in -1 .. 1, or +0 beyond the grid: a selection of bits,
                   as the integer gather moves them. */
                mask8 oh, ow;
                LOAD8(oh, round_row + c);
                LOAD8(ow, round_col + c);
                const mask8 above = oh == 1, below = oh == -1, left = ow == 1, right = ow == -1;
#define ROUNDED_ENTER(v, column)                                                                   \
    do {                                                                                           \
        lanes8 g0_, g1_, g2_;                                                                      \
        LOAD8(g0_, grow[0] + (int64_t)(column) * channels + c);                                    \
        LOAD8(g1_, grow[1] + (int64_t)(column) * channels + c);                                    \
        LOAD8(g2_, grow[2] + (int64_t)(column) * channels + c);                                    \
        (v) = SELECT8(above, g0_, SELECT8(below, g2_, g1_));                                       \
    } while (0)
                lanes8 L = zero, C, R, o;
                ROUNDED_ENTER(C, 0);
                for (int64_t q = 0; q < width - 1; q++) {
                    ROUNDED_ENTER(R, q + 1);
                    o = SELECT8(left, L, SELECT8(right, R, C));
                    STORE8(out + q * channels + c, o);
                    L = C; C = R;
                }
                /* The last pixel's right neighbour lies beyond the grid. */
                o = SELECT8(left, L, SELECT8(right, zero, C));
                STORE8(out + (width - 1) * channels + c, o);
#undef ROUNDED_ENTER
            } else {
                /* Column -1 of g is zero; column q + 1 enters before pixel q. */
                lanes8 pA = zero, pB = zero, SA, SB, nSA, nSB;
                GATHER_ENTER(pA, pB, SA, SB, 0);
                int64_t q = 0;
                for (; q < width - 2; q += 2) {
                    GATHER_ENTER(pA, pB, nSA, nSB, q + 1);
                    GATHER_PIXEL(q, SA, SB, nSA, nSB);
                    GATHER_ENTER(pA, pB, SA, SB, q + 2);
                    GATHER_PIXEL(q + 1, nSA, nSB, SA, SB);
                }
                if (q + 1 < width) {
                    GATHER_ENTER(pA, pB, nSA, nSB, q + 1);
                    GATHER_PIXEL(q, SA, SB, nSA, nSB);
                    SA = nSA; SB = nSB;
                    q++;
                }
                /* The last pixel's right neighbour lies beyond the grid, where g is zero. */
                nSA = SELECT8(mw, zero, pA); nSB = SELECT8(mw, zero, pB);
                GATHER_PIXEL(q, SA, SB, nSA, nSB);
            }
            {
                lanes8 s0, s1, s2, s3;
                LOAD8(s0, sums + c); LOAD8(s1, sums + channels + c);
                LOAD8(s2, sums + 2 * channels + c); LOAD8(s3, sums + 3 * channels + c);
                /* Columns -1 and width of x are what the padding maps them to (zeros where it
                   leaves the input). */
                lanes8 pt = zero, pu = zero, X, Y, nX, nY;
                SUMS_ENTER_MAPPED(pt, pu, X, Y, columns[0]);
                SUMS_ENTER_COLUMN(pt, pu, X, Y, 0);
                int64_t q = 0;
                for (; q < width - 2; q += 2) {
                    SUMS_ENTER_COLUMN(pt, pu, nX, nY, q + 1);
                    SUMS_PIXEL(q, X, Y, nX, nY);
                    SUMS_ENTER_COLUMN(pt, pu, X, Y, q + 2);
                    SUMS_PIXEL(q + 1, nX, nY, X, Y);
                }
                if (q + 1 < width) {
                    SUMS_ENTER_COLUMN(pt, pu, nX, nY, q + 1);
                    SUMS_PIXEL(q, X, Y, nX, nY);
                    X = nX; Y = nY;
                    q++;
                }
                SUMS_ENTER_MAPPED(pt, pu, nX, nY, columns[3 * (width - 1) + 2]);
                SUMS_PIXEL(q, X, Y, nX, nY);
                STORE8(sums + c, s0); STORE8(sums + channels + c, s1);
                STORE8(sums + 2 * channels + c, s2); STORE8(sums + 3 * channels + c, s3);
            }
        }
    }
}
#undef GATHER_ENTER
#undef GATHER_PIXEL
#undef SUMS_ENTER
#undef SUMS_ENTER_COLUMN
#undef SUMS_ENTER_MAPPED
#undef SUMS_PIXEL


#if defined(__x86_64__) && defined(__clang__)
#define SHIFT_SIMD_X86 1
#define LEVEL_FUNCTIONS(suffix, features)                                                          \
    __attribute__((target(features))) static void bilinear_##suffix(                               \
        float *out, const float *p0, const float *p1, float a0, float b0, float a1, float b1,    \
        int64_t count) {                                                                           \
        bilinear_body(out, p0, p1, a0, b0, a1, b1, count);                                         \
    }                                                                                              \
    __attribute__((target(features))) static void trilinear_##suffix(                              \
        float *out, const float *p0, const float *p1, const float *p2, const float *p3, float a0,  \
        float b0, float a1, float b1, float a2, float b2, float a3, float b3, int64_t count) {     \
        trilinear_body(out, p0, p1, p2, p3, a0, b0, a1, b1, a2, b2, a3, b3, count);                \
    }                                                                                              \
    __attribute__((target(features))) static void linear_##suffix(                                 \
        float *out, const float *p, float a, float b, int64_t count, int accumulate) {             \
        linear_body(out, p, a, b, count, accumulate);                                              \
    }                                                                                              \
    __attribute__((target(features))) static void bilinear_step2_##suffix(                         \
        float *out, const float *p0, const float *p1, float a0, float b0, float a1, float b1,    \
        int64_t count) {                                                                           \
        bilinear_step2_body(out, p0, p1, a0, b0, a1, b1, count);                                   \
    }                                                                                              \
    __attribute__((target(features))) static void trilinear_step2_##suffix(                        \
        float *out, const float *p0, const float *p1, const float *p2, const float *p3, float a0,   \
        float b0, float a1, float b1, float a2, float b2, float a3, float b3, int64_t count) {       \
        trilinear_step2_body(out, p0, p1, p2, p3, a0, b0, a1, b1, a2, b2, a3, b3, count);         \
    }                                                                                              \
    __attribute__((target(features))) static void linear_step2_##suffix(                           \
        float *out, const float *p, float a, float b, int64_t count, int accumulate) {             \
        linear_step2_body(out, p, a, b, count, accumulate);                                        \
    }                                                                                              \
    __attribute__((target(features))) static void dot_differences_##suffix(                        \
        const float *g, const float *x, int64_t count, float *diff_lanes, float *base_lanes) {     \
        dot_differences_body(g, x, count, diff_lanes, base_lanes);                                 \
    }                                                                                              \
    __attribute__((target(features))) static void dot_differences2_##suffix(                       \
        const float *g, const float *x0, const float *x1, int64_t count, float *lanes) {           \
        dot_differences2_body(g, x0, x1, count, lanes);                                            \
    }                                                                                              \
    __attribute__((target(features))) static void neighbours_##suffix(                             \
        const float *x, float *y, int64_t width, int64_t out_width, int64_t column_step, int64_t channels, \
        const int32_t *rows, const int32_t *columns, const int32_t *row_low, const int32_t *col_low,  \
        const float *a0, const float *b0, const float *a1, const float *b1, int64_t first_row,       \
        int64_t row_count) {                                                                       \
        neighbours_body(x, y, width, out_width, column_step, channels, rows, columns, row_low, col_low, a0, b0, \
                        a1, b1, first_row, row_count);                                             \
    }                                                                                              \
    __attribute__((target(features))) static void neighbours_backward_##suffix(                    \
        const float *x, const float *g, float *gx, const float *zero_row, int64_t height, int64_t width, \
        int64_t channels, const int32_t *rows, const int32_t *columns, const int32_t *row_low,      \
        const int32_t *col_low, const float *a0, const float *b0, const float *a1, const float *b1, \
        float *sums, int64_t first_row, int64_t row_count, int gather, const int32_t *round_row,   \
        const int32_t *round_col) {                                                                \
        neighbours_backward_body(x, g, gx, zero_row, height, width, channels, rows, columns, row_low, \
                                 col_low, a0, b0, a1, b1, sums, first_row, row_count, gather, round_row, \
                                 round_col);                                                       \
    }                                                                                              \
    __attribute__((target(features))) static void wide_##suffix(                                   \
        const float *x, float *y, const float *minus_channels, int64_t width, int64_t out_width,     \
        int64_t column_step, int64_t row_step, int64_t channels, const int32_t *rows,               \
        const int32_t *columns, const int32_t *row_base, const int32_t *col_base, const float *a0,  \
        const float *b0, const float *a1, const float *b1, int64_t first_row, int64_t row_count) {  \
        wide_body(x, y, minus_channels, width, out_width, column_step, row_step, channels, rows, columns, \
                  row_base, col_base, a0, b0, a1, b1, first_row, row_count);                       \
    }                                                                                              \
    __attribute__((target(features))) static void volume_##suffix(                                 \
        const float *x, float *y, int64_t height, int64_t width, int64_t out_height, int64_t out_width, \
        int64_t column_step, int64_t channels, const int32_t *slices, const int32_t *rows,          \
        const int32_t *columns, const int32_t *slice_low, const int32_t *row_low,                   \
        const int32_t *col_low, const float *w, int64_t first_row, int64_t row_count) {             \
        volume_body(x, y, height, width, out_height, out_width, column_step, channels, slices, rows, columns, \
                    slice_low, row_low, col_low, w, first_row, row_count);                         \
    }                                                                                              \
    __attribute__((target(features))) static void transpose_##suffix(                              \
        const float *source, int64_t ss, float *target, int64_t ts, int64_t rows, int64_t columns) { \
        transpose_body(source, ss, target, ts, rows, columns);                                     \
    }                                                                                              \
    __attribute__((target(features))) static void select_neighbours_##suffix(                      \
        uint8_t *out, int64_t out_step, const uint8_t *const *rows, const uint8_t *const *before,   \
        const uint8_t *const *after, int64_t in_step, int64_t pixel_bytes, int64_t count,           \
        const uint8_t *masks, const uint8_t *ahead, int64_t ahead_bytes, uint8_t *out_ahead,        \
        int64_t out_ahead_bytes) {                                                                 \
        select_neighbours_body(out, out_step, rows, before, after, in_step, pixel_bytes, count, masks, ahead, \
                               ahead_bytes, out_ahead, out_ahead_bytes);                           \
    }                                                                                              \
    __attribute__((target(features))) static void select_pixels_##suffix(                          \
        uint8_t *out, int64_t out_step, const uint8_t *const *sources, int64_t in_step, int64_t pixel_bytes, \
        int64_t count, const int32_t *first, const int32_t *entry_source, const uint8_t *entry_mask, \
        const uint8_t *ahead, int64_t ahead_bytes, uint8_t *out_ahead, int64_t out_ahead_bytes) {  \
        select_pixels_body(out, out_step, sources, in_step, pixel_bytes, count, first, entry_source, \
                           entry_mask, ahead, ahead_bytes, out_ahead, out_ahead_bytes);           \
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
    else fprintf(stderr, "shiftops: SHIFTOPS_SIMD=%s is not portable, avx2 or avx512; ignored\n", request);
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

/* Runs `name`'s loop at `level`: the AVX-512 or AVX2 build of the same body, or the portable one.
   Every entry point dispatches through this one rule. */
#ifdef SHIFT_SIMD_X86
#define DISPATCH(level, name, ...)                                                                 \
    do {                                                                                           \
        if ((level) >= SHIFT_SIMD_AVX512) name##_avx512(__VA_ARGS__);                              \
        else if ((level) == SHIFT_SIMD_AVX2) name##_avx2(__VA_ARGS__);                             \
        else name##_body(__VA_ARGS__);                                                             \
    } while (0)
#else
#define DISPATCH(level, name, ...) ((void)(level), name##_body(__VA_ARGS__))
#endif

void shift_simd_bilinear_f32(int level, float *out, const float *p0, const float *p1,
                             float a0, float b0, float a1, float b1, int64_t count) {
    DISPATCH(level, bilinear, out, p0, p1, a0, b0, a1, b1, count);
}

void shift_simd_trilinear_f32(int level, float *out, const float *p0, const float *p1, const float *p2,
                              const float *p3, float a0, float b0, float a1, float b1, float a2, float b2,
                              float a3, float b3, int64_t count) {
    DISPATCH(level, trilinear, out, p0, p1, p2, p3, a0, b0, a1, b1, a2, b2, a3, b3, count);
}

void shift_simd_linear_f32(int level, float *out, const float *p, float a, float b, int64_t count,
                           int accumulate) {
    DISPATCH(level, linear, out, p, a, b, count, accumulate);
}

void shift_simd_bilinear_step2_f32(int level, float *out, const float *p0, const float *p1, float a0, float b0,
                                   float a1, float b1, int64_t count) {
    DISPATCH(level, bilinear_step2, out, p0, p1, a0, b0, a1, b1, count);
}

void shift_simd_trilinear_step2_f32(int level, float *out, const float *p0, const float *p1, const float *p2,
                                    const float *p3, float a0, float b0, float a1, float b1, float a2, float b2,
                                    float a3, float b3, int64_t count) {
    DISPATCH(level, trilinear_step2, out, p0, p1, p2, p3, a0, b0, a1, b1, a2, b2, a3, b3, count);
}

void shift_simd_linear_step2_f32(int level, float *out, const float *p, float a, float b, int64_t count,
                                 int accumulate) {
    DISPATCH(level, linear_step2, out, p, a, b, count, accumulate);
}

void shift_simd_dot_differences_f32(int level, const float *g, const float *x, int64_t count,
                                    float *diff_lanes, float *base_lanes) {
    /* Eight lanes are one AVX2 register; AVX-512 keeps them (wider lanes would change the sums). */
    DISPATCH(level, dot_differences, g, x, count, diff_lanes, base_lanes);
}

void shift_simd_dot_differences2_f32(int level, const float *g, const float *x0, const float *x1, int64_t count,
                                     float *lanes) {
    DISPATCH(level, dot_differences2, g, x0, x1, count, lanes);
}

void shift_simd_transpose32(int level, const void *source, int64_t source_stride, void *target,
                            int64_t target_stride, int64_t rows, int64_t columns) {
    /* Floats are only moved here, never computed with, so any 4-byte element's bits survive. */
    DISPATCH(level, transpose, (const float *)source, source_stride, (float *)target, target_stride, rows, columns);
}

void shift_simd_neighbours_f32(int level, const float *x, float *y, int64_t width, int64_t out_width,
                               int64_t column_step, int64_t channels, const int32_t *rows, const int32_t *columns,
                               const int32_t *row_low, const int32_t *col_low, const float *a0, const float *b0,
                               const float *a1, const float *b1, int64_t first_row, int64_t row_count) {
    DISPATCH(level, neighbours, x, y, width, out_width, column_step, channels, rows, columns, row_low, col_low, a0, b0,
             a1, b1, first_row, row_count);
}

void shift_simd_neighbours_backward_f32(int level, const float *x, const float *g, float *gx, const float *zero_row,
                                        int64_t height, int64_t width, int64_t channels, const int32_t *rows,
                                        const int32_t *columns, const int32_t *row_low, const int32_t *col_low,
                                        const float *a0, const float *b0, const float *a1, const float *b1,
                                        float *sums, int64_t first_row, int64_t row_count, int gather,
                                        const int32_t *round_row, const int32_t *round_col) {
    DISPATCH(level, neighbours_backward, x, g, gx, zero_row, height, width, channels, rows, columns, row_low, col_low,
             a0, b0, a1, b1, sums, first_row, row_count, gather, round_row, round_col);
}

void shift_simd_wide_neighbours_f32(int level, const float *x, float *y, const float *minus_channels, int64_t width,
                                    int64_t out_width, int64_t column_step, int64_t row_step, int64_t channels,
                                    const int32_t *rows, const int32_t *columns, const int32_t *row_base,
                                    const int32_t *col_base, const float *a0, const float *b0, const float *a1,
                                    const float *b1, int64_t first_row, int64_t row_count) {
    DISPATCH(level, wide, x, y, minus_channels, width, out_width, column_step, row_step, channels, rows, columns,
             row_base, col_base, a0, b0, a1, b1, first_row, row_count);
}

void shift_simd_volume_neighbours_f32(int level, const float *x, float *y, int64_t height, int64_t width,
                                      int64_t out_height, int64_t out_width, int64_t column_step, int64_t channels,
                                      const int32_t *slices, const int32_t *rows, const int32_t *columns,
                                      const int32_t *slice_low, const int32_t *row_low, const int32_t *col_low,
                                      const float *weights, int64_t first_row, int64_t row_count) {
    DISPATCH(level, volume, x, y, height, width, out_height, out_width, column_step, channels, slices, rows, columns,
             slice_low, row_low, col_low, weights, first_row, row_count);
}

void shift_simd_select_pixels(int level, void *out, int64_t out_step, const void *const *sources, int64_t in_step,
                              int64_t pixel_bytes, int64_t count, const int32_t *first, const int32_t *entry_source,
                              const uint8_t *entry_mask, const void *ahead, int64_t ahead_bytes, void *out_ahead,
                              int64_t out_ahead_bytes) {
    /* Bytes are only moved here, so any element type's bits survive, on every level. */
    DISPATCH(level, select_pixels, (uint8_t *)out, out_step, (const uint8_t *const *)sources, in_step, pixel_bytes,
             count, first, entry_source, entry_mask, (const uint8_t *)ahead, ahead_bytes, (uint8_t *)out_ahead,
             out_ahead_bytes);
}

void shift_simd_select_neighbours(int level, void *out, int64_t out_step, const void *const *rows,
                                  const void *const *before, const void *const *after, int64_t in_step,
                                  int64_t pixel_bytes, int64_t count, const uint8_t *masks, const void *ahead,
                                  int64_t ahead_bytes, void *out_ahead, int64_t out_ahead_bytes) {
    DISPATCH(level, select_neighbours, (uint8_t *)out, out_step, (const uint8_t *const *)rows,
             (const uint8_t *const *)before, (const uint8_t *const *)after, in_step, pixel_bytes, count, masks,
             (const uint8_t *)ahead, ahead_bytes, (uint8_t *)out_ahead, out_ahead_bytes);
}

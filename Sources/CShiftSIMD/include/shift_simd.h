/*
 * The CPU kernels' innermost loops compiled for wider vector units, chosen at run time.
 *
 * The package is built for the baseline of its architecture (SSE2 on x86-64), so the Swift
 * loops use 4-wide vectors. On x86-64 each function here also exists compiled for AVX2 and for
 * AVX-512, and shift_simd_level() picks the widest the processor has, once. Every variant does
 * each element's arithmetic in the same order, with no fused multiply-add, so every level gives
 * the same bits as the portable Swift loops.
 *
 * The environment variable SHIFTOPS_SIMD (portable, avx2, avx512) lowers the level for a
 * process, so that tests and benchmarks reach every path on one machine; it never raises it
 * above what the processor has.
 */
#ifndef SHIFT_SIMD_H
#define SHIFT_SIMD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The vector levels, widest last. */
enum {
    SHIFT_SIMD_PORTABLE = 0,
    SHIFT_SIMD_AVX2 = 1,
    SHIFT_SIMD_AVX512 = 2,
};

/* The widest level this processor supports. */
int shift_simd_supported_level(void);

/* The level in use: the supported one, lowered by SHIFTOPS_SIMD when set; read once. */
int shift_simd_level(void);

/* out[i] = (a0 * p0[i] + b0 * p0[i + 1]) + (a1 * p1[i] + b1 * p1[i + 1]) for i < count: the
   forward's interior, two interpolated rows. */
void shift_simd_bilinear_f32(int level, float *out, const float *p0, const float *p1,
                             float a0, float b0, float a1, float b1, int64_t count);

/* out[i] = ((t0 + t1) + t2) + t3 with tk = ak * pk[i] + bk * pk[i + 1], for i < count: the 3-D
   forward's interior, four interpolated rows in one pass (the sums two linear passes after
   bilinear would form). */
void shift_simd_trilinear_f32(int level, float *out, const float *p0, const float *p1, const float *p2,
                              const float *p3, float a0, float b0, float a1, float b1, float a2, float b2,
                              float a3, float b3, int64_t count);

/* out[i] = a * p[i] + b * p[i + 1] (accumulate == 0) or out[i] += a * p[i] + b * p[i + 1]: one
   interpolated row (1-D data, the depth taps of 3-D data, and the row path's rows at stride 1). */
void shift_simd_linear_f32(int level, float *out, const float *p, float a, float b, int64_t count,
                           int accumulate);

/* out[i] = a * p[2i] + b * p[2i + 1] (accumulate == 0) or out[i] += a * p[2i] + b * p[2i + 1]: one
   interpolated output row at stride 2 over a dense input row, the sums the strided row loop
   forms, bit for bit. */
void shift_simd_linear_step2_f32(int level, float *out, const float *p, float a, float b, int64_t count,
                                 int accumulate);

/* out[i] = (a0 p0[2i] + b0 p0[2i + 1]) + (a1 p1[2i] + b1 p1[2i + 1]): both vertical taps of an
   output row at stride 2 over two dense input rows in one pass, the sums the strided row loop
   forms tap by tap, bit for bit. */
void shift_simd_bilinear_step2_f32(int level, float *out, const float *p0, const float *p1, float a0, float b0,
                                   float a1, float b1, int64_t count);

/* out[i] = (((a0 x0 + b0 y0) + (a1 x1 + b1 y1)) + (a2 x2 + b2 y2)) + (a3 x3 + b3 y3), x_k = p_k[2i],
   y_k = p_k[2i + 1]: the four row taps of a 3-D output row at stride 2 over four dense input rows
   in one pass, the sums the strided row loop forms tap by tap, bit for bit. */
void shift_simd_trilinear_step2_f32(int level, float *out, const float *p0, const float *p1, const float *p2,
                                    const float *p3, float a0, float b0, float a1, float b1, float a2, float b2,
                                    float a3, float b3, int64_t count);

/* For i < count rounded down to a multiple of 8, lane i % 8 of diff_lanes accumulates
   g[i] * (x[i + 1] - x[i]) and lane i % 8 of base_lanes g[i] * x[i], i ascending: the shift
   gradient's sums along a span, eight lanes on every level so that the bits never change. The
   caller sums the lanes and the tail. */
void shift_simd_dot_differences_f32(int level, const float *g, const float *x, int64_t count,
                                    float *diff_lanes, float *base_lanes);

/* shift_simd_dot_differences_f32 for two rows of x against the same g in one pass: lanes[0..8)
   and lanes[8..16) are x0's diff and base lanes, lanes[16..24) and lanes[24..32) x1's, each bit
   for bit what the one-row function gives. */
void shift_simd_dot_differences2_f32(int level, const float *g, const float *x0, const float *x1, int64_t count,
                                     float *lanes);

/* target[j * target_stride + i] = source[i * source_stride + j] for i < rows, j < columns, for
   elements of 4 bytes (moved, never interpreted): the channels-last tiles' transposes. */
void shift_simd_transpose32(int level, const void *source, int64_t source_stride, void *target,
                            int64_t target_stride, int64_t rows, int64_t columns);

/* The channels-last 2-D forward of one image where every channel's taps lie in the 3 x 3
   neighbourhood of its output pixel's centre (two taps per axis, bases -1 or 0): x is
   [H, width, channels] and y [H', out_width, channels], both dense. Output row r, for first_row <=
   r < first_row + row_count, reads input rows rows[3r + i] (the centre's offsets i - 1, mapped
   through the padding; -1 reads zeros), and output column q input columns columns[3q + j]
   likewise; neighbouring output columns' centres lie column_step input columns apart (the stride
   along a row). Channel c reads offsets -1
   and 0 on an axis where row_low[c] (col_low[c]) is -1, else 0 and +1, and writes
   (a0 x00 + b0 x01) + (a1 x10 + b1 x11) with its own weights: the sums the planar kernels form,
   bit for bit, each lane's values selected, never multiplied by a zero weight. */
void shift_simd_neighbours_f32(int level, const float *x, float *y, int64_t width, int64_t out_width,
                               int64_t column_step, int64_t channels, const int32_t *rows, const int32_t *columns,
                               const int32_t *row_low, const int32_t *col_low, const float *a0, const float *b0,
                               const float *a1, const float *b1, int64_t first_row, int64_t row_count);

/* The channels-last 2-D forward of one image where every channel's taps lie in the 5 x 5
   neighbourhood of its output pixel's centre (two taps per axis, bases -2 to 1): x is
   [H, width, channels] and y [H', out_width, channels], both dense, channels a multiple of 8,
   over output rows first_row to first_row + row_count. Output row r reads input rows rows[5r + i]
   (the centre's offsets i - 2, mapped through the padding; -1 reads minus_channels, channels
   floats of -0, at every column), output column q input columns columns[5q + j] likewise;
   neighbouring output rows' centres lie row_step input rows apart and columns' column_step
   (the strides). Channel c's bases are row_base[c] and col_base[c]; it
   writes (a0 x00 + b0 x01) + (a1 x10 + b1 x11) with its own weights, the planar kernels' sums bit
   for bit, each lane's values selected, never multiplied by a zero weight. */
void shift_simd_wide_neighbours_f32(int level, const float *x, float *y, const float *minus_channels, int64_t width,
                                    int64_t out_width, int64_t column_step, int64_t row_step, int64_t channels,
                                    const int32_t *rows, const int32_t *columns, const int32_t *row_base,
                                    const int32_t *col_base, const float *a0, const float *b0, const float *a1,
                                    const float *b1, int64_t first_row, int64_t row_count);

/* The channels-last 3-D forward of one image where every channel's taps lie in the 3 x 3 x 3
   neighbourhood of its output pixel's centre: x is [D, height, width, channels] and y
   [D', out_height, out_width, channels], both dense, over output rows first_row to
   first_row + row_count (row r is row r % out_height of slice r / out_height). Output slice s reads
   input slices slices[3s + k] (the centre's offsets k - 1, mapped through the padding; -1 reads
   zeros), output row r rows[3r + i] and output column q columns[3q + j] likewise; neighbouring
   output columns' centres lie column_step input columns apart. Channel c reads offsets -1 and 0
   on an axis where its slice_low[c] (row_low[c], col_low[c]) is -1, else 0 and +1, with weight
   weights[(4k + 2i + j) * channels + c] for its slice k, row i and column j (each 0 or 1), and
   writes the planar kernels' sum (((T00 + T01) + T10) + T11), T_ki its row term
   w_ki0 x_ki0 + w_ki1 x_ki1, bit for bit, each lane's values selected, never multiplied by a
   zero weight. */
void shift_simd_volume_neighbours_f32(int level, const float *x, float *y, int64_t height, int64_t width,
                                      int64_t out_height, int64_t out_width, int64_t column_step, int64_t channels,
                                      const int32_t *slices, const int32_t *rows, const int32_t *columns,
                                      const int32_t *slice_low, const int32_t *row_low, const int32_t *col_low,
                                      const float *weights, int64_t first_row, int64_t row_count);

/* The backward of shift_simd_neighbours_f32 for one image whose output grid is its input grid
   ([height, width, channels], dense) and whose channel count is a multiple of 8, over rows
   first_row to first_row + row_count. gx is gathered from g (rows and columns outside the grid
   read zeros: zero_row holds width * channels zeros); padding other than zeros folds more onto
   the edge pixels, which the caller adds. Into sums (4 * channels floats), each lane
   adds, pixel by pixel in memory order, g (x10 - x00), g (x11 - x01), g (x01 - x00) and
   g (x11 - x10) into sums[0..C), [C..2C), [2C..3C) and [3C..4C), x00 .. x11 being the values the
   forward reads through rows and columns (as in shift_simd_neighbours_f32). The same bits on
   every level. gather says what gx gets: 1, the gather above; 2, the adjoint of an integer shift
   instead, channel c's output pixel (r, q) having read input (r + round_row[c], q + round_col[c]),
   offsets in -1 .. 1 (input pixel (r, q) takes g at (r - round_row[c], q - round_col[c]), or +0
   beyond the grid: g's bits, moved, never computed with). round_row and round_col are read only
   for 2. */
void shift_simd_neighbours_backward_f32(int level, const float *x, const float *g, float *gx, const float *zero_row,
                                        int64_t height, int64_t width, int64_t channels, const int32_t *rows,
                                        const int32_t *columns, const int32_t *row_low, const int32_t *col_low,
                                        const float *a0, const float *b0, const float *a1, const float *b1,
                                        float *sums, int64_t first_row, int64_t row_count, int gather,
                                        const int32_t *round_row, const int32_t *round_col);

/* count pixels of an integer shift on channels-last data, each pixel_bytes (at least 32) bytes of
   channels: output pixel i at out + i * out_step takes its bytes from sources[k] + i * in_step,
   source k being where channels of one set of taps read (a fill row where the padding reads the
   fill). The bytes are taken 32 at a time: chunk j covers bytes min(32 j, pixel_bytes - 32) to
   32 more (the last chunk overlaps the one before where pixel_bytes is not a multiple of 32);
   its entries first[j] to first[j + 1] name a source (entry_source) and the bytes taken from it
   (entry_mask, 32 bytes of 0 or 0xFF each), and together cover each byte once. Bytes are moved,
   never interpreted. ahead (ahead_bytes) and out_ahead (out_ahead_bytes), either NULL, are asked
   for while the chunks are swept: the next input row to be read and output row to be written. */
void shift_simd_select_pixels(int level, void *out, int64_t out_step, const void *const *sources, int64_t in_step,
                              int64_t pixel_bytes, int64_t count, const int32_t *first, const int32_t *entry_source,
                              const uint8_t *entry_mask, const void *ahead, int64_t ahead_bytes, void *out_ahead,
                              int64_t out_ahead_bytes);

/* count (at least 1) pixels of an integer shift whose every channel reads inside a 3 x 3
   neighbourhood, the same bytes as shift_simd_select_pixels: rows[0..3) are the three input rows
   at the centre column of output pixel 0 (a fill row where the padding reads the fill), pixel i
   reading columns i - 1 to i + 1 (in_step bytes apart), except that the first pixel's left
   columns are before[0..3) and the last pixel's right columns after[0..3) (each a pixel, mapped
   through the padding where a row ends there); the columns between must lie inside. Chunk j (as in
   shift_simd_select_pixels) takes each byte from the row and column its four masks (masks +
   128 j: upper row, lower row, left column, right column; 32 bytes of 0 or 0xFF each) say, the
   middle where neither of a pair is set. ahead and out_ahead as in shift_simd_select_pixels. */
void shift_simd_select_neighbours(int level, void *out, int64_t out_step, const void *const *rows,
                                  const void *const *before, const void *const *after, int64_t in_step,
                                  int64_t pixel_bytes, int64_t count, const uint8_t *masks, const void *ahead,
                                  int64_t ahead_bytes, void *out_ahead, int64_t out_ahead_bytes);

#ifdef __cplusplus
}
#endif

#endif

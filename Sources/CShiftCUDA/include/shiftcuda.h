/*
 * shiftcuda.h: the whole interface of libshiftcuda.so, the CUDA kernels of ShiftOps.
 *
 * Plain C, no CUDA types: device pointers are plain pointers, streams are void*. Every function
 * returns 0 on success, a CUDA runtime error code (cudaError_t, < 1000) when CUDA failed, or one
 * of the SHIFTCUDA_ERROR_* codes below. The library checks the launch error after every kernel.
 */
#ifndef SHIFTCUDA_H
#define SHIFTCUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this header or the kernels' behaviour changes; ShiftCUDA refuses a library
   whose shiftcuda_version() differs from the SHIFTCUDA_VERSION it was built with. */
#define SHIFTCUDA_VERSION 2

#define SHIFTCUDA_ERROR_INVALID_ARGUMENT 1001

enum { SHIFTCUDA_ZEROS = 0, SHIFTCUDA_BORDER = 1, SHIFTCUDA_PERIODIC = 2, SHIFTCUDA_REFLECT = 3, SHIFTCUDA_SYMMETRIC = 4 };
enum { SHIFTCUDA_ACTIVE = 0, SHIFTCUDA_SPARSE = 1, SHIFTCUDA_GROUPED = 2 };

/* A validated shift call lifted to three spatial axes [D, H, W] (1-D and 2-D data have leading
   axes of length 1). Strides are in elements, axes n, c, d, h, w; a lifted axis has stride 0.
   `order` lists the output's axes (0 = n ... 4 = w) from outermost to innermost in memory, so that
   consecutive threads write consecutive addresses. */
typedef struct shiftcuda_problem {
    int64_t batch, channels;
    int64_t in_size[3], out_size[3], step[3], origin[3];
    int64_t x_stride[5];   /* input */
    int64_t y_stride[5];   /* output (forward) or gradOutput (backward) */
    int64_t gx_stride[5];  /* gradInput (backward) */
    int64_t shift_stride[2];
    int32_t order[5];
    int32_t spatial_rank, mode, padding;
} shiftcuda_problem;

/* A 3x3 depthwise convolution on dense NCHW data. */
typedef struct shiftcuda_depthwise {
    int64_t batch, channels, height, width, out_height, out_width, padding, stride;
} shiftcuda_depthwise;

int shiftcuda_version(void);

int shiftcuda_forward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, float *y, void *stream);
int shiftcuda_forward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, double *y, void *stream);

/* Elements of workspace the backward needs for the shift gradient's partial sums. */
int64_t shiftcuda_backward_workspace(const shiftcuda_problem *p);

/* gx = J_x^T g (a gather: deterministic, no atomics); gs ([C, k], dense) = dL/ds when non-null,
   reduced per channel in a fixed order through `workspace`. Shifts are read on the device, [C, k]
   at shift_stride; a non-finite one makes its channel's y, gx and gs NaN. */
int shiftcuda_backward_f32(const shiftcuda_problem *p, const float *x, const float *shifts, const float *g,
                           float *gx, float *gs, float *workspace, void *stream);
int shiftcuda_backward_f64(const shiftcuda_problem *p, const double *x, const double *shifts, const double *g,
                           double *gx, double *gs, double *workspace, void *stream);

/* Float16 storage (IEEE binary16 bit patterns), computed in float: shifts, the shift gradient and
   the workspace are float. Each output is the float result rounded to nearest once. */
int shiftcuda_forward_f16(const shiftcuda_problem *p, const uint16_t *x, const float *shifts, uint16_t *y, void *stream);
int shiftcuda_backward_f16(const shiftcuda_problem *p, const uint16_t *x, const float *shifts, const uint16_t *g,
                           uint16_t *gx, float *gs, float *workspace, void *stream);

int64_t shiftcuda_depthwise_workspace(const shiftcuda_depthwise *p);
int shiftcuda_depthwise_forward_f32(const shiftcuda_depthwise *p, const float *x, const float *w, float *y, void *stream);
int shiftcuda_depthwise_backward_f32(const shiftcuda_depthwise *p, const float *x, const float *w, const float *g,
                                     float *gx, float *gw, float *workspace, void *stream);

#ifdef __cplusplus
}
#endif

#endif

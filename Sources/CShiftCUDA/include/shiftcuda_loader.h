/*
 * The loader of libshiftcuda.so. The library is opened at run time (dlopen), so that the package
 * links without it and a missing or stale library is an error Swift can report, not a crash.
 */
#ifndef SHIFTCUDA_LOADER_H
#define SHIFTCUDA_LOADER_H

#include "shiftcuda.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's entry points. */
typedef struct shiftcuda_functions {
    int (*version)(void);
    int (*forward_f32)(const shiftcuda_problem *, const float *, const float *, float *, void *);
    int (*forward_f64)(const shiftcuda_problem *, const double *, const double *, double *, void *);
    int64_t (*backward_workspace)(const shiftcuda_problem *);
    int (*backward_f32)(const shiftcuda_problem *, const float *, const float *, const float *, float *, float *, float *, void *);
    int (*backward_f64)(const shiftcuda_problem *, const double *, const double *, const double *, double *, double *, double *, void *);
    int (*forward_f16)(const shiftcuda_problem *, const uint16_t *, const float *, uint16_t *, void *);
    int (*backward_f16)(const shiftcuda_problem *, const uint16_t *, const float *, const uint16_t *, uint16_t *, float *, float *, void *);
    int64_t (*depthwise_workspace)(const shiftcuda_depthwise *);
    int (*depthwise_forward_f32)(const shiftcuda_depthwise *, const float *, const float *, float *, void *);
    int (*depthwise_backward_f32)(const shiftcuda_depthwise *, const float *, const float *, const float *, float *, float *, float *, void *);
} shiftcuda_functions;

/* Opens the library at `path` and resolves every entry point into `functions`. Returns 0, or -1
   with a reason in `message` (dlerror's text, or the missing symbol). */
int shiftcuda_load(const char *path, shiftcuda_functions *functions, char *message, int message_length);

#ifdef __cplusplus
}
#endif

#endif

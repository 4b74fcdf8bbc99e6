#include "shiftcuda_loader.h"

#include <dlfcn.h>
#include <stdio.h>

int shiftcuda_load(const char *path, shiftcuda_functions *functions, char *message, int message_length) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(message, (size_t)message_length, "%s", dlerror());
        return -1;
    }
    struct { const char *name; void **slot; } symbols[] = {
        {"shiftcuda_version", (void **)&functions->version},
        {"shiftcuda_forward_f32", (void **)&functions->forward_f32},
        {"shiftcuda_forward_f64", (void **)&functions->forward_f64},
        {"shiftcuda_backward_workspace", (void **)&functions->backward_workspace},
        {"shiftcuda_backward_f32", (void **)&functions->backward_f32},
        {"shiftcuda_backward_f64", (void **)&functions->backward_f64},
        {"shiftcuda_forward_f16", (void **)&functions->forward_f16},
        {"shiftcuda_backward_f16", (void **)&functions->backward_f16},
        {"shiftcuda_depthwise_workspace", (void **)&functions->depthwise_workspace},
        {"shiftcuda_depthwise_forward_f32", (void **)&functions->depthwise_forward_f32},
        {"shiftcuda_depthwise_backward_f32", (void **)&functions->depthwise_backward_f32},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
        *symbols[i].slot = dlsym(handle, symbols[i].name);
        if (!*symbols[i].slot) {
            snprintf(message, (size_t)message_length, "%s lacks %s (built from other sources?)", path, symbols[i].name);
            dlclose(handle);
            return -1;
        }
    }
    return 0;
}

/*
 * A fake libcuda.so.1 for checking Gradgen.Cuda's driver bindings and tests/Gradgen.GpuCheck without a GPU.
 * "Device memory" is host memory, events read the host clock, and cuLaunchKernel runs a C copy of the kernel whose
 * name it is given (the hand-written ABI fixtures and the test kernels), emulating the grid-stride loop thread by
 * thread. It checks the plumbing (argument arrays, sizes, copies, module and function lookup, error paths), not
 * CUDA code: only a real GPU runs the NVRTC output.
 *
 *   gcc -shared -fPIC -O2 -o /tmp/fake-cuda/libcuda.so.1 scripts/fake-cuda/fake_cuda.c -lm
 *   GRADGEN_CUDA_DRIVER_PATH=/tmp/fake-cuda/libcuda.so.1 dotnet test tests/Gradgen.Cuda.Tests
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef struct { char *image; size_t size; } Module;
typedef struct { const char *name; Module *module; } Function;

enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, INVALID_IMAGE = 200, INVALID_HANDLE = 400, NOT_FOUND = 500 };
static int initialized;

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }

CUresult cuInit(unsigned flags) { (void)flags; initialized = 1; return OK; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return OK; }
CUresult cuGetErrorName(CUresult e, const char **s)
{
    switch (e) {
    case OK: *s = "CUDA_SUCCESS"; return OK;
    case INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; return OK;
    case OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return OK;
    case INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; return OK;
    case INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; return OK;
    case NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; return OK;
    default: *s = 0; return INVALID_VALUE;
    }
}
CUresult cuGetErrorString(CUresult e, const char **s) { *s = e == NOT_FOUND ? "named symbol not found" : "fake driver error"; return OK; }
CUresult cuDeviceGetCount(int *c) { *c = initialized ? 1 : 0; return initialized ? OK : NOT_INITIALIZED; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? OK : INVALID_VALUE; }
CUresult cuDeviceGetName(char *name, int len, int dev) { (void)dev; strncpy(name, "Fake CPU Device", len); return OK; }
CUresult cuDeviceGetAttribute(int *v, int attr, int dev)
{
    (void)dev;
    switch (attr) {
    case 1: *v = 1024; break;   /* max threads per block */
    case 16: *v = 4; break;     /* SMs */
    case 75: *v = 9; break;     /* compute capability 9.0 */
    case 76: *v = 0; break;
    default: *v = 0;
    }
    return OK;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int dev) { (void)dev; *bytes = (size_t)1 << 30; return OK; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) { (void)dev; *ctx = (void *)0x5eed; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(int dev) { (void)dev; return OK; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx == (void *)0x5eed ? OK : INVALID_HANDLE; }
CUresult cuCtxSynchronize(void) { return OK; }
CUresult cuMemGetInfo_v2(size_t *f, size_t *t) { *f = (size_t)1 << 29; *t = (size_t)1 << 30; return OK; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes)
{
    void *m = 0;
    if (bytes == 0 || posix_memalign(&m, 256, bytes) != 0) return OUT_OF_MEMORY;
    *p = (CUdeviceptr)(uintptr_t)m;
    return OK;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return OK; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) { memcpy((void *)(uintptr_t)d, s, n); return OK; }
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) { memcpy(d, (void *)(uintptr_t)s, n); return OK; }
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { memmove((void *)(uintptr_t)d, (void *)(uintptr_t)s, n); return OK; }
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { memset((void *)(uintptr_t)d, v, n); return OK; }

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options, void **values)
{
    const char *bytes = image;
    size_t size;
    if (memcmp(bytes, "\x7f" "ELF", 4) == 0) {
        /* A 64-bit ELF CUBIN: no length is passed; the section header table ends it. */
        uint64_t shoff; uint16_t shentsize, shnum;
        memcpy(&shoff, bytes + 0x28, 8); memcpy(&shentsize, bytes + 0x3A, 2); memcpy(&shnum, bytes + 0x3C, 2);
        size = (size_t)(shoff + (uint64_t)shentsize * shnum);
    }
    else size = strlen(bytes);
    if (size < 4 || (memcmp(bytes, "\x7f" "ELF", 4) != 0 && !strstr(bytes, ".entry"))) {
        for (unsigned i = 0; i < n; i++)
            if (options[i] == 5) strcpy((char *)values[i], "fake JIT: not PTX with an .entry, nor an ELF image");
        return INVALID_IMAGE;
    }
    Module *m = malloc(sizeof *m);
    m->size = size;
    m->image = malloc(size);
    memcpy(m->image, bytes, size);
    *module = m;
    return OK;
}
CUresult cuModuleLoadData(void **module, const void *image) { return cuModuleLoadDataEx(module, image, 0, 0, 0); }
CUresult cuModuleUnload(void *module) { Module *m = module; free(m->image); free(m); return OK; }

static int image_has(Module *m, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i + len <= m->size; i++)
        if (memcmp(m->image + i, name, len) == 0 && (i + len == m->size || m->image[i + len] == 0 || m->image[i + len] == '(' || m->image[i + len] == '\n' || m->image[i + len] == ' '))
            return 1;
    return 0;
}

CUresult cuModuleGetFunction(void **f, void *module, const char *name)
{
    if (!image_has(module, name)) return NOT_FOUND;
    Function *fn = malloc(sizeof *fn);
    fn->name = strdup(name);
    fn->module = module;
    *f = fn;
    return OK;
}

/* Kernels: P(i) is the i-th parameter's address. */
#define P(i) (params[i])
#define PTR(t, i) (*(t **)P(i))
#define VAL(t, i) (*(t *)P(i))
#define LOOP for (long long i = tid; i < n; i += stride)
static const float TWO_PI_F = 6.28318548f;

static void bump_f(float x, float *y, float *dy)
{
    float d = x - 5.0f, e = expf(-(d * d) / 3.0f), s = sinf(TWO_PI_F * x), c = cosf(TWO_PI_F * x);
    if (y) *y = s * e;
    if (dy) *dy = e * fmaf(TWO_PI_F, c, -s * (2.0f * d / 3.0f));
}
static void bump_d(double x, double *y, double *dy)
{
    double d = x - 5.0, e = exp(-(d * d) / 3.0), s = sin(6.283185307179586 * x), c = cos(6.283185307179586 * x);
    if (y) *y = s * e;
    if (dy) *dy = e * fma(6.283185307179586, c, -s * (2.0 * d / 3.0));
}

static int run(const char *name, void **params, long long tid, long long stride)
{
    if (!strcmp(name, "Bump_forward")) { int n = VAL(int, 2); LOOP bump_f(PTR(float, 0)[i], &PTR(float, 1)[i], 0); }
    else if (!strcmp(name, "Bump_with_gradient")) { int n = VAL(int, 3); LOOP bump_f(PTR(float, 0)[i], &PTR(float, 1)[i], &PTR(float, 2)[i]); }
    else if (!strcmp(name, "Bump_backward")) { int n = VAL(int, 3); LOOP { float d; bump_f(PTR(float, 0)[i], 0, &d); PTR(float, 2)[i] = PTR(float, 1)[i] * d; } }
    else if (!strcmp(name, "BumpDouble_forward")) { int n = VAL(int, 2); LOOP bump_d(PTR(double, 0)[i], &PTR(double, 1)[i], 0); }
    else if (!strcmp(name, "BumpDouble_with_gradient")) { int n = VAL(int, 3); LOOP bump_d(PTR(double, 0)[i], &PTR(double, 1)[i], &PTR(double, 2)[i]); }
    else if (!strcmp(name, "BumpDouble_backward")) { int n = VAL(int, 3); LOOP { double d; bump_d(PTR(double, 0)[i], 0, &d); PTR(double, 2)[i] = PTR(double, 1)[i] * d; } }
    else if (!strcmp(name, "Mix_forward")) { int n = VAL(int, 3); LOOP { float a = PTR(float, 0)[i], b = PTR(float, 1)[i]; PTR(float, 2)[i] = fmaf(a, sinf(b), expf(-a * a) * b); } }
    else if (!strcmp(name, "Mix_with_gradient")) {
        int n = VAL(int, 5);
        LOOP { float a = PTR(float, 0)[i], b = PTR(float, 1)[i], e = expf(-a * a);
               PTR(float, 2)[i] = fmaf(a, sinf(b), e * b); PTR(float, 3)[i] = sinf(b) - 2.0f * a * e * b; PTR(float, 4)[i] = fmaf(a, cosf(b), e); }
    }
    else if (!strcmp(name, "Mix_backward")) {
        int n = VAL(int, 5);
        LOOP { float a = PTR(float, 0)[i], b = PTR(float, 1)[i], g = PTR(float, 2)[i], e = expf(-a * a);
               PTR(float, 3)[i] = g * (sinf(b) - 2.0f * a * e * b); PTR(float, 4)[i] = g * fmaf(a, cosf(b), e); }
    }
    else if (!strcmp(name, "scalars")) {
        int n = VAL(int, 6);
        LOOP PTR(float, 5)[i] = PTR(float, 0)[i] * VAL(float, 1) + (float)VAL(double, 2) + (float)VAL(long long, 3) + (float)VAL(unsigned, 4);
    }
    else return NOT_FOUND;
    return OK;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra)
{
    (void)shared; (void)stream; (void)extra;
    Function *fn = f;
    if (!fn || !params) return INVALID_VALUE;
    if ((unsigned long long)bx * by * bz > 1024) return INVALID_VALUE;
    long long stride = (long long)gx * gy * gz * bx * by * bz;
    /* One pass per thread index, each doing that thread's grid-stride loop (1-D kernels only). */
    for (long long tid = 0; tid < stride; tid++)
        if (run(fn->name, params, tid, stride) != OK) return NOT_FOUND;
    return OK;
}

CUresult cuEventCreate(void **e, unsigned flags) { (void)flags; *e = calloc(1, sizeof(double)); return OK; }
CUresult cuEventRecord(void *e, void *stream) { (void)stream; *(double *)e = now_ms(); return OK; }
CUresult cuEventSynchronize(void *e) { (void)e; return OK; }
CUresult cuEventElapsedTime(float *ms, void *start, void *end) { *ms = (float)(*(double *)end - *(double *)start); return OK; }
CUresult cuEventDestroy_v2(void *e) { free(e); return OK; }

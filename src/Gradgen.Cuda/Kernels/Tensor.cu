// Gradgen's tensor kernels on CUDA: what the runtime's device operations need beyond the generator's elementwise
// kernels. Self-contained CUDA C (no includes: NVRTC may have no headers), compiled once per process with NVRTC and
// cached on disk like the generated kernels. Every elementwise kernel is a grid-stride loop; launch shapes are chosen
// by CudaTensorBackend.
//
//   gg_fill_f32, gg_sum_f32        fill, and the sum of a whole buffer (block tree, one atomic per block)
//   gg_copy_<from>_<to>            strided copy of up to 8 dimensions with dtype conversion (Contiguous, To(dtype),
//                                  broadcasts made real, writes into views)
//   gg_map_f32                     Float32 elementwise functions of up to three inputs, by operation number
//   gg_compare_f32, gg_where_f32   comparisons (Bool result) and torch.where
//   gg_reduce_f32                  sum / max / min (with the first index) over the middle of [outer, length, inner]
//   gg_gather_f32, gg_scatter_add_f32   gather along the middle dimension and its backward

extern "C" __global__ void gg_fill_f32(float* __restrict__ out, float value, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        out[i] = value;
    }
}

extern "C" __global__ void gg_sum_f32(const float* __restrict__ in, float* __restrict__ out, int n)
{
    __shared__ float partial[256];
    float sum = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        sum += in[i];
    }

    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1)
    {
        if (threadIdx.x < stride)
        {
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        }

        __syncthreads();
    }

    if (threadIdx.x == 0)
    {
        atomicAdd(out, partial[0]);
    }
}

// ---- strided copy ---------------------------------------------------------------------------------------------
// Element i of the (row-major) index space of shape n0..n7 is read at inOffset + Σ index_k·s_k and written at
// outOffset + Σ index_k·t_k. The dimensions come as plain int parameters (a launch takes scalars only); unused ones
// are 1 with stride 0. The loop over dimensions is unrolled, so the arrays live in registers.
#define GG_DIM_PARAMS \
    int n0, int n1, int n2, int n3, int n4, int n5, int n6, int n7, \
    int s0, int s1, int s2, int s3, int s4, int s5, int s6, int s7, \
    int t0, int t1, int t2, int t3, int t4, int t5, int t6, int t7

template <typename From, typename To>
__device__ __forceinline__ void gg_copy(const From* in, To* out, int count, int inOffset, int outOffset,
    const int (&n)[8], const int (&s)[8], const int (&t)[8])
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += blockDim.x * gridDim.x)
    {
        int rest = i, from = inOffset, to = outOffset;
#pragma unroll
        for (int k = 7; k >= 0; k--)
        {
            int j = rest % n[k];
            rest /= n[k];
            from += j * s[k];
            to += j * t[k];
        }

        // C's conversions are Tensor.To's: toward zero for integers, x != 0 for Bool, 0/1 from Bool.
        out[to] = (To)in[from];
    }
}

#define GG_COPY(NAME, FROM, TO) \
    extern "C" __global__ void NAME(const FROM* __restrict__ in, TO* __restrict__ out, int count, int inOffset, int outOffset, GG_DIM_PARAMS) \
    { \
        const int n[8] = { n0, n1, n2, n3, n4, n5, n6, n7 }; \
        const int s[8] = { s0, s1, s2, s3, s4, s5, s6, s7 }; \
        const int t[8] = { t0, t1, t2, t3, t4, t5, t6, t7 }; \
        gg_copy<FROM, TO>(in, out, count, inOffset, outOffset, n, s, t); \
    }

#define GG_COPY_FROM(FROM_NAME, FROM) \
    GG_COPY(gg_copy_##FROM_NAME##_f32, FROM, float) \
    GG_COPY(gg_copy_##FROM_NAME##_f64, FROM, double) \
    GG_COPY(gg_copy_##FROM_NAME##_i32, FROM, int) \
    GG_COPY(gg_copy_##FROM_NAME##_i64, FROM, long long) \
    GG_COPY(gg_copy_##FROM_NAME##_b8, FROM, bool)

GG_COPY_FROM(f32, float)
GG_COPY_FROM(f64, double)
GG_COPY_FROM(i32, int)
GG_COPY_FROM(i64, long long)
GG_COPY_FROM(b8, bool)

// ---- elementwise Float32 functions -----------------------------------------------------------------------------
// The operation numbers are DeviceMapOp's (src/Gradgen.Runtime/Tensors/Device/DeviceContract.cs). One switch per
// element is uniform across the grid, so it costs a few instructions, not divergence. out may be a (in-place update).
extern "C" __global__ void gg_map_f32(int op, const float* a, const float* b, const float* c, float* out, int n, float alpha, float beta)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        float x = a[i], r;
        switch (op)
        {
            case 0: r = alpha * x + beta; break;                                   // Affine
            case 1: r = x / alpha; break;                                          // DivideByScalar
            case 2: r = alpha / x; break;                                          // ScalarDivide
            case 3: r = -alpha * b[i] / (x * x); break;                            // ScalarDivideBackward
            case 4: r = x > 0.0f ? x : 0.0f; break;                                // Relu
            case 5: r = x > 0.0f ? b[i] : 0.0f; break;                             // ReluBackward (x = y)
            case 6: r = fabsf(x); break;                                           // Abs
            case 7: r = x > 0.0f ? b[i] : (x < 0.0f ? -b[i] : 0.0f); break;        // AbsBackward
            case 8: r = powf(x, alpha); break;                                     // PowScalar
            case 9: r = alpha == 0.0f ? 0.0f : alpha * powf(x, alpha - 1.0f) * b[i]; break; // PowScalarBackward
            case 10: r = fminf(fmaxf(x, alpha), beta); break;                      // Clamp
            case 11: r = (x >= alpha && x <= beta) ? b[i] : 0.0f; break;           // ClampBackward
            case 12: { float y = b[i]; r = (x != x || y != y) ? x + y : fmaxf(x, y); break; } // Maximum (NaN propagates)
            case 13: { float y = b[i]; r = (x != x || y != y) ? x + y : fminf(x, y); break; } // Minimum
            case 14: { float y = b[i]; r = x > y ? c[i] : (x == y ? 0.5f * c[i] : 0.0f); break; } // MaximumBackward
            case 15: { float y = b[i]; r = x < y ? c[i] : (x == y ? 0.5f * c[i] : 0.0f); break; } // MinimumBackward
            case 16: r = x - alpha * (b[i] + beta * x); break;                     // SgdStep
            case 17: r = x + alpha * b[i]; break;                                  // Axpy
            default: r = x; break;
        }

        out[i] = r;
    }
}

extern "C" __global__ void gg_compare_f32(int op, const float* __restrict__ a, const float* __restrict__ b, bool* __restrict__ out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        float x = a[i], y = b[i];
        bool r;
        switch (op)
        {
            case 0: r = x == y; break;
            case 1: r = x != y; break;
            case 2: r = x > y; break;
            case 3: r = x < y; break;
            case 4: r = x >= y; break;
            default: r = x <= y; break;
        }

        out[i] = r;
    }
}

extern "C" __global__ void gg_where_f32(const bool* __restrict__ condition, const float* __restrict__ x, const float* __restrict__ y, float* __restrict__ out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        out[i] = condition[i] ? x[i] : y[i];
    }
}

// ---- reductions over the middle dimension ----------------------------------------------------------------------
// One block per output element (o, i) of [outer, inner]; its threads stride over the reduced dimension, then combine
// in a shared-memory tree. op: 0 sum, 1 max, 2 min. Max/Min keep the first index of the extreme value and let NaN win
// (PyTorch's rule); a thread that saw no element carries the index 0x7fffffff, which always loses.
__device__ __forceinline__ bool gg_better(int op, float v, int vi, float w, int wi)
{
    if (vi == 0x7fffffff) return false;
    if (wi == 0x7fffffff) return true;
    bool vnan = v != v, wnan = w != w;
    if (vnan || wnan) return vnan && (!wnan || vi < wi);
    if (v == w) return vi < wi;
    return op == 1 ? v > w : v < w;
}

extern "C" __global__ void gg_reduce_f32(int op, const float* __restrict__ in, int outer, int length, int inner, float* __restrict__ values, long long* __restrict__ indices)
{
    __shared__ float value[256];
    __shared__ int index[256];
    int output = blockIdx.x;
    int o = output / inner, i = output % inner;
    const float* row = in + ((long long)o * length * inner) + i;
    float best = 0.0f;
    int bestIndex = 0x7fffffff;
    for (int j = threadIdx.x; j < length; j += blockDim.x)
    {
        float v = row[(long long)j * inner];
        if (op == 0)
        {
            best += v;
            bestIndex = 0;
        }
        else if (gg_better(op, v, j, best, bestIndex))
        {
            best = v;
            bestIndex = j;
        }
    }

    value[threadIdx.x] = best;
    index[threadIdx.x] = bestIndex;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1)
    {
        if (threadIdx.x < stride)
        {
            float w = value[threadIdx.x + stride];
            int wi = index[threadIdx.x + stride];
            if (op == 0)
            {
                value[threadIdx.x] += w;
            }
            else if (gg_better(op, w, wi, value[threadIdx.x], index[threadIdx.x]))
            {
                value[threadIdx.x] = w;
                index[threadIdx.x] = wi;
            }
        }

        __syncthreads();
    }

    if (threadIdx.x == 0)
    {
        values[output] = value[0];
        if (indices != 0)
        {
            indices[output] = index[0];
        }
    }
}

// ---- gather along the middle dimension -------------------------------------------------------------------------
// out[o, j, i] = source[o, index[o, j, i], i]; the scatter-add runs it backwards with atomics (repeated positions add).
extern "C" __global__ void gg_gather_f32(const float* __restrict__ source, const long long* __restrict__ index, float* __restrict__ out, int outer, int length, int count, int inner)
{
    int n = outer * count * inner;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += blockDim.x * gridDim.x)
    {
        int o = t / (count * inner), i = t % inner;
        out[t] = source[((long long)o * length + index[t]) * inner + i];
    }
}

extern "C" __global__ void gg_scatter_add_f32(float* __restrict__ target, const long long* __restrict__ index, const float* __restrict__ values, int outer, int length, int count, int inner)
{
    int n = outer * count * inner;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += blockDim.x * gridDim.x)
    {
        int o = t / (count * inner), i = t % inner;
        atomicAdd(&target[((long long)o * length + index[t]) * inner + i], values[t]);
    }
}

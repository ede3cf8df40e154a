// Gradgen's tensor kernels on CUDA: what the runtime's device operations need beyond the generator's elementwise
// kernels. Self-contained CUDA C (no includes: NVRTC may have no headers), compiled once per process with NVRTC and
// cached on disk like the generated kernels. Every elementwise kernel is a grid-stride loop; launch shapes are chosen
// by CudaTensorBackend. Kernels over several element types are C++ templates with one extern "C" instantiation per
// dtype, named with the dtype's suffix (f32, f64, i32, i64, b8), which CudaTensorBackend picks from the tensor's DType.
//
//   gg_fill_<t>, gg_sum_<t>        fill (every dtype), and the sum of a whole buffer (f32 f64 i64; a block tree, one
//                                  atomic per block)
//   gg_copy_<from>_<to>            strided copy of up to 8 dimensions with dtype conversion (Contiguous, To(dtype),
//                                  broadcasts made real, writes into views)
//   gg_map_<t>                     elementwise functions of up to three inputs, by operation number (f32 f64 i32 i64)
//   gg_compare_<t>, gg_where_<t>   comparisons (Bool result; f32 f64 i32 i64) and torch.where (every dtype)
//   gg_reduce_<t>                  sum / max / min (with the first index) over the middle of [outer, length, inner]
//   gg_gather_<t>, gg_scatter_add_<t>   gather along the middle dimension (every dtype) and its backward (f32 f64)

// + − · that wrap on integer overflow as C#'s unchecked arithmetic (signed overflow is undefined in C++, so integers
// go through the unsigned type of their width); floats are plain.
template <typename T> struct gg_unsigned { typedef T type; };
template <> struct gg_unsigned<int> { typedef unsigned int type; };
template <> struct gg_unsigned<long long> { typedef unsigned long long type; };
template <typename T> __device__ __forceinline__ T gg_add(T a, T b) { typedef typename gg_unsigned<T>::type U; return (T)((U)a + (U)b); }
template <typename T> __device__ __forceinline__ T gg_sub(T a, T b) { typedef typename gg_unsigned<T>::type U; return (T)((U)a - (U)b); }
template <typename T> __device__ __forceinline__ T gg_mul(T a, T b) { typedef typename gg_unsigned<T>::type U; return (T)((U)a * (U)b); }

// ---- fill and whole-buffer sum ---------------------------------------------------------------------------------
// The fill value comes as double and is converted as Tensor.To converts (toward zero for integers, x != 0 for Bool).
// The sum adds each block's tree into *out with one atomic (out is zeroed first); Int64 adds as unsigned, which is
// the same bits as C#'s wrapping.
#define GG_FILL(SUFFIX, T) \
    extern "C" __global__ void gg_fill_##SUFFIX(T* __restrict__ out, double value, int n) \
    { \
        const T v = (T)value; \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) \
        { \
            out[i] = v; \
        } \
    }

GG_FILL(f32, float)
GG_FILL(f64, double)
GG_FILL(i32, int)
GG_FILL(i64, long long)
GG_FILL(b8, bool)

template <typename T>
__device__ __forceinline__ T gg_block_sum(const T* __restrict__ in, int n, T* partial)
{
    T sum = (T)0;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        sum = gg_add(sum, in[i]);
    }

    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1)
    {
        if (threadIdx.x < stride)
        {
            partial[threadIdx.x] = gg_add(partial[threadIdx.x], partial[threadIdx.x + stride]);
        }

        __syncthreads();
    }

    return partial[0];
}

#define GG_SUM(SUFFIX, T, ATOMIC) \
    extern "C" __global__ void gg_sum_##SUFFIX(const T* __restrict__ in, T* __restrict__ out, int n) \
    { \
        __shared__ T partial[256]; \
        T sum = gg_block_sum<T>(in, n, partial); \
        if (threadIdx.x == 0) \
        { \
            atomicAdd((ATOMIC*)out, (ATOMIC)sum); \
        } \
    }

GG_SUM(f32, float, float)
GG_SUM(f64, double, double)
GG_SUM(i64, long long, unsigned long long)

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

// ---- elementwise functions of every numeric dtype --------------------------------------------------------------
// The operation numbers are DeviceMapOp's (src/Gradgen.Runtime/Tensors/Device/DeviceContract.cs). One switch per
// element is uniform across the grid, so it costs a few instructions, not divergence. out may be a (in-place update).
// alpha and beta come as double and are converted to T first, so Float32 arithmetic stays Float32 as on the CPU
// (x * 2.5f), and integer ones integer (the runtime passes integral values for integer tensors). The integer
// instantiations only ever see the operations that keep integers (affine, + − *, relu, abs, clamp, max, min, pow with
// an integer exponent); the others compile to something harmless for them.
__device__ __forceinline__ float gg_pow(float a, float b) { return b == 2.0f ? a * a : powf(a, b); }
__device__ __forceinline__ double gg_pow(double a, double b) { return b == 2.0 ? a * a : pow(a, b); }
template <typename T> __device__ __forceinline__ T gg_ipow(T x, T p)
{
    // Exponentiation by squaring, wrapping on overflow as C#'s unchecked arithmetic (PowScalarOp.IntPow).
    unsigned long long r = 1, b = (unsigned long long)(long long)x;
    for (long long e = (long long)p; e > 0; e >>= 1)
    {
        if (e & 1) r *= b;
        b *= b;
    }

    return (T)(long long)r;
}
__device__ __forceinline__ int gg_pow(int a, int b) { return gg_ipow<int>(a, b); }
__device__ __forceinline__ long long gg_pow(long long a, long long b) { return gg_ipow<long long>(a, b); }
template <typename T> __device__ __forceinline__ bool gg_isnan(T a) { return a != a; }

template <typename T>
__device__ __forceinline__ void gg_map(int op, const T* a, const T* b, const T* c, T* out, int n, double alphaD, double betaD)
{
    const T alpha = (T)alphaD, beta = (T)betaD, zero = (T)0;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        T x = a[i], r;
        switch (op)
        {
            case 0: r = gg_add(gg_mul(alpha, x), beta); break;                     // Affine
            case 1: r = x / alpha; break;                                          // DivideByScalar
            case 2: r = alpha / x; break;                                          // ScalarDivide
            case 4: r = x > zero ? x : zero; break;                                // Relu
            case 6: r = x < zero ? gg_sub(zero, x) : x; break;                     // Abs (NaN stays NaN; |MinValue| wraps)
            case 8: r = gg_pow(x, alpha); break;                                   // PowScalar
            case 10: r = gg_isnan(x) ? x : (x < alpha ? alpha : (x > beta ? beta : x)); break; // Clamp
            case 12: { T y = b[i]; r = (gg_isnan(x) || gg_isnan(y)) ? x + y : (x > y ? x : y); break; } // Maximum (NaN propagates)
            case 13: { T y = b[i]; r = (gg_isnan(x) || gg_isnan(y)) ? x + y : (x < y ? x : y); break; } // Minimum
            case 18: r = gg_add(x, b[i]); break;                                   // Add
            case 19: r = gg_sub(x, b[i]); break;                                   // Subtract
            case 20: r = gg_mul(x, b[i]); break;                                   // Multiply
            case 21: r = gg_pow(x, b[i]); break;                                   // Pow (tensor exponent)
            default: r = x; break;
        }

        out[i] = r;
    }
}

#define GG_MAP(SUFFIX, T) \
    extern "C" __global__ void gg_map_##SUFFIX(int op, const T* a, const T* b, const T* c, T* out, int n, double alpha, double beta) \
    { \
        gg_map<T>(op, a, b, c, out, n, alpha, beta); \
    }

GG_MAP(f32, float)
GG_MAP(f64, double)
GG_MAP(i32, int)
GG_MAP(i64, long long)

template <typename T>
__device__ __forceinline__ void gg_compare(int op, const T* __restrict__ a, const T* __restrict__ b, bool* __restrict__ out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    {
        T x = a[i], y = b[i];
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

#define GG_COMPARE(SUFFIX, T) \
    extern "C" __global__ void gg_compare_##SUFFIX(int op, const T* __restrict__ a, const T* __restrict__ b, bool* __restrict__ out, int n) \
    { \
        gg_compare<T>(op, a, b, out, n); \
    }

GG_COMPARE(f32, float)
GG_COMPARE(f64, double)
GG_COMPARE(i32, int)
GG_COMPARE(i64, long long)

#define GG_WHERE(SUFFIX, T) \
    extern "C" __global__ void gg_where_##SUFFIX(const bool* __restrict__ condition, const T* __restrict__ x, const T* __restrict__ y, T* __restrict__ out, int n) \
    { \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) \
        { \
            out[i] = condition[i] ? x[i] : y[i]; \
        } \
    }

GG_WHERE(f32, float)
GG_WHERE(f64, double)
GG_WHERE(i32, int)
GG_WHERE(i64, long long)
GG_WHERE(b8, bool)

// ---- reductions over the middle dimension ----------------------------------------------------------------------
// One block per output element (o, i) of [outer, inner]; its threads stride over the reduced dimension, then combine
// in a shared-memory tree. op: 0 sum, 1 max, 2 min. Max/Min keep the first index of the extreme value and let NaN win
// (PyTorch's rule); a thread that saw no element carries the index 0x7fffffff, which always loses. Integer sums run
// in Int64 (the runtime converts first, as PyTorch sums integers to Int64), so they wrap as C# does.
template <typename T>
__device__ __forceinline__ bool gg_better(int op, T v, int vi, T w, int wi)
{
    if (vi == 0x7fffffff) return false;
    if (wi == 0x7fffffff) return true;
    bool vnan = gg_isnan(v), wnan = gg_isnan(w);
    if (vnan || wnan) return vnan && (!wnan || vi < wi);
    if (v == w) return vi < wi;
    return op == 1 ? v > w : v < w;
}

template <typename T>
__device__ __forceinline__ void gg_reduce(int op, const T* __restrict__ in, int outer, int length, int inner, T* __restrict__ values, long long* __restrict__ indices, T* value, int* index)
{
    int output = blockIdx.x;
    int o = output / inner, i = output % inner;
    const T* row = in + ((long long)o * length * inner) + i;
    T best = (T)0;
    int bestIndex = 0x7fffffff;
    for (int j = threadIdx.x; j < length; j += blockDim.x)
    {
        T v = row[(long long)j * inner];
        if (op == 0)
        {
            best = gg_add(best, v);
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
            T w = value[threadIdx.x + stride];
            int wi = index[threadIdx.x + stride];
            if (op == 0)
            {
                value[threadIdx.x] = gg_add(value[threadIdx.x], w);
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

// The shared arrays are declared in each instantiation (a template's __shared__ array of T would be one symbol per T anyway).
#define GG_REDUCE(SUFFIX, T) \
    extern "C" __global__ void gg_reduce_##SUFFIX(int op, const T* __restrict__ in, int outer, int length, int inner, T* __restrict__ values, long long* __restrict__ indices) \
    { \
        __shared__ T value[256]; \
        __shared__ int index[256]; \
        gg_reduce<T>(op, in, outer, length, inner, values, indices, value, index); \
    }

GG_REDUCE(f32, float)
GG_REDUCE(f64, double)
GG_REDUCE(i32, int)
GG_REDUCE(i64, long long)

// ---- gather along the middle dimension -------------------------------------------------------------------------
// out[o, j, i] = source[o, index[o, j, i], i]; the scatter-add runs it backwards with atomics (repeated positions add;
// atomicAdd on double needs sm_60, below every architecture the backend compiles for).
#define GG_GATHER(SUFFIX, T) \
    extern "C" __global__ void gg_gather_##SUFFIX(const T* __restrict__ source, const long long* __restrict__ index, T* __restrict__ out, int outer, int length, int count, int inner) \
    { \
        int n = outer * count * inner; \
        for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += blockDim.x * gridDim.x) \
        { \
            int o = t / (count * inner), i = t % inner; \
            out[t] = source[((long long)o * length + index[t]) * inner + i]; \
        } \
    }

GG_GATHER(f32, float)
GG_GATHER(f64, double)
GG_GATHER(i32, int)
GG_GATHER(i64, long long)
GG_GATHER(b8, bool)

#define GG_SCATTER_ADD(SUFFIX, T) \
    extern "C" __global__ void gg_scatter_add_##SUFFIX(T* __restrict__ target, const long long* __restrict__ index, const T* __restrict__ values, int outer, int length, int count, int inner) \
    { \
        int n = outer * count * inner; \
        for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += blockDim.x * gridDim.x) \
        { \
            int o = t / (count * inner), i = t % inner; \
            atomicAdd(&target[((long long)o * length + index[t]) * inner + i], values[t]); \
        } \
    }

GG_SCATTER_ADD(f32, float)
GG_SCATTER_ADD(f64, double)

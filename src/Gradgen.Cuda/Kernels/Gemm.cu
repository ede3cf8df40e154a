// Gradgen's matrix product on CUDA (Float32, tiled for speed; Float64 and integers at the end), with Linear's bias
// fused as the epilogue:
//
//     C[b] = op(A[b]) · op(B[b]) + bias        op(X) = X or Xᵀ, b = blockIdx.z (batch)
//
// Row-major storage throughout. A is m×k after op (stored k×m when transposed), B is k×n after op (stored n×k when
// transposed), C is m×n with leading dimension n; bias (length n, or null) is added to every row. The transposed
// variants let Linear's backward read Wᵀ and Gᵀ where they are stored:
//     forward   y  = x·Wᵀ + b   gg_gemm_nt (bias in the epilogue)
//     backward  dx = g·W        gg_gemm_nn
//               dW = gᵀ·x       gg_gemm_tn
//
// A compiled graph applies one of its generated elementwise kernels to each element a product writes, so that the
// product is never stored (docs/compiled-models.md, "Product epilogues"): a layer's activation or residual add in the
// forward, an activation's derivative in the product that carries the gradient into it. The kernel comes from the
// model's generated CUDA C, not from here (every formula stays in the generator's rule table): the backend compiles
// that source, then `#define GG_PRODUCT_EPILOGUE {entry}_after_product_at{i}`, then this file, which then defines
// only gg_gemm_nn_epilogue and gg_gemm_nt_epilogue (compiled alone it defines the products above and below).
//
// Tiling: each 256-thread block computes a 64×64 tile of C, walking k in steps of 16. Per step the block stages a
// 64×16 panel of A and a 16×64 panel of B in shared memory (reads arranged so that consecutive threads touch
// consecutive addresses of the stored matrix, whichever way it is transposed), then each thread accumulates a 4×4
// sub-tile in registers: rows ty + 16·r and columns tx + 16·c, so that a warp's stores of C are contiguous. Edges
// are padded with zeros on load and masked on store. Self-contained (no includes).

#define GG_TILE 64
#define GG_TILE_K 16

// Linear's epilogue: the bias.
struct gg_bias_epilogue
{
    const float* __restrict__ bias;

    __device__ gg_bias_epilogue(const float* b) : bias(b) {}

    __device__ __forceinline__ float operator()(float acc, long long at, int col) const
    {
        return acc + (bias != 0 ? bias[col] : 0.0f);
    }
};

// C's element at `at` (batch offset included) is acc after the epilogue; one store per element.
template <bool TransposeA, bool TransposeB, typename Epilogue>
__device__ __forceinline__ void gg_gemm(int m, int n, int k,
    const float* __restrict__ A, int lda, long long batchStrideA,
    const float* __restrict__ B, int ldb, long long batchStrideB,
    float* __restrict__ C, Epilogue epilogue)
{
    // +1 column: the transposed-store patterns hit different banks.
    __shared__ float As[GG_TILE_K][GG_TILE + 1];
    __shared__ float Bs[GG_TILE_K][GG_TILE + 1];

    const long long batch = blockIdx.z;
    A += batch * batchStrideA;
    B += batch * batchStrideB;
    const long long batchOffset = batch * m * (long long)n;

    const int row0 = blockIdx.y * GG_TILE, col0 = blockIdx.x * GG_TILE;
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    float acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
    {
#pragma unroll
        for (int c = 0; c < 4; c++)
        {
            acc[r][c] = 0.0f;
        }
    }

    for (int p0 = 0; p0 < k; p0 += GG_TILE_K)
    {
        for (int e = threadIdx.x; e < GG_TILE_K * GG_TILE; e += blockDim.x)
        {
            // A(r, p): stored at r·lda + p, or at p·lda + r when transposed.
            int kk = TransposeA ? e / GG_TILE : e % GG_TILE_K;
            int ii = TransposeA ? e % GG_TILE : e / GG_TILE_K;
            int r = row0 + ii, p = p0 + kk;
            As[kk][ii] = (r < m && p < k) ? (TransposeA ? A[(long long)p * lda + r] : A[(long long)r * lda + p]) : 0.0f;
        }

        for (int e = threadIdx.x; e < GG_TILE_K * GG_TILE; e += blockDim.x)
        {
            // B(p, c): stored at p·ldb + c, or at c·ldb + p when transposed.
            int kk = TransposeB ? e % GG_TILE_K : e / GG_TILE;
            int jj = TransposeB ? e / GG_TILE_K : e % GG_TILE;
            int c = col0 + jj, p = p0 + kk;
            Bs[kk][jj] = (c < n && p < k) ? (TransposeB ? B[(long long)c * ldb + p] : B[(long long)p * ldb + c]) : 0.0f;
        }

        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GG_TILE_K; kk++)
        {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; r++)
            {
                a[r] = As[kk][ty + 16 * r];
            }

#pragma unroll
            for (int c = 0; c < 4; c++)
            {
                b[c] = Bs[kk][tx + 16 * c];
            }

#pragma unroll
            for (int r = 0; r < 4; r++)
            {
#pragma unroll
                for (int c = 0; c < 4; c++)
                {
                    acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
                }
            }
        }

        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < 4; r++)
    {
        int row = row0 + ty + 16 * r;
#pragma unroll
        for (int c = 0; c < 4; c++)
        {
            int col = col0 + tx + 16 * c;
            if (row < m && col < n)
            {
                long long at = batchOffset + (long long)row * n + col;
                C[at] = epilogue(acc[r][c], at, col);
            }
        }
    }
}

#ifndef GG_PRODUCT_EPILOGUE
#define GG_GEMM(NAME, TA, TB) \
    extern "C" __global__ void __launch_bounds__(256) NAME(int m, int n, int k, \
        const float* __restrict__ A, int lda, long long batchStrideA, \
        const float* __restrict__ B, int ldb, long long batchStrideB, \
        float* __restrict__ C, const float* __restrict__ bias) \
    { \
        gg_gemm<TA, TB>(m, n, k, A, lda, batchStrideA, B, ldb, batchStrideB, C, gg_bias_epilogue(bias)); \
    }

GG_GEMM(gg_gemm_nn, false, false)
GG_GEMM(gg_gemm_nt, false, true)
GG_GEMM(gg_gemm_tn, true, false)
GG_GEMM(gg_gemm_tt, true, true)
#else
// A generated kernel of the product's element (bias added) and of the other matrix's element at the same position
// (0 when there is none): GG_PRODUCT_EPILOGUE(product, other).
struct gg_product_epilogue
{
    const float* __restrict__ bias;
    const float* __restrict__ other;

    __device__ gg_product_epilogue(const float* b, const float* o) : bias(b), other(o) {}

    __device__ __forceinline__ float operator()(float acc, long long at, int col) const
    {
        return GG_PRODUCT_EPILOGUE(acc + (bias != 0 ? bias[col] : 0.0f), other != 0 ? other[at] : 0.0f);
    }
};

#define GG_GEMM_EPILOGUE(NAME, TB) \
    extern "C" __global__ void __launch_bounds__(256) NAME(int m, int n, int k, \
        const float* __restrict__ A, int lda, long long batchStrideA, \
        const float* __restrict__ B, int ldb, long long batchStrideB, \
        float* __restrict__ C, const float* __restrict__ bias, const float* __restrict__ other) \
    { \
        gg_gemm<false, TB>(m, n, k, A, lda, batchStrideA, B, ldb, batchStrideB, C, gg_product_epilogue(bias, other)); \
    }

GG_GEMM_EPILOGUE(gg_gemm_nn_epilogue, false)
GG_GEMM_EPILOGUE(gg_gemm_nt_epilogue, true)
#endif

#ifndef GG_PRODUCT_EPILOGUE
// ---- Float64 and integers ---------------------------------------------------------------------------------------
// The same product and bias in double, int and long long, kept simple (these GEMMs are for checking, integer
// data and small models, not speed): each 16×16 block computes a 16×16 tile of C, one element per thread, staging
// 16-deep panels of A and B in shared memory. The transpositions are arguments (0 or 1) instead of four
// instantiations. Integer products accumulate in their own type and wrap as C#'s unchecked arithmetic (the CPU's
// result, whatever the order); they have no bias. Launched with blockDim (16, 16).
template <typename T>
__device__ __forceinline__ void gg_gemm_simple(int transposeA, int transposeB, int m, int n, int k,
    const T* __restrict__ A, int lda, long long batchStrideA,
    const T* __restrict__ B, int ldb, long long batchStrideB,
    T* __restrict__ C, const T* __restrict__ bias, T (&As)[16][17], T (&Bs)[16][17])
{
    const long long batch = blockIdx.z;
    A += batch * batchStrideA;
    B += batch * batchStrideB;
    C += batch * m * (long long)n;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int row = blockIdx.y * 16 + ty, col = blockIdx.x * 16 + tx;
    T acc = (T)0;
    for (int p0 = 0; p0 < k; p0 += 16)
    {
        // A(row, p) and B(q, col), zero outside the matrices.
        int p = p0 + tx, q = p0 + ty;
        As[ty][tx] = (row < m && p < k) ? (transposeA ? A[(long long)p * lda + row] : A[(long long)row * lda + p]) : (T)0;
        Bs[ty][tx] = (q < k && col < n) ? (transposeB ? B[(long long)col * ldb + q] : B[(long long)q * ldb + col]) : (T)0;
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < 16; kk++)
        {
            acc += As[ty][kk] * Bs[kk][tx];
        }

        __syncthreads();
    }

    if (row < m && col < n)
    {
        C[(long long)row * n + col] = acc + (bias != 0 ? bias[col] : (T)0);
    }
}

// Integer wrap-around is defined here by computing in unsigned types of the same width.
#define GG_GEMM_SIMPLE(NAME, T, ACC) \
    extern "C" __global__ void __launch_bounds__(256) NAME(int transposeA, int transposeB, int m, int n, int k, \
        const T* __restrict__ A, int lda, long long batchStrideA, \
        const T* __restrict__ B, int ldb, long long batchStrideB, \
        T* __restrict__ C, const T* __restrict__ bias) \
    { \
        __shared__ ACC As[16][17]; \
        __shared__ ACC Bs[16][17]; \
        gg_gemm_simple<ACC>(transposeA, transposeB, m, n, k, (const ACC*)A, lda, batchStrideA, (const ACC*)B, ldb, batchStrideB, (ACC*)C, (const ACC*)bias, As, Bs); \
    }

GG_GEMM_SIMPLE(gg_gemm_f64, double, double)
GG_GEMM_SIMPLE(gg_gemm_i32, int, unsigned int)
GG_GEMM_SIMPLE(gg_gemm_i64, long long, unsigned long long)
#endif

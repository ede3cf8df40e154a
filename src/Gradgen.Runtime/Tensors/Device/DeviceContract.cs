namespace Gradgen;

/// <summary>
/// A strided window on device memory, as a kernel sees it: element type, shape, strides and offset in elements. At
/// most <see cref="MaxDims"/> dimensions (the CUDA kernels take them as plain <c>int</c> parameters).
/// </summary>
internal readonly record struct DeviceView(IDeviceBuffer Buffer, DType DType, int[] Shape, int[] Strides, int Offset)
{
    /// <summary>The most dimensions a strided kernel takes.</summary>
    public const int MaxDims = 8;

    /// <summary>The number of elements.</summary>
    public int Count
    {
        get
        {
            int n = 1;
            foreach (int d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }
}

/// <summary>
/// Elementwise functions of up to three contiguous inputs of one length and dtype, with two scalar parameters
/// (<c>alpha</c>, <c>beta</c>). The CUDA kernels <c>gg_map_&lt;dtype&gt;</c> switch on the same numbers, so the order is
/// part of the contract with src/Gradgen.Cuda/Kernels/Tensor.cu. Integer tensors use only the operations that keep
/// integers: Affine, Add, Subtract, Multiply, Relu, Abs, Clamp (bounds already rounded inward), Maximum, Minimum and
/// PowScalar with an integer exponent. Forward only: the gaps in the numbering were backward kernels, and derivatives
/// now come from the rule table (the one-liners' generated kernels, <see cref="ElementwiseGradient"/>).
/// </summary>
internal enum DeviceMapOp
{
    /// <summary>alpha·a + beta (x + s, x − s, s − x, x·s).</summary>
    Affine = 0,

    /// <summary>a / alpha (x / s, exactly as the CPU divides).</summary>
    DivideByScalar = 1,

    /// <summary>alpha / a (s / x).</summary>
    ScalarDivide = 2,

    /// <summary>max(a, 0).</summary>
    Relu = 4,

    /// <summary>|a|.</summary>
    Abs = 6,

    /// <summary>a^alpha.</summary>
    PowScalar = 8,

    /// <summary>min(max(a, alpha), beta).</summary>
    Clamp = 10,

    /// <summary>max(a, b), NaN propagating.</summary>
    Maximum = 12,

    /// <summary>min(a, b), NaN propagating.</summary>
    Minimum = 13,

    // 16 and 17 were SgdStep and Axpy: optimizers now launch one kernel traced from their update rule (Optim/DeviceUpdate.cs).

    /// <summary>a + b (integer tensors; float ones take the generated kernels).</summary>
    Add = 18,

    /// <summary>a − b (integer tensors).</summary>
    Subtract = 19,

    /// <summary>a · b (integer tensors).</summary>
    Multiply = 20,

    /// <summary>a^b, a tensor exponent.</summary>
    Pow = 21,

}

/// <summary>Elementwise comparisons of two contiguous inputs of one dtype with a Bool result (<c>gg_compare_&lt;dtype&gt;</c>).</summary>
internal enum DeviceCompareOp
{
    /// <summary>a == b.</summary>
    Eq = 0,

    /// <summary>a != b.</summary>
    Ne = 1,

    /// <summary>a &gt; b.</summary>
    Gt = 2,

    /// <summary>a &lt; b.</summary>
    Lt = 3,

    /// <summary>a &gt;= b.</summary>
    Ge = 4,

    /// <summary>a &lt;= b.</summary>
    Le = 5,
}

/// <summary>Reductions over the middle dimension of a contiguous [outer, length, inner] block.</summary>
internal enum DeviceReduceOp
{
    /// <summary>The sum (accumulated in the dtype, in a tree).</summary>
    Sum = 0,

    /// <summary>The largest value and its first index (NaN wins, as in PyTorch).</summary>
    Max = 1,

    /// <summary>The smallest value and its first index (NaN wins).</summary>
    Min = 2,
}

/// <summary>
/// One matrix product on a device in <see cref="DType"/> (of every buffer: Float32, Float64, Int32 or Int64; integer
/// products have no bias), row-major: C[b] = op(A[b])·op(B[b]) + bias for b in [0, Batch), where op(X) is X or its
/// transpose as the flags say, A is m×k after op, B is k×n after op, C is m×n with leading dimension n, bias (length n,
/// optional) is added to every row. Offsets and batch strides are in elements; a batch stride of 0 repeats one matrix
/// (broadcasting). With <see cref="Epilogue"/> a compiled graph's kernel is applied to each element of C as it is
/// written (Float32, A not transposed, one matrix).
/// </summary>
internal readonly record struct DeviceGemm(
    bool TransposeA,
    bool TransposeB,
    int M,
    int N,
    int K,
    IDeviceBuffer A,
    int OffsetA,
    int Lda,
    int BatchStrideA,
    IDeviceBuffer B,
    int OffsetB,
    int Ldb,
    int BatchStrideB,
    IDeviceBuffer C,
    int Batch,
    IDeviceBuffer? Bias,
    DType DType = DType.Float32,
    DeviceGemmEpilogue? Epilogue = null);

/// <summary>
/// A compiled graph's elementwise kernel as a product's epilogue: C = f(A·B + bias, Other) at each position, f the device
/// function <c>{Function}(float product, float other)</c> of the model's generated <paramref name="CudaSource"/>,
/// compiled together with the GEMM (Gemm.cu's <c>gg_gemm_nn_epilogue</c>, <c>gg_gemm_nt_epilogue</c>).
/// </summary>
/// <param name="CudaSource">The generated CUDA C that defines the function.</param>
/// <param name="Function">Its name (<c>ResidualMlp_kernel3_after_product_at1</c>).</param>
/// <param name="Other">The other matrix (m×n like C, whole), or null for a kernel of the product alone.</param>
internal readonly record struct DeviceGemmEpilogue(string CudaSource, string Function, IDeviceBuffer? Other);

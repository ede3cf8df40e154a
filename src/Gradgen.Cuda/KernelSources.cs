namespace Gradgen.Cuda;

/// <summary>
/// The runtime's own CUDA C, kept as readable files in src/Gradgen.Cuda/Kernels and embedded in this assembly: the
/// tensor kernels (<c>Tensor.cu</c>) and the GEMM (<c>Gemm.cu</c>). Compiled with NVRTC through the same path and
/// compile cache as the generated kernels. The CUDA source corpus test compiles every embedded <c>.cu</c> file.
/// </summary>
internal static class KernelSources
{
    private static readonly Lazy<string> TensorSource = new(() => Read("Tensor.cu"));
    private static readonly Lazy<string> GemmSource = new(() => Read("Gemm.cu"));

    /// <summary>The prefix of the embedded resources' names.</summary>
    public const string ResourcePrefix = "Gradgen.Cuda.Kernels.";

    /// <summary>Fill, sum, strided copies, the map, comparisons, where, reductions and gather.</summary>
    public static string Tensor => TensorSource.Value;

    /// <summary>The tiled GEMM with its bias epilogue, in four transposition variants.</summary>
    public static string Gemm => GemmSource.Value;

    /// <summary>Every entry point the backend launches, by source file: what the corpus test expects each file to define.</summary>
    public static IReadOnlyDictionary<string, string[]> Entries { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Tensor.cu"] =
        [
            .. All.Select(t => Entry("gg_fill", t)),
            Entry("gg_sum", DType.Float32), Entry("gg_sum", DType.Float64), Entry("gg_sum", DType.Int64),
            .. Numeric.Select(t => Entry("gg_map", t)),
            .. Numeric.Select(t => Entry("gg_compare", t)),
            .. All.Select(t => Entry("gg_where", t)),
            .. Numeric.Select(t => Entry("gg_reduce", t)),
            .. All.Select(t => Entry("gg_gather", t)),
            Entry("gg_scatter_add", DType.Float32), Entry("gg_scatter_add", DType.Float64),
            .. All.SelectMany(from => All.Select(to => CopyEntry(from, to))),
        ],
        ["Gemm.cu"] = ["gg_gemm_nn", "gg_gemm_nt", "gg_gemm_tn", "gg_gemm_tt", .. new[] { DType.Float64, DType.Int32, DType.Int64 }.Select(t => Entry("gg_gemm", t))],
    };

    /// <summary>
    /// The products that apply a compiled graph's kernel to each element they write, which <see cref="ProductEpilogueGemm"/>
    /// defines: C = A·B and C = A·Bᵀ.
    /// </summary>
    public static IReadOnlyList<string> ProductEpilogueEntries { get; } = ["gg_gemm_nn_epilogue", "gg_gemm_nt_epilogue"];

    /// <summary>
    /// Gemm.cu with a compiled graph's kernel as its products' epilogue: the model's generated graph source (which defines
    /// the device function <c>{function}(float product, float other)</c>), then <c>GG_PRODUCT_EPILOGUE</c> naming that
    /// function, then Gemm.cu, which then defines only <see cref="ProductEpilogueEntries"/>. One translation unit, so the
    /// kernel is inlined into the product's store.
    /// </summary>
    /// <param name="graphSource">The generated CUDA C (a model's <c>…GraphCudaSource</c>).</param>
    /// <param name="function">The kernel's product epilogue in it (<c>{entry}_after_product_at{i}</c>).</param>
    /// <returns>The source to compile.</returns>
    public static string ProductEpilogueGemm(string graphSource, string function) =>
        $"{graphSource}\n\n#define GG_PRODUCT_EPILOGUE {function}\n\n{Gemm}";

    /// <summary>The name of the strided copy kernel from one dtype to another (<c>gg_copy_f32_b8</c>).</summary>
    public static string CopyEntry(DType from, DType to) => $"gg_copy_{Tag(from)}_{Tag(to)}";

    /// <summary>The instantiation of a kernel template for a dtype (<c>gg_map_f64</c>, <c>gg_gemm_i32</c>).</summary>
    public static string Entry(string kernel, DType dtype) => $"{kernel}_{Tag(dtype)}";

    /// <summary>The source of an embedded kernel file.</summary>
    public static string Read(string file)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new InvalidOperationException($"The CUDA source {file} is not embedded in {typeof(KernelSources).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static DType[] All => [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool];

    private static DType[] Numeric => [DType.Float32, DType.Float64, DType.Int32, DType.Int64];

    private static string Tag(DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.Float64 => "f64",
        DType.Int32 => "i32",
        DType.Int64 => "i64",
        _ => "b8",
    };
}

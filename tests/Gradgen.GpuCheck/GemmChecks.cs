using Gradgen.Cuda;

namespace Gradgen.GpuCheck;

/// <summary>
/// The kernels of src/Gradgen.Cuda/Kernels/Gemm.cu launched directly, for every transposition with and without bias,
/// and the two products with a compiled graph's kernel as the epilogue (a stand-in kernel of the product and another
/// matrix), at sizes that are not multiples of the 64×64 tile or the 16-deep k step, with a batch, against a
/// double-precision CPU product.
/// </summary>
internal static class GemmChecks
{
    // Normwise error bound of a float32 dot product of K terms: about K·2⁻²⁴ of Σ|a·b| (fmaf, any order). With
    // K = 301 and operands in [−1, 1] that is 1.8e-5 of Σ|a·b| ≤ K; the outputs' scale is ~√K, so 1e-4 of the
    // largest output leaves room.
    private const double Tolerance = 1e-4;

    // What a model's generated source defines for a product's epilogue (CudaEmitter.WriteGraph), written here by hand.
    private const string EpilogueSource = """
        __device__ __forceinline__ float gpu_check_after_product_at0(float product, float other)
        {
            return (product > 0.0f ? product : 0.0f) + 0.5f * other;
        }
        """;

    public static bool Run(Action<string, object> report, CudaContext context)
    {
        const int M = 131, N = 77, K = 301, Batch = 3;
        var module = context.LoadModule(KernelSources.Gemm, "gradgen_gemm");
        var epilogueModule = context.LoadModule(KernelSources.ProductEpilogueGemm(EpilogueSource, "gpu_check_after_product_at0"), "gradgen_gemm_epilogue");
        var rng = new Random(3);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        float[] a = Random(Batch * M * K), b = Random(Batch * K * N), bias = Random(N), other = Random(M * N);
        using var da = context.Upload<float>(a);
        using var db = context.Upload<float>(b);
        using var dbias = context.Upload<float>(bias);
        using var dother = context.Upload<float>(other);
        using var dc = context.Allocate<float>(Batch * M * N);
        bool passed = true;
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                foreach (bool withBias in new[] { false, true })
                {
                    string entry = $"gg_gemm_{(ta ? 't' : 'n')}{(tb ? 't' : 'n')}";
                    int lda = ta ? M : K, ldb = tb ? K : N;
                    var shape = new LaunchShape(new Dim3((N + 63) / 64, (M + 63) / 64, Batch), new Dim3(256));
                    module.GetKernel(entry).Launch(
                        shape, M, N, K, da, lda, (long)M * K, db, ldb, (long)K * N, dc, withBias ? (KernelArg)dbias : KernelArg.Pointer(0));
                    passed &= Compare(entry + $" {M}x{N}x{K}, batch {Batch}, bias {(withBias ? "yes" : "no ")}", context, dc, a, b, withBias ? bias : null, null, Batch, M, N, K, ta, tb);
                }
            }
        }

        foreach (bool tb in new[] { false, true })
        {
            string entry = KernelSources.ProductEpilogueEntries[tb ? 1 : 0];
            int ldb = tb ? K : N;
            var shape = new LaunchShape(new Dim3((N + 63) / 64, (M + 63) / 64, 1), new Dim3(256));
            epilogueModule.GetKernel(entry).Launch(shape, M, N, K, da, K, 0L, db, ldb, 0L, dc, dbias, dother);
            passed &= Compare(entry + $" {M}x{N}x{K}, bias yes, relu(z) + other/2", context, dc, a, b, bias, other, 1, M, N, K, false, tb);
        }

        report("gemm_passed", passed);
        return passed;
    }

    /// <summary>C against the double-precision product (then the stand-in epilogue, with <paramref name="other"/>); prints one line.</summary>
    private static bool Compare(string label, CudaContext context, DeviceBuffer<float> dc, float[] a, float[] b, float[]? bias, float[]? other, int batches, int m, int n, int k, bool ta, bool tb)
    {
        context.Synchronize();
        float[] c = dc.ToArray();
        int lda = ta ? m : k, ldb = tb ? k : n;
        double worst = 0, scale = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double z = bias is null ? 0 : bias[j];
                    for (int p = 0; p < k; p++)
                    {
                        double av = a[(batch * m * k) + (ta ? (p * lda) + i : (i * lda) + p)];
                        double bv = b[(batch * k * n) + (tb ? (j * ldb) + p : (p * ldb) + j)];
                        z += av * bv;
                    }

                    if (other is not null)
                    {
                        z = Math.Max(z, 0) + (0.5 * other[(i * n) + j]);
                    }

                    worst = Math.Max(worst, Math.Abs(z - c[(batch * m * n) + (i * n) + j]));
                    scale = Math.Max(scale, Math.Abs(z));
                }
            }
        }

        double error = worst / scale;
        bool ok = error <= Tolerance;
        Console.WriteLine($"  {label}: normwise {error:E2}: {(ok ? "ok" : "FAILED")}");
        return ok;
    }
}

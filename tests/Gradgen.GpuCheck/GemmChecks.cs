using Gradgen.Cuda;

namespace Gradgen.GpuCheck;

/// <summary>
/// The kernels of src/Gradgen.Cuda/Kernels/Gemm.cu launched directly, for every transposition and epilogue, at sizes
/// that are not multiples of the 64×64 tile or the 16-deep k step, with a batch, against a double-precision CPU product.
/// </summary>
internal static class GemmChecks
{
    // Normwise error bound of a float32 dot product of K terms: about K·2⁻²⁴ of Σ|a·b| (fmaf, any order). With
    // K = 301 and operands in [−1, 1] that is 1.8e-5 of Σ|a·b| ≤ K; the outputs' scale is ~√K, so 1e-4 of the
    // largest output leaves room. The activations add at most 2 ulp (expf, tanhf).
    private const double Tolerance = 1e-4;

    public static bool Run(Action<string, object> report, CudaContext context)
    {
        const int M = 131, N = 77, K = 301, Batch = 3;
        var module = context.LoadModule(KernelSources.Gemm, "gradgen_gemm");
        var rng = new Random(3);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        float[] a = Random(Batch * M * K), b = Random(Batch * K * N), bias = Random(N);
        using var da = context.Upload<float>(a);
        using var db = context.Upload<float>(b);
        using var dbias = context.Upload<float>(bias);
        using var dc = context.Allocate<float>(Batch * M * N);
        bool passed = true;
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                foreach (int activation in new[] { 0, 1, 2, 3 })
                {
                    bool withBias = activation != 0 || (ta ^ tb);
                    string entry = $"gg_gemm_{(ta ? 't' : 'n')}{(tb ? 't' : 'n')}";
                    int lda = ta ? M : K, ldb = tb ? K : N;
                    var shape = new LaunchShape(new Dim3((N + 63) / 64, (M + 63) / 64, Batch), new Dim3(256));
                    module.GetKernel(entry).Launch(
                        shape, M, N, K, da, lda, (long)M * K, db, ldb, (long)K * N, dc, withBias ? (KernelArg)dbias : KernelArg.Pointer(0), activation);
                    context.Synchronize();
                    float[] c = dc.ToArray();
                    double worst = 0, scale = 0;
                    for (int batch = 0; batch < Batch; batch++)
                    {
                        for (int i = 0; i < M; i++)
                        {
                            for (int j = 0; j < N; j++)
                            {
                                double z = withBias ? bias[j] : 0;
                                for (int p = 0; p < K; p++)
                                {
                                    double av = a[(batch * M * K) + (ta ? (p * lda) + i : (i * lda) + p)];
                                    double bv = b[(batch * K * N) + (tb ? (j * ldb) + p : (p * ldb) + j)];
                                    z += av * bv;
                                }

                                z = activation switch { 1 => Math.Max(z, 0), 2 => 1 / (1 + Math.Exp(-z)), 3 => Math.Tanh(z), _ => z };
                                worst = Math.Max(worst, Math.Abs(z - c[(batch * M * N) + (i * N) + j]));
                                scale = Math.Max(scale, Math.Abs(z));
                            }
                        }
                    }

                    double error = worst / scale;
                    bool ok = error <= Tolerance;
                    passed &= ok;
                    string act = activation switch { 1 => "relu", 2 => "sigmoid", 3 => "tanh", _ => "none" };
                    Console.WriteLine($"  {entry} {M}x{N}x{K}, batch {Batch}, bias {(withBias ? "yes" : "no ")}, activation {act,-7}: normwise {error:E2}: {(ok ? "ok" : "FAILED")}");
                }
            }
        }

        report("gemm_passed", passed);
        return passed;
    }
}

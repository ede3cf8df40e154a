using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Gradgen.Kernels;

// Times Gemm.Multiply on the shapes of an MNIST-sized linear layer (128×784 by 784×256) and its backward passes.
// Run once per thread count: GRADGEN_NUM_THREADS=1 dotnet run -c Release --project benchmarks/Gradgen.Benchmarks.Gemm
// Arguments: [seconds per case, default 2] [set: layer (default), epilogue, sweep (small squares, for the threading threshold), all].
// Prints the minimum and median time per call over rounds of back-to-back calls, and GFLOP/s of the minimum.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2.0;
string set = args.Length > 1 ? args[1] : "layer";
Console.WriteLine($"Gemm.ThreadCount = {Gemm.ThreadCount}, {Environment.ProcessorCount} processors, " +
    $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

Case[] layer =
[
    new("C[128×256] = A[128×784]·B[784×256]", false, false, 128, 256, 784),
    new("forward  Y = X·Wᵀ, W [256×784]", false, true, 128, 256, 784),
    new("backward dX = dY·W  [128×256]·[256×784]", false, false, 128, 784, 256),
    new("backward dW = dYᵀ·X [256×128]·[128×784]", true, false, 256, 784, 128),
    new("output layer Y = H·Wᵀ, W [10×256]", false, true, 128, 10, 256),
];
Case[] epilogue =
[
    new("forward + bias + ReLU, fused epilogue", false, true, 128, 256, 784, Tail.FusedBiasRelu),
    new("forward, then a bias + ReLU loop", false, true, 128, 256, 784, Tail.SeparateBiasRelu),
];
Case[] sweep = [.. new[] { 32, 48, 64, 80, 96, 128, 160, 192, 256, 384, 512, 1024 }.Select(s => new Case($"square {s}³", false, false, s, s, s))];
Case[] cases = set switch
{
    "sweep" => sweep,
    "epilogue" => epilogue,
    "all" => [.. layer, .. epilogue, .. sweep],
    _ => layer,
};

foreach (Case c in cases)
{
    c.Run(seconds);
}

/// <summary>How the product is followed: nothing, a fused bias + ReLU epilogue, or a separate bias + ReLU pass.</summary>
internal enum Tail
{
    None,
    FusedBiasRelu,
    SeparateBiasRelu,
}

internal sealed class Case(string name, bool ta, bool tb, int m, int n, int k, Tail tail = Tail.None)
{
    public void Run(double seconds)
    {
        var random = new Random(1);
        float[] a = Fill(random, m * k), b = Fill(random, k * n), c = new float[m * n];
        int lda = ta ? m : k, ldb = tb ? k : n;
        float[] bias = Fill(random, n);
        void Call()
        {
            switch (tail)
            {
                case Tail.FusedBiasRelu:
                    Gemm.Multiply<ReluEpilogue>(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n, bias);
                    break;
                case Tail.SeparateBiasRelu:
                    Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
                    for (int i = 0; i < m; i++)
                    {
                        // A vectorised second pass, as an elementwise kernel would do it (n is a multiple of 16 here).
                        Span<float> row = c.AsSpan(i * n, n);
                        for (int j = 0; j + 16 <= row.Length; j += 16)
                        {
                            var x = Vector512.Create<float>(row[j..]) + Vector512.Create<float>(bias.AsSpan(j));
                            Vector512.Max(x, Vector512<float>.Zero).CopyTo(row[j..]);
                        }
                    }

                    break;
                default:
                    Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
                    break;
            }
        }

        // Warm up past tiered compilation, then size rounds to about 5 ms (short rounds catch the quiet moments of a shared machine).
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (sw.Elapsed.TotalSeconds < 0.5 || calls < 50)
        {
            Call();
            calls++;
        }

        int perRound = Math.Max(1, (int)(0.005 * calls / sw.Elapsed.TotalSeconds));
        var rounds = new List<double>();
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < seconds || rounds.Count < 5)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRound; i++)
            {
                Call();
            }

            rounds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / perRound);
        }

        rounds.Sort();
        double min = rounds[0], median = rounds[rounds.Count / 2];
        double flops = 2.0 * m * n * k;
        Console.WriteLine($"{name,-44} min {min * 1e6,8:F1} µs  median {median * 1e6,8:F1} µs  {flops / min / 1e9,6:F1} GFLOP/s (median {flops / median / 1e9:F1})");
    }

    private static float[] Fill(Random random, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return x;
    }
}

using System.Diagnostics;

namespace Gradgen.GpuCheck;

/// <summary>
/// Span functions written as loops over one row, run over the rows of tensors on the GPU through their generated row
/// kernels (<c>FRowsCudaSource</c>: one thread per row, the backward's tape in device memory), against the same
/// tensor overloads on the CPU: values and gradients, and a timing of one forward and backward.
/// </summary>
internal static partial class RowKernelChecks
{
    /// <summary>−log softmax(logits)[label] with the running maximum: a row softmax cross-entropy written as a loop.</summary>
    [Differentiable]
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, int label)
    {
        float max = float.NegativeInfinity;
        float sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] > max)
            {
                sum = sum * MathF.Exp(max - logits[i]) + 1;
                max = logits[i];
            }
            else
            {
                sum += MathF.Exp(logits[i] - max);
            }
        }

        return max + MathF.Log(sum) - logits[label];
    }

    /// <summary>Σ xᵢ² until the sum passes a limit: a data-dependent trip count (break).</summary>
    [Differentiable]
    public static double SumSquaresUntil(ReadOnlySpan<double> x, double limit)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * x[i];
            if (sum > limit)
            {
                break;
            }
        }

        return sum;
    }

    /// <summary>yᵢ = (x₀ + … + xᵢ)²·w, through a local array: a span output and scratch memory from the tape.</summary>
    [Differentiable]
    public static void SquaredPrefix(ReadOnlySpan<float> x, float w, Span<float> y)
    {
        Span<float> prefix = stackalloc float[x.Length];
        float running = 0;
        for (int i = 0; i < x.Length; i++)
        {
            running += x[i];
            prefix[i] = running;
        }

        int k = 0;
        while (k < y.Length)
        {
            y[k] = prefix[k] * prefix[k] * w;
            k++;
        }
    }

    /// <summary>Σ xᵢ·yᵢ: a span function the next ones call.</summary>
    [Differentiable]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>
    /// Σ over 64 laps of x of the squared running sum, through a local array of 64·x.Length: called from a row, its
    /// scratch memory overflows the runtime's first guess at the tape, so the row stops and runs again with more.
    /// </summary>
    [Differentiable]
    public static double PrefixEnergy(ReadOnlySpan<double> x)
    {
        Span<double> prefix = stackalloc double[64 * x.Length];
        double running = 0;
        for (int i = 0; i < prefix.Length; i++)
        {
            running += x[i % x.Length];
            prefix[i] = running;
        }

        double total = 0;
        for (int i = 0; i < prefix.Length; i++)
        {
            total += prefix[i] * prefix[i];
        }

        return total;
    }

    /// <summary>yᵢ = (A·x)ᵢ·w + energy(x)/n: calls of span functions (each a device function of the row kernels' source).</summary>
    [Differentiable]
    public static void MatVecWithEnergy(ReadOnlySpan<double> a, ReadOnlySpan<double> x, double w, Span<double> y)
    {
        double laps = 64 * x.Length;
        double energy = PrefixEnergy(x) / (laps * laps * laps);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Dot(a.Slice(i * x.Length, x.Length), x) * w + energy;
        }
    }

    /// <summary>The row sources, for the NVRTC-only part of the check.</summary>
    public static IEnumerable<(string Name, string Source)> Sources =>
    [
        ("SoftmaxCrossEntropyRows", SoftmaxCrossEntropyRowsCudaSource),
        ("SumSquaresUntilRows", SumSquaresUntilRowsCudaSource),
        ("SquaredPrefixRows", SquaredPrefixRowsCudaSource),
        ("MatVecWithEnergyRows", MatVecWithEnergyRowsCudaSource),
    ];

    public static bool Run(Action<string, object> report, Action synchronize)
    {
        var rng = new Random(5);
        Tensor R(params int[] shape) => Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)((rng.NextDouble() * 4) - 2)).ToArray()).Reshape(shape);
        var labels = Tensor.FromArray(Enumerable.Range(0, 4099).Select(i => (long)(i * 7 % 1000)).ToArray());

        // Tolerances, normwise: float sums of up to 1000 terms in the kernels' order against the CPU's vectorised one
        // (~n·2⁻²⁴ relative), and double loops in the same order (a few ulp of exp and log).
        var cases = new (string Name, double Tolerance, Func<Tensor[], Tensor> F, Tensor[] Inputs)[]
        {
            ("softmax cross-entropy, 4099 rows × 1000 classes, labels per row", 2e-4, t => SoftmaxCrossEntropy(t[0], t[1]), [R(4099, 1000), labels]),
            ("softmax cross-entropy, label 3, [2, 3, 17] broadcast", 2e-4, t => SoftmaxCrossEntropy(t[0], 3), [R(2, 3, 17)]),
            ("sum of squares until a limit (break), f64, limit per row", 1e-10, t => SumSquaresUntil(t[0], t[1]), [R(515, 37).To(DType.Float64), (R(515) + 20).To(DType.Float64)]),
            ("squared prefix sums (local array, span output)", 2e-4, t => SquaredPrefix(t[0], t[1]), [R(300, 129), R(300)]),
            ("A·x through calls of Dot and of a callee whose tape overflows, f64", 1e-10, t => MatVecWithEnergy(t[0], t[1], t[2], outputLength: 12), [R(1000, 12 * 40).To(DType.Float64), R(1000, 40).To(DType.Float64), R(1000).To(DType.Float64)]),
        };

        bool passed = true;
        foreach (var (name, tolerance, f, inputs) in cases)
        {
            var (value, gradient) = DeviceOpChecks.Compare(f, inputs);
            bool ok = value <= tolerance && gradient <= tolerance;
            passed &= ok;
            Console.WriteLine($"  {name,-62} value {value:E2}, gradient {gradient:E2} (tolerance {tolerance:E0}): {(ok ? "ok" : "FAILED")}");
        }

        // One forward and backward of the cross-entropy over 4099 × 1000 on the GPU, warm (the tape's capacity known).
        var logits = R(4099, 1000).To("cuda");
        logits.RequiresGrad = true;
        var gpuLabels = labels.To("cuda");
        var times = new List<double>();
        for (int run = 0; run < 6; run++)
        {
            logits.Grad = null;
            synchronize();
            var watch = Stopwatch.StartNew();
            SoftmaxCrossEntropy(logits, gpuLabels).Sum().Backward();
            synchronize();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        double median = times.Skip(1).Order().ElementAt(2);
        Console.WriteLine($"  softmax cross-entropy 4099 × 1000, forward + backward on the GPU: median {median:F3} ms of 5 warm runs");
        report("rows_softmax_ce_ms", median);
        report("rows_passed", passed);
        return passed;
    }
}

using Gradgen.Nn;

namespace Gradgen.GpuCheck;

/// <summary>
/// The runtime's device operations on the GPU against the same operations on the CPU, through the public tensor API:
/// values, dtypes and the gradients autograd computes on the device, in Float32, in Float64 (the same cases) and in
/// Int32/Int64/Bool (exact). Shapes are not multiples of the kernels' block or tile sizes (16, 64, 256), so every edge
/// path runs.
/// </summary>
internal static class DeviceOpChecks
{
    // Tolerances, normwise (max |GPU − CPU| / max |CPU|):
    // - elementwise: CUDA's expf/logf/tanhf/powf are within 2 ulp and Gradgen's CPU vector polynomials within ~3e-7
    //   relative (DESIGN.md 9 measured 2.6e-6 for sin·exp, the worst of them), so 1e-5 leaves a margin of 4×;
    // - reductions and products: a float32 sum of n terms in another order errs by up to ~n·2⁻²⁴ relative to Σ|terms|;
    //   with n ≤ 1000 here that is 6e-5, so 2e-4 (and the values are O(1), so Σ|terms| ≈ n·max: normwise holds).
    // - Float64: CUDA's double functions are within 2 ulp and sums of n ≤ 1000 terms err by ~n·2⁻⁵³ ≈ 1e-13, so 1e-10;
    // - integers and Bool: exact.
    private const double Elementwise = 1e-5;
    private const double Summed = 2e-4;
    private const double Float64 = 1e-10;

    public static bool Run(Action<string, object> report)
    {
        var rng = new Random(11);
        Tensor R(params int[] shape) => Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)((rng.NextDouble() * 4) - 2)).ToArray()).Reshape(shape);
        var a = R(67, 130);
        var row = R(130);
        var col = R(67, 1);
        var labels = Tensor.FromArray(Enumerable.Range(0, 67).Select(i => (long)(i * 7 % 10)).ToArray());
        var cases = new (string Name, double Tolerance, Func<Tensor[], Tensor> F, Tensor[] Inputs)[]
        {
            ("broadcast a + row, a * col, col - row, a / (|row| + 1)", Summed, t => (t[0] + t[1]) * t[2] - t[2] + t[0] / (t[1].Abs() + 1), [a, row, col]),
            ("scalars: (2 - a) * 3 / 4 + 1 / (|a| + 1)", Elementwise, t => ((2 - t[0]) * 3 / 4) + (1 / (t[0].Abs() + 1)), [a]),
            ("relu, abs, pow 3, clamp, sigmoid, tanh, exp", Elementwise, t => t[0].Relu() + t[0].Abs() + t[0].Pow(3.0) + t[0].Clamp(-0.5, 1) + t[0].Sigmoid() + t[0].Tanh() + t[0].Exp(), [a]),
            ("maximum, minimum (broadcast)", Summed, t => t[0].Maximum(t[1]) + t[0].Minimum(t[2]), [a, row, col]),
            ("where(a > row, a, 2·col)", Summed, t => Tensor.Where(t[0] > t[1], t[0], t[2] * 2), [a, row, col]),
            ("comparisons a ≤ row as Float32", Elementwise, t => (t[0] <= t[1]).To(DType.Float32), [a, row]),
            ("views: transpose, slice, select, contiguous", Elementwise, t => t[0].T[3..90].Contiguous().Exp() + t[0].Select(1, 5).Sum(), [a]),
            ("sum over dims 0 and 1, keepDim, mean", Summed, t => t[0].Sum(0, keepDim: true) + t[0].Mean(1, keepDim: true), [a]),
            ("max/min over a dimension", Summed, t => t[0].Max(1).Unsqueeze(1) + t[0].Min(0, keepDim: true).Values, [a]),
            ("argmax over a dimension (as Float32)", Elementwise, t => t[0].ArgMax(1).To(DType.Float32), [a]),
            ("matmul a·aᵀ (transposed operand)", Summed, t => t[0].MatMul(t[0].T), [a]),
            ("matmul batched 3×67×130 · 130×5", Summed, t => t[0].Unsqueeze(0).Expand(3, 67, 130).MatMul(t[1].Unsqueeze(1).Expand(130, 5)), [a, row]),
            ("linear with bias (GEMM epilogue) and backward", Summed, t => Functional.Linear(t[0], t[1], t[2]), [a, R(33, 130), R(33)]),
            ("softmax and log-softmax over classes", Summed, t => Functional.Softmax(t[0], 1) + Functional.LogSoftmax(t[0], 0), [a]),
            ("cross-entropy with class indices", Summed, t => Functional.CrossEntropy(t[0].Narrow(1, 0, 10), labels), [a]),
            ("MSE loss", Summed, t => Functional.MseLoss(t[0], t[1].Unsqueeze(0).Expand(67, 130)), [a, row]),
            ("pow with a tensor exponent |a|^row", Summed, t => t[0].Abs().Pow(t[1]), [a, row]),
            ("masked select a[a > row]", Elementwise, t => t[0][t[0] > t[1]], [a, row]),
            ("BCE with logits", Summed, t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1].Sigmoid().Unsqueeze(0).Expand(67, 130)), [a, row]),
        };

        bool passed = true;
        foreach (var (name, tolerance, f, inputs) in cases)
        {
            passed &= Check(name, tolerance, f, inputs);
        }

        // The same cases in Float64: the generated kernels' double variants, the Float64 map, reductions, GEMM and gather.
        foreach (var (name, _, f, inputs) in cases)
        {
            passed &= Check("f64 " + name, Float64, f, inputs.Select(t => t.To(DType.Float64)).ToArray());
        }

        // Integers and Bool: exact results of the CPU's dtypes (Int64 sums, float division, Bool comparisons).
        var ia = (a * 3).To(DType.Int32);
        var irow = (row * 3).To(DType.Int64);
        var integerCases = new (string Name, Func<Tensor[], Tensor> F, Tensor[] Inputs)[]
        {
            ("i32 + i64 row, * col, - 2", t => ((t[0] + t[1]) * t[0]) - 2L, [ia, irow]),
            ("i32 / i64 (a float result)", t => t[0] / (t[1].Abs() + 1L), [ia, irow]),
            ("relu, abs, clamp, pow 3 of i32", t => t[0].Relu() + t[0].Abs() + t[0].Clamp(-2, 3) + t[0].Pow(3L), [ia]),
            ("maximum, minimum, where of i64", t => Tensor.Where(t[0] > 0, t[0].Maximum(t[1]), t[0].Minimum(t[1])), [ia.To(DType.Int64), irow]),
            ("sum (Int64), sum over dims, max/min, argmax of i32", t => t[0].Sum() + t[0].Sum(0) + t[0].Max(1).Sum() + t[0].Min() + t[0].ArgMax(1).Sum(), [ia]),
            ("comparisons of i32 and Bool", t => (t[0] >= t[1]).Eq(t[0] > 0).To(DType.Int32) + (t[0] > 0).Sum(), [ia, irow]),
            ("gather and masked select of i64", t => t[0].Gather(1, labels.Unsqueeze(1)).Sum() + t[0][t[0] > 1].Sum(), [ia.To(DType.Int64)]),
            ("matmul i32 a·aᵀ and batched i64", t => t[0].MatMul(t[0].T).Sum() + t[1].Unsqueeze(0).Expand(3, 67, 130).MatMul(t[1].Narrow(0, 0, 5).T).Sum(), [ia, ia.To(DType.Int64)]),
        };
        foreach (var (name, f, inputs) in integerCases)
        {
            passed &= Check(name, 0, f, inputs);
        }

        report("device_ops_passed", passed);
        return passed;
    }

    private static bool Check(string name, double tolerance, Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        var (value, gradient) = Compare(f, inputs);
        bool ok = value <= tolerance && gradient <= tolerance;
        Console.WriteLine($"  {name,-58} value {value:E2}, gradient {gradient:E2} (tolerance {tolerance:E0}): {(ok ? "ok" : "FAILED")}");
        return ok;
    }

    /// <summary>f on the CPU and on the GPU; the normwise differences of the values and of every input's gradient.</summary>
    internal static (double Value, double Gradient) Compare(Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        var cpu = inputs.Select(t => t.Detach().Clone()).ToArray();
        var gpu = inputs.Select(t => t.Detach().To("cuda")).ToArray();
        foreach (var t in cpu.Concat(gpu).Where(t => t.DType is DType.Float32 or DType.Float64))
        {
            t.RequiresGrad = true;
        }

        var yCpu = f(cpu);
        var yGpu = f(gpu);
        if (yCpu.DType != yGpu.DType || yGpu.Device != Device.Cuda())
        {
            Console.WriteLine($"  expected {yCpu.DType} on cuda:0, got {yGpu.DType} on {yGpu.Device}");
            return (double.PositiveInfinity, 0);
        }

        double value = Normwise(yCpu.ToArray<double>(), yGpu.To(Device.Cpu).ToArray<double>());
        if (!yCpu.RequiresGrad)
        {
            return (value, 0);
        }

        var seed = Tensor.Rand(yCpu.Shape.ToArray()) - 0.5;
        yCpu.Backward(seed);
        yGpu.Backward(seed.To("cuda"));
        double gradient = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            if (cpu[i].Grad is { } g)
            {
                gradient = Math.Max(gradient, gpu[i].Grad is { } h ? Normwise(g.ToArray<double>(), h.To(Device.Cpu).ToArray<double>()) : double.PositiveInfinity);
            }
        }

        return (value, gradient);
    }

    internal static double Normwise(double[] expected, double[] actual)
    {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], d = Math.Abs(e - actual[i]);
            worst = double.IsNaN(d) && !(double.IsNaN(e) && double.IsNaN(actual[i])) && !e.Equals(actual[i]) ? double.PositiveInfinity : Math.Max(worst, double.IsNaN(d) ? 0 : d);
            scale = Math.Max(scale, Math.Abs(e));
        }

        return expected.Length == actual.Length ? worst / Math.Max(scale, 1e-30) : double.PositiveInfinity;
    }
}

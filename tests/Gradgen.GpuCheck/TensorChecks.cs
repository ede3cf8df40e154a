using System.Diagnostics;
using Gradgen.Cuda;

namespace Gradgen.GpuCheck;

/// <summary>
/// Gradgen tensors on the GPU against the same computation on the CPU: printing, the generated tensor overload of
/// Bump (one fused kernel forward, one backward), the eager composition op by op, Sum, and autograd through them; then
/// wall-clock timings of the tensor API at N = 10⁷ (launches, allocation and the graph included).
/// </summary>
internal static class TensorChecks
{
    public static bool Run(Action<string, object> report, int n, int runs, CudaContext context)
    {
        bool passed = true;
        if (!Gradgen.Cuda.Cuda.Register())
        {
            Console.WriteLine("  no GPU: skipped");
            return true;
        }

        var gpu = Device.Cuda();
        string printed = Tensor.Zeros(10).To(gpu).ToString();
        bool printOk = printed == "tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], device='cuda:0')";
        passed &= printOk;
        Console.WriteLine($"  torch.zeros(10).to('cuda') prints {printed}: {(printOk ? "ok" : "FAILED")}");

        const int CheckN = 1_048_579;
        passed &= Compare("generated Bump(Tensor), forward and backward", CheckN, x => GeneratedKernels.Bump(x), gpu, report);
        passed &= Compare("eager sin(2πx)·exp(−(x−5)²/3), op by op", CheckN, Eager, gpu, report);
        passed &= CompareDTypes(gpu, report);

        var xs = Tensor.Linspace(0, 10, n).To(gpu);
        xs.RequiresGrad = true;
        var ones = Tensor.Ones(n).To(gpu);
        double fused = Median(() => { xs.Grad = null; GeneratedKernels.Bump(xs).Backward(ones); }, runs, context);
        double eager = Median(() => { xs.Grad = null; Eager(xs).Backward(ones); }, runs, context);
        Console.WriteLine($"  N = {n:N0}, wall clock per forward + backward (median of {runs}, synchronised):");
        Console.WriteLine($"    generated Bump(Tensor): one fused kernel each way     {fused,8:F4} ms");
        Console.WriteLine($"    eager composition, op by op (8 nodes)                  {eager,8:F4} ms");
        report("tensor_fused_ms", fused);
        report("tensor_eager_ms", eager);
        return passed;
    }

    private static Tensor Eager(Tensor x)
    {
        var d = x - 5;
        return (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
    }

    private static bool Compare(string what, int n, Func<Tensor, Tensor> f, Device gpu, Action<string, object> report)
    {
        var cpu = Tensor.Linspace(0, 10, n, requiresGrad: true);
        var device = Tensor.Linspace(0, 10, n).To(gpu);
        device.RequiresGrad = true;
        var yCpu = f(cpu);
        var yGpu = f(device);
        yCpu.Backward(Tensor.OnesLike(yCpu));
        yGpu.Backward(Tensor.OnesLike(yGpu));
        double value = Normwise(yCpu.ToArray<float>(), yGpu.To(Device.Cpu).ToArray<float>());
        double gradient = Normwise(cpu.Grad!.ToArray<float>(), device.Grad!.To(Device.Cpu).ToArray<float>());
        double sumCpu = yCpu.Sum().Item<float>(), sumGpu = yGpu.Sum().To(Device.Cpu).Item<float>();
        double sumOfMagnitudes = yCpu.Abs().Sum().Item<float>();
        // Same tolerance as the kernel checks (AbiChecker.FloatTolerance, 2⁻¹³ of the largest value): CUDA's
        // sinf/expf against Gradgen's CPU vector polynomials differ by a few ulp. A float32 sum of n terms of both
        // signs errs by up to ~n·2⁻²⁴ of Σ|y| in either order (the GPU adds per block, then atomically), so the sums
        // are compared against 1e-6·Σ|y|: the oscillating Bump sums to 0.01 out of Σ|y| ≈ 2·10⁵.
        bool ok = value <= 1.2e-4 && gradient <= 1.2e-4 && Math.Abs(sumCpu - sumGpu) <= 1e-6 * sumOfMagnitudes;
        Console.WriteLine($"  {what}, n = {n:N0}: value {value:E2}, gradient {gradient:E2} (normwise), sum {sumGpu:F4} vs {sumCpu:F4}, node <{yGpu.GradFn?.Name}>: {(ok ? "ok" : "FAILED")}");
        report("tensor_check_" + (what.StartsWith("generated", StringComparison.Ordinal) ? "fused" : "eager"), ok);
        return ok;
    }

    /// <summary>
    /// The generated tensor overloads in the dtype of their tensors, not of their declaration: a float function on
    /// Float64 tensors launches its <c>_f64</c> kernels, a double one on Float32 tensors its <c>_f32</c> kernels; values,
    /// result dtype and gradients against the CPU (which runs the same function in the same dtype).
    /// </summary>
    private static bool CompareDTypes(Device gpu, Action<string, object> report)
    {
        bool passed = true;
        var cases = new (string What, Func<Tensor, Tensor> F, DType DType, double Tolerance)[]
        {
            ("generated Bump(Tensor) on Float64 (Bump_forward_f64)", GeneratedKernels.Bump, DType.Float64, 1e-10),
            ("generated BumpDouble(Tensor) on Float64", GeneratedKernels.BumpDouble, DType.Float64, 1e-10),
            ("generated BumpDouble(Tensor) on Float32 (BumpDouble_forward_f32)", GeneratedKernels.BumpDouble, DType.Float32, 1.2e-4),
        };
        foreach (var (what, f, dtype, tolerance) in cases)
        {
            var cpu = Tensor.Linspace(0, 10, 100_003).To(dtype);
            var device = cpu.To(gpu);
            cpu.RequiresGrad = true;
            device.RequiresGrad = true;
            var yCpu = f(cpu);
            var yGpu = f(device);
            yCpu.Backward(Tensor.OnesLike(yCpu));
            yGpu.Backward(Tensor.OnesLike(yGpu));
            double value = DeviceOpChecks.Normwise(yCpu.ToArray<double>(), yGpu.To(Device.Cpu).ToArray<double>());
            double gradient = DeviceOpChecks.Normwise(cpu.Grad!.ToArray<double>(), device.Grad!.To(Device.Cpu).ToArray<double>());
            bool ok = yGpu.DType == dtype && device.Grad!.DType == dtype && value <= tolerance && gradient <= tolerance;
            Console.WriteLine($"  {what}: {yGpu.DType}, value {value:E2}, gradient {gradient:E2} (tolerance {tolerance:E1}): {(ok ? "ok" : "FAILED")}");
            passed &= ok;
        }

        report("tensor_check_dtypes", passed);
        return passed;
    }

    private static double Normwise(float[] expected, float[] actual)
    {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return worst / Math.Max(scale, 1e-30);
    }

    private static double Median(Action action, int runs, CudaContext context)
    {
        for (int i = 0; i < 3; i++)
        {
            action();
        }

        context.Synchronize();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            context.Synchronize();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[runs / 2];
    }
}

using System.Diagnostics;
using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.GpuCheck;

/// <summary>
/// Training steps on the GPU: each model's step (zero grads, forward, loss, backward, SGD update) is first checked
/// against the same step on the CPU from the same parameters, then timed (wall clock, synchronised, median). The
/// steps are the seed MLP 2-2-1 at batch 10,000 with MSE, the 784-256-10 ReLU MLP with cross-entropy at batch 128
/// and 4096, PyTorch's quickstart model and the residual LayerNorm MLP at batch 64 and 4096, and a small CNN at batch 64 and 256, as
/// scripts/gpu_check_torch.py times them in PyTorch (eager and torch.compile) with the same shapes.
/// </summary>
internal static class MlpChecks
{
    // After 3 SGD steps the parameters differ from the CPU's by float32 rounding of the GEMMs' sums (K ≤ 4096 terms,
    // ~K·2⁻²⁴ ≈ 2.4e-4 relative to Σ|terms| at worst, far less in practice) propagated through 3 small updates:
    // 1e-3 normwise.
    private const double StepTolerance = 1e-3;

    /// <summary>Checks and times the steps; <paramref name="mnistBatches"/> defaults to the issue's 128 and 4096.</summary>
    public static bool Run(Action<string, object> report, int runs, Action synchronize, int seedBatch = 10_000, int[]? mnistBatches = null)
    {
        bool passed = true;
        var rng = new Random(5);
        var xSeed = Tensor.Rand(seedBatch, 2) * 4 - 2;
        var ySeed = (xSeed.Select(1, 0) * xSeed.Select(1, 1)).Gt(0).To(DType.Float32).Unsqueeze(1);
        passed &= Case("seed_mlp", $"seed MLP 2-2-1, batch {seedBatch:N0}, MSE, SGD", () => new SeedMlp(), new MSELoss(), xSeed, ySeed, runs, synchronize, report);
        foreach (int batch in mnistBatches ?? [128, 4096])
        {
            var x = Tensor.Rand(batch, 784);
            var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => (long)rng.Next(10)).ToArray());
            passed &= Case($"mnist_mlp_{batch}", $"784-256-10 ReLU, batch {batch}, cross-entropy, SGD", () => new MnistMlp(), new CrossEntropyLoss(), x, labels, runs, synchronize, report);
        }

        // Adam's update as the one kernel traced from its rule (Optim/DeviceUpdate.cs), never run on a GPU before.
        {
            var x = Tensor.Rand(64, 784);
            var labels = Tensor.FromArray(Enumerable.Range(0, 64).Select(_ => (long)rng.Next(10)).ToArray());
            passed &= Case("mnist_mlp_adam_64", "784-256-10 ReLU, batch 64, cross-entropy, Adam (AMSGrad, weight decay)", () => new MnistMlp(), new CrossEntropyLoss(), x, labels, runs, synchronize, report,
                parameters => new Adam(parameters, lr: 1e-3, weightDecay: 1e-4, amsgrad: true));
        }

        // Issue 10's models: the quickstart (Linear-chain device path) and the residual LayerNorm MLP (the graph's
        // device plan, never run on a GPU before), at batch 64 and 4096.
        foreach (int batch in new[] { 64, 4096 })
        {
            var x = Tensor.Rand(batch, 784);
            var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => (long)rng.Next(10)).ToArray());
            passed &= Case($"quickstart_{batch}", $"784-512-512-10 ReLU, batch {batch}, cross-entropy, SGD", () => new QuickstartMlp(), new CrossEntropyLoss(), x, labels, runs, synchronize, report);
            passed &= Case($"residual_ln_{batch}", $"residual LayerNorm+GELU MLP, batch {batch}, cross-entropy, SGD", () => new ResidualLayerNormMlp(), new CrossEntropyLoss(), x, labels, runs, synchronize, report);
        }

        // Issue 12's small CNN: convolution and max pooling composed of device operations.
        foreach (int batch in new[] { 64, 256 })
        {
            var x = Tensor.Rand(batch, 1, 28, 28);
            var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => (long)rng.Next(10)).ToArray());
            passed &= Case($"small_cnn_{batch}", $"small CNN 1-8-16 3×3 conv+ReLU+pool, 784-10, batch {batch}, cross-entropy, SGD", () => new SmallCnn(), new CrossEntropyLoss(), x, labels, runs, synchronize, report);
        }

        return passed;
    }

    private static bool Case(string key, string label, Func<Module> build, Loss loss, Tensor x, Tensor target, int runs, Action synchronize, Action<string, object> report, Func<IEnumerable<Tensor>, Optimizer>? optimizer = null)
    {
        optimizer ??= parameters => new Sgd(parameters, lr: 0.05);
        var cpu = build();
        var gpu = build();
        gpu.LoadStateDict(cpu.StateDict());
        gpu.To("cuda");
        var cpuSgd = optimizer(cpu.Parameters());
        var gpuSgd = optimizer(gpu.Parameters());
        var gx = x.To("cuda");
        var gt = target.To("cuda");
        void CpuStep()
        {
            cpuSgd.ZeroGrad();
            loss.Call(cpu.Call(x), target).Backward();
            cpuSgd.Step();
        }

        void GpuStep()
        {
            gpuSgd.ZeroGrad();
            loss.Call(gpu.Call(gx), gt).Backward();
            gpuSgd.Step();
        }

        for (int i = 0; i < 3; i++)
        {
            CpuStep();
            GpuStep();
        }

        double worst = 0;
        foreach (var (c, g) in cpu.Parameters().Zip(gpu.Parameters()))
        {
            worst = Math.Max(worst, DeviceOpChecks.Normwise(c.ToArray<double>(), g.To(Device.Cpu).ToArray<double>()));
        }

        bool ok = worst <= StepTolerance;
        report(key + "_check", ok);
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            // Device memory returns to the caching allocator when tensors are finalized; collecting between steps,
            // outside the timed region, gives the steady state of a long training loop (every allocation a cache hit).
            GC.Collect();
            GC.WaitForPendingFinalizers();
            synchronize();
            long start = Stopwatch.GetTimestamp();
            GpuStep();
            synchronize();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        double median = times[runs / 2];
        report(key + "_ms", median);
        Console.WriteLine($"  {label,-58} parameters after 3 steps vs CPU {worst:E2} (tolerance {StepTolerance:E0}): {(ok ? "ok" : "FAILED")}; step {median,8:F4} ms (median of {runs}, wall clock)");
        return ok;
    }
}

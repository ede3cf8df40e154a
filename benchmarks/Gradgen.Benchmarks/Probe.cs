using System.Diagnostics;
using System.Globalization;
using Gradgen.Benchmarks.Bump;
using Gradgen.Benchmarks.Eager;

namespace Gradgen.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- probe [seconds] [ops|mlp|seed|compiled|step|eval|region]</c>: quick Stopwatch loops for profiling between
/// BenchmarkDotNet runs (median and minimum of rounds, process CPU time, generation-2 collections and managed bytes per
/// call); not the reported figures. No set: the eager-autograd cases; <c>ops</c>: single tensor operations and their
/// backward at N = 10³ and 10⁶; <c>mlp</c>: the training steps of <see cref="Mlp.MlpProblem"/>; <c>seed</c>: the pieces
/// of the seed MLP's eager step (layers, loss, backward of each, the dW product); <c>compiled</c>: the pieces of the
/// compiled seed step; <c>step</c>: only that whole step (for a profiler); <c>eval</c>: only a recorded <c>Call</c> that is never backpropagated (its saved buffer is not returned to the pool); <c>region</c>: the cost of one parallel region
/// of Gradgen's worker threads. Threads: <c>GRADGEN_NUM_THREADS</c>.
/// </summary>
static class Probe
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        Console.WriteLine($"GRADGEN_NUM_THREADS={Environment.GetEnvironmentVariable(ThreadJobs.Variable) ?? "(unset)"}, threads {ThreadJobs.Threads}");
        if (args.Length > 1 && args[1] == "mlp")
        {
            TorchSharp.torch.set_num_threads(ThreadJobs.Threads);
            foreach (var c in new[] { Mlp.MlpCase.Seed221, Mlp.MlpCase.Mnist784 })
            {
                using var p = new Mlp.MlpProblem(c);
                p.Check();
                Console.WriteLine($"{c}: compiled output's GradFn {p.CompiledGradFn()}");
                Time($"Gradgen eager  {c}", () => p.GradgenStep(), seconds);
                Time($"Gradgen compiled {c}", () => p.CompiledStep(), seconds);
                Time($"TorchSharp     {c}", () => p.TorchStep(), seconds);
                if (c == Mlp.MlpCase.Seed221)
                {
                    Time($"hand-fused     {c}", () => p.HandFusedStep(), seconds);
                }
            }

            return 0;
        }

        if (args.Length > 1 && args[1] == "seed")
        {
            Nn.Functional.Sigmoid(Tensor.Zeros(1));
            var m = new Mlp.MultiLayerPerceptron(2, 2, 1);
            Tensor x = (10 * Tensor.Rand(10_000, 2)) - 5, t = Tensor.Rand(10_000, 1);
            var loss = new Nn.MSELoss();
            var sgd = new Optim.Sgd(m.Parameters(), 0.01);
            Tensor xr = x.Detach();
            Time("hidden.Call(x) (grad)", () => m.Hidden.Call(x), seconds);
            Tensor h = m.Hidden.Call(x);
            Time("sigmoid(h)", () => m.Activation.Call(h), seconds);
            Tensor a = m.Activation.Call(h);
            Time("output.Call(a)", () => m.Output.Call(a), seconds);
            Tensor o = m.Output.Call(a);
            Time("mse(o, t)", () => loss.Forward(o, t), seconds);
            Time("forward+loss", () => loss.Forward(m.Call(x), t), seconds);
            Time("forward+loss+backward", () => { m.ZeroGrad(); loss.Forward(m.Call(x), t).Backward(); }, seconds);
            Time("bwd hidden(x).Sum()", () => { m.ZeroGrad(); m.Hidden.Call(x).Sum().Backward(); }, seconds);
            Time("bwd output(a').Sum()", () => { m.ZeroGrad(); m.Output.Call(a.Detach()).Sum().Backward(); }, seconds);
            Tensor ar = a.Detach();
            ar.RequiresGrad = true;
            Time("bwd output(a' grad).Sum()", () => { m.ZeroGrad(); ar.Grad = null; m.Output.Call(ar).Sum().Backward(); }, seconds);
            Tensor hr = h.Detach();
            hr.RequiresGrad = true;
            Time("bwd sigmoid(h').Sum()", () => { hr.Grad = null; m.Activation.Call(hr).Sum().Backward(); }, seconds);
            Tensor orr = o.Detach();
            orr.RequiresGrad = true;
            Time("bwd mse(o', t)", () => { orr.Grad = null; loss.Forward(orr, t).Backward(); }, seconds);
            float[] ga = new float[10_000 * 2], gb = new float[10_000 * 2], gc = new float[4];
            Time("Gemm dW 2x2, k=10000 (At.B)", () => Kernels.Gemm.Multiply(true, false, 2, 2, 10_000, 1f, ga, 2, gb, 2, 0f, gc, 2), seconds);
            Time("zero_grad+step", () => { sgd.ZeroGrad(); sgd.Step(); }, seconds);
            return 0;
        }

        if (args.Length > 1 && args[1] is "compiled" or "step" or "eval")
        {
            var m = new Mlp.CompiledMlp221();
            Tensor x = (10 * Tensor.Rand(10_000, 2)) - 5, t = Tensor.Rand(10_000, 1);
            var loss = new Nn.MSELoss();
            var sgd = new Optim.Sgd(m.Parameters(), 0.01);
            if (args[1] == "eval")
            {
                Time("Call(x) recorded, never backward", () => m.Call(x), seconds);
                return 0;
            }

            if (args[1] == "step")
            {
                // Only the whole step, for a profiler.
                Time("whole step", () => { sgd.ZeroGrad(); loss.Forward(m.Call(x), t).Backward(); sgd.Step(); }, seconds);
                return 0;
            }

            Tensor big = (10 * Tensor.Rand(100_000, 2)) - 5, h20 = Tensor.Rand(20_000);
            Time("Call(big 10^5) no grad", () => { using (Autograd.NoGrad()) { m.Call(big); } }, seconds);
            Time("sigmoid(20000) no grad", () => { using (Autograd.NoGrad()) { Nn.Functional.Sigmoid(h20); } }, seconds);
            Time("Tensor.Zeros(10000, 1)", () => Tensor.Zeros(10_000, 1), seconds);
            Time("Call(x) no grad", () => { using (Autograd.NoGrad()) { m.Call(x); } }, seconds);
            Time("Call(x)", () => m.Call(x), seconds);
            Tensor o = m.Call(x);
            Time("mse(o, t)", () => loss.Forward(o, t), seconds);
            Time("Call(x).Sum().Backward()", () => { m.ZeroGrad(); m.Call(x).Sum().Backward(); }, seconds);
            Time("forward+loss+backward", () => { m.ZeroGrad(); loss.Forward(m.Call(x), t).Backward(); }, seconds);
            Tensor orr = o.Detach();
            orr.RequiresGrad = true;
            Time("bwd mse(o', t)", () => { orr.Grad = null; loss.Forward(orr, t).Backward(); }, seconds);
            Time("zero_grad+step", () => { sgd.ZeroGrad(); m.Call(x).Sum().Backward(); sgd.Step(); }, seconds);
            Time("whole step", () => { sgd.ZeroGrad(); loss.Forward(m.Call(x), t).Backward(); sgd.Step(); }, seconds);
            var retained = loss.Forward(m.Call(x), t);
            Time("backward only (retainGraph)", () => retained.Backward(retainGraph: true), seconds);
            Time("sgd.ZeroGrad()", () => sgd.ZeroGrad(), seconds);
            Time("sgd.Step()", () => sgd.Step(), seconds);
            return 0;
        }

        if (args.Length > 1 && args[1] is "gemm-rows")
        {
            // The forward product X·Wᵀ of a 784 → 512 layer at several batch sizes: GFLOP/s against the rows.
            float[] w = new float[512 * 784];
            new System.Random(1).NextBytes(new byte[1]);
            foreach (int m in new[] { 16, 32, 64, 128, 256, 512 })
            {
                float[] a = new float[m * 784], c = new float[m * 512];
                var sw = Stopwatch.StartNew();
                Time($"Gemm fwd {m}x784 . 512x784^T", () => Kernels.Gemm.Multiply(false, true, m, 512, 784, 1f, a, 784, w, 784, 0f, c, 512), seconds);
            }

            return 0;
        }

        if (args.Length > 1 && args[1] is "classifier")
        {
            // The three steps of the quickstart and residual benchmarks, in one process with TorchSharp as BenchmarkDotNet runs them.
            foreach (bool residual in new[] { false, true })
            {
                using var p = residual
                    ? Mlp.ClassifierProblem.SetUp(() => new Mlp.ResidualLayerNormMlp(), () => new Mlp.TorchResidualLayerNormMlp())
                    : Mlp.ClassifierProblem.SetUp(() => new Mlp.QuickstartMlp(), () => new Mlp.TorchQuickstartMlp());
                string name = residual ? "residual" : "quickstart";
                Time($"{name} TorchSharp", () => p.TorchStep(), seconds);
                Time($"{name} compiled", () => p.CompiledStep(), seconds);
                Time($"{name} eager", () => p.EagerStep(), seconds);
            }

            return 0;
        }

        if (args.Length > 1 && args[1] is "quickstart" or "residual")
        {
            // The pieces of the quickstart (or residual LayerNorm) training step, compiled model.
            Nn.Module m = args[1] == "quickstart" ? new Mlp.QuickstartMlp() : new Mlp.ResidualLayerNormMlp();
            Tensor x = Tensor.Rand(64, 784);
            var classes = new long[64];
            for (int i = 0; i < 64; i++) classes[i] = i % 10;
            Tensor target = Tensor.FromArray(classes);
            var loss = new Nn.CrossEntropyLoss();
            var sgd = new Optim.Sgd(m.Parameters(), 1e-3);
            Console.WriteLine($"node: {m.Call(x).GradFn?.Name}");
            if (args.Length > 2 && args[2] == "step")
            {
                // Only the whole step, for a profiler.
                Time("whole step", () => { sgd.ZeroGrad(); loss.Forward(m.Call(x), target).Backward(); sgd.Step(); }, seconds);
                return 0;
            }

            Time("Call(x) no grad", () => { using (Autograd.NoGrad()) { m.Call(x); } }, seconds);
            Time("Call(x)", () => m.Call(x), seconds);
            Tensor o = m.Call(x);
            Time("loss(o)", () => loss.Forward(o, target), seconds);
            Time("Call+loss", () => loss.Forward(m.Call(x), target), seconds);
            var retained = loss.Forward(m.Call(x), target);
            Time("backward only (retainGraph)", () => retained.Backward(retainGraph: true), seconds);
            Time("sgd.Step() with gradients", () => sgd.Step(), seconds);
            Time("sgd.ZeroGrad()", () => sgd.ZeroGrad(), seconds);
            Time("whole step", () => { sgd.ZeroGrad(); loss.Forward(m.Call(x), target).Backward(); sgd.Step(); }, seconds);
            Time("step without the update", () => { sgd.ZeroGrad(); loss.Forward(m.Call(x), target).Backward(); }, seconds);
            Time("Step + Call(x) no grad", () => { sgd.Step(); using (Autograd.NoGrad()) { m.Call(x); } }, seconds);
            Time("Step + Gemm dX", () => { sgd.Step(); Kernels.Gemm.Multiply(false, false, 64, 512, 512, 1f, new float[64 * 512], 512, new float[512 * 512], 512, 0f, new float[64 * 512], 512); }, seconds);
            float[] a = new float[64 * 784], w = new float[512 * 784], c = new float[64 * 512], w2 = new float[512 * 512];
            Time("Gemm fwd 64x784 . 512x784^T", () => Kernels.Gemm.Multiply(false, true, 64, 512, 784, 1f, a, 784, w, 784, 0f, c, 512), seconds);
            Time("Gemm dW 512x64^T . 64x784", () => Kernels.Gemm.Multiply(true, false, 512, 784, 64, 1f, c, 512, a, 784, 1f, w, 784), seconds);
            Time("Gemm dX 64x512 . 512x512", () => Kernels.Gemm.Multiply(false, false, 64, 512, 512, 1f, c, 512, w2, 512, 0f, a, 512), seconds);
            return 0;
        }

        if (args.Length > 1 && args[1] == "layers")
        {
            // The residual model's elementwise and normalising layers alone, eager, at its [64, 512] activations.
            Tensor h = Tensor.Randn(64, 512), hr = h.Detach();
            hr.RequiresGrad = true;
            var norm = new Nn.LayerNorm(512);
            Time("gelu(h)", () => Nn.Functional.Gelu(h), seconds);
            Time("gelu(h).Sum() backward", () => { hr.Grad = null; Nn.Functional.Gelu(hr).Sum().Backward(); }, seconds);
            Time("relu(h)", () => Nn.Functional.Relu(h), seconds);
            Time("layernorm(h)", () => norm.Call(h), seconds);
            Time("layernorm(h).Sum() backward", () => { hr.Grad = null; norm.ZeroGrad(); norm.Call(hr).Sum().Backward(); }, seconds);
            Time("h + h", () => { _ = h + h; }, seconds);
            Time("h.Sum(0)", () => h.Sum(0), seconds);
            Time("h.Mean(1, keepDim)", () => h.Mean(1, true), seconds);
            Tensor mean = h.Mean(1, true), bias = Tensor.Randn(512);
            Time("h - mean (per row)", () => { _ = h - mean; }, seconds);
            Time("h + bias (per column)", () => { _ = h + bias; }, seconds);
            return 0;
        }

        if (args.Length > 1 && args[1] == "region")
        {
            // The cost of one parallel region of Gradgen's worker threads (internal, reached by reflection).
            var run = typeof(Tensor).Assembly.GetType("Gradgen.Kernels.ChunkedParallel")!.GetMethod("Run")!.CreateDelegate<Action<int, int, Action<int>>>();
            float[] data = new float[40_000];
            Action<int> empty = _ => { }, touch = c => { var s = data.AsSpan(c * 10_000, 10_000); for (int i = 0; i < s.Length; i += 16) { s[i] += 1; } };
            Time("region of 4 empty chunks", () => run(4, ThreadJobs.Threads, empty), seconds);
            Time("region of 2 empty chunks", () => run(2, ThreadJobs.Threads, empty), seconds);
            Time("region, 4 chunks touch 40 KB each", () => run(4, ThreadJobs.Threads, touch), seconds);
            Time("serial, 4 chunks touch 40 KB each", () => { for (int c = 0; c < 4; c++) { touch(c); } }, seconds);
            return 0;
        }

        if (args.Length > 1 && args[1] == "ops")
        {
            Ops(seconds);
            return 0;
        }

        foreach (int n in new[] { 1_000, 1_000_000 })
        {
            var g = new EagerBump(n);
            g.Check("eager", g.Eager);
            Time($"Gradgen eager  N={n}", () => g.Eager(), seconds);
            Time($"Gradgen fused  N={n}", () => g.Fused(), seconds);
            using var t = new TorchBump(n, ThreadJobs.Threads);
            Time($"TorchSharp     N={n}", t.Run, seconds);
        }

        return 0;
    }

    static void Ops(double seconds)
    {
        foreach (int n in new[] { 1_000, 1_000_000 })
        {
            Tensor x = Tensor.Linspace(0, 10, n), y = Tensor.Linspace(1, 2, n);
            float[] raw = new float[n];
            Time($"new float[n]          N={n}", () => GC.KeepAlive(new float[n]), seconds);
            Time($"uninit float[n]       N={n}", () => GC.KeepAlive(GC.AllocateUninitializedArray<float>(n)), seconds);
            Time($"OnesLike              N={n}", () => Tensor.OnesLike(x), seconds);
            Time($"x * 6.28 (no grad)    N={n}", () => GC.KeepAlive(x * (2 * MathF.PI)), seconds);
            Time($"x - 5                 N={n}", () => GC.KeepAlive(x - 5), seconds);
            Time($"x * y                 N={n}", () => GC.KeepAlive(x * y), seconds);
            Time($"x / 3                 N={n}", () => GC.KeepAlive(x / 3), seconds);
            Time($"-x                    N={n}", () => GC.KeepAlive(-x), seconds);
            Time($"x.Sin()               N={n}", () => x.Sin(), seconds);
            Time($"x.Exp()               N={n}", () => x.Exp(), seconds);
            Time($"Bump(x) no grad       N={n}", () => Curves.Bump(x), seconds);
            Tensor xg = Tensor.Linspace(0, 10, n, requiresGrad: true);
            Tensor ones = Tensor.OnesLike(x);
            void Bw(string what, Func<Tensor> f) => Time($"bwd {what,-17} N={n}", () =>
            {
                xg.Grad = null;
                f().Backward(ones);
            }, seconds);
            Bw("x*2pi", () => xg * (2 * MathF.PI));
            Bw("x-5", () => xg - 5);
            Bw("x*x", () => xg * xg);
            Bw("x/3", () => xg / 3);
            Bw("-x", () => -xg);
            Bw("sin", () => xg.Sin());
            Bw("exp", () => xg.Exp());
            Bw("Bump", () => Curves.Bump(xg));
            Time($"eager forward (grad)  N={n}", () =>
            {
                Tensor d = xg - 5;
                GC.KeepAlive((xg * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp());
            }, seconds);
            Time($"eager fwd+bwd         N={n}", () =>
            {
                xg.Grad = null;
                Tensor d = xg - 5;
                Tensor r = (xg * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
                r.Backward(Tensor.OnesLike(r));
            }, seconds);
        }
    }

    public static void Time(string name, Action action, double seconds)
    {
        ThreadJobs.WarmUp(action, 500);
        var rounds = new List<double>();
        long calls = 0;
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        int gc0 = GC.CollectionCount(2);
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        TimeSpan cpu0 = proc.TotalProcessorTime;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || rounds.Count < 5)
        {
            int inner = 1;
            var sw = Stopwatch.StartNew();
            action();
            double one = sw.Elapsed.TotalMilliseconds;
            inner = Math.Max(1, (int)(5.0 / Math.Max(one, 1e-4)));
            sw.Restart();
            for (int i = 0; i < inner; i++) action();
            rounds.Add(sw.Elapsed.TotalMilliseconds * 1000 / inner);
            calls += inner + 1;
        }

        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytes0;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / calls;
        double gen2 = (GC.CollectionCount(2) - gc0) / (double)calls;
        rounds.Sort();
        Console.WriteLine($"{name,-30} median {rounds[rounds.Count / 2],10:F2} us   min {rounds[0],10:F2} us   cpu {cpu,10:F2} us   gen2/call {gen2,5:F2}   alloc {bytes / calls,10} B/call");
    }
}

using System.Diagnostics;
using System.Globalization;
using Gradgen.Benchmarks.Mlp;
using Gradgen.Data;
using Gradgen.Nn;
using Gradgen.Optim;
using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Cnn;

/// <summary>
/// One epoch of the Fashion-MNIST CNN (the sample's <c>cnn</c> or <c>cnn-bn</c>), batch 64, SGD lr 0.01, Gradgen eager
/// and compiled (<see cref="CompiledCnn"/>: one graph node) next to TorchSharp at the same thread count (<c>GRADGEN_NUM_THREADS</c>, and <c>torch.set_num_threads</c> with
/// it), with the measured FMA peak of the same process. Both libraries start from the same weights and train on the
/// same shuffled batches from Gradgen's <see cref="DataLoader"/> (TorchSharp's copied into torch tensors, about
/// 200 KB a batch), so data loading is in both times; both read the loss of every step. A Stopwatch run, not
/// BenchmarkDotNet: an epoch is a minute, and the figure wanted is the epoch. The process CPU time of each epoch is
/// printed too (all threads, the GC's included): on a loaded machine it is steadier than the wall time.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project benchmarks/Gradgen.Benchmarks -- epoch [cnn|cnn-bn] [batches]</c>;
/// <c>batches</c> cuts the epoch short for a quick look. 20 warm-up steps of each library (tiered JIT, libtorch's
/// first-use costs) on other batches come first.
/// </remarks>
internal static class CnnEpoch
{
    const int BatchSize = 64;
    const double LearningRate = 0.01;
    const int WarmUpSteps = 20;

    /// <summary>FLOPs of one training image: forward 2·MACs of the two convolutions and two linear layers, backward twice that less the first convolution's input gradient.</summary>
    const double FlopsPerImage = (3.0 * ForwardFlops) - Conv1Flops;
    const double Conv1Flops = 2.0 * 28 * 28 * 16 * 25;
    const double ForwardFlops = Conv1Flops + (2.0 * 14 * 14 * 32 * 400) + (2.0 * 1568 * 128) + (2.0 * 128 * 10);

    public static int Run(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "cnn-bn";
        int limit = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : int.MaxValue;
        if (model is not ("cnn" or "cnn-bn"))
        {
            Console.Error.WriteLine("usage: epoch [cnn|cnn-bn] [batches]");
            return 2;
        }

        int threads = ThreadJobs.Threads;
        torch.set_num_threads(threads);
        if (torch.get_num_threads() != threads || Kernels.Gemm.ThreadCount != threads)
        {
            throw new InvalidOperationException($"threads: torch {torch.get_num_threads()}, Gemm {Kernels.Gemm.ThreadCount}, GRADGEN_NUM_THREADS {threads}");
        }

        var data = Data.FashionMnist.Load();
        Console.WriteLine(FormattableString.Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {model}, batch {BatchSize}, SGD lr {LearningRate}, {threads} thread(s), load average {LoadAverage()}"));
        double peak = FmaPeak(threads);
        Console.WriteLine(FormattableString.Invariant($"FMA peak (Vector512, {threads} thread(s)): {peak:F1} GFLOP/s; the CNN's training step: {FlopsPerImage / 1e6:F2} MFLOP per image"));

        RandomGenerator.ManualSeed(0);
        var gradgen = Create(model);
        using var torchModel = CreateTorch(model);
        CopyWeights(gradgen, torchModel);
        Module compiled = model == "cnn" ? new CompiledCnn() : new CompiledCnnBatchNorm();
        compiled.LoadStateDict(gradgen.StateDict().ToDictionary(p => "layers." + p.Key, p => p.Value));
        var optimizer = new Sgd(gradgen.Parameters(), LearningRate);
        var compiledOptimizer = new Sgd(compiled.Parameters(), LearningRate);
        using var torchOptimizer = torch.optim.SGD(torchModel.parameters(), LearningRate);
        var lossFunction = new CrossEntropyLoss();
        var feeder = new TorchFeeder();
        gradgen.Train();
        compiled.Train();
        torchModel.train();

        float GradgenStep(Tensor x, Tensor y)
        {
            optimizer.ZeroGrad();
            var loss = lossFunction.Call(gradgen.Call(x), y);
            loss.Backward();
            optimizer.Step();
            return loss.Item<float>();
        }

        float CompiledStep(Tensor x, Tensor y)
        {
            compiledOptimizer.ZeroGrad();
            var logits = compiled.Call(x);
            if (logits.GradFn?.Name != compiled.GetType().Name + "Backward")
            {
                throw new InvalidOperationException($"{compiled.GetType().Name} ran Forward ({logits.GradFn?.Name}): it is not compiled");
            }

            var loss = lossFunction.Call(logits, y);
            loss.Backward();
            compiledOptimizer.Step();
            return loss.Item<float>();
        }

        float TorchStep(Tensor x, Tensor y)
        {
            using var scope = torch.NewDisposeScope();
            var (tx, ty) = feeder.Batch(x, y);
            torchOptimizer.zero_grad();
            var loss = torch.nn.functional.cross_entropy(torchModel.call(tx), ty);
            loss.backward();
            torchOptimizer.step();
            return loss.item<float>();
        }

        var warmUp = new DataLoader(data.Train, BatchSize, shuffle: true, seed: 1);
        int step = 0;
        foreach (var (x, y) in warmUp)
        {
            float g = GradgenStep(x, y), c = CompiledStep(x, y), t = TorchStep(x, y);
            if (step == 0 && !(Math.Abs(g - t) <= 1e-3 * Math.Max(1, Math.Abs(t)) && Math.Abs(g - c) <= 1e-3 * Math.Max(1, Math.Abs(g))))
            {
                throw new InvalidOperationException($"first step: Gradgen loss {g}, compiled {c}, TorchSharp {t}; the models differ");
            }

            if (++step == WarmUpSteps)
            {
                break;
            }
        }

        var (gradgenSeconds, gradgenImages, gradgenLoss) = Epoch(data.Train, limit, GradgenStep, "Gradgen");
        var (compiledSeconds, compiledImages, compiledLoss) = Epoch(data.Train, limit, CompiledStep, "compiled");
        var (torchSeconds, torchImages, torchLoss) = Epoch(data.Train, limit, TorchStep, "TorchSharp");
        Report("Gradgen", gradgenSeconds, gradgenImages, gradgenLoss, peak);
        Report("compiled", compiledSeconds, compiledImages, compiledLoss, peak);
        Report("TorchSharp", torchSeconds, torchImages, torchLoss, peak);
        Console.WriteLine(FormattableString.Invariant($"Gradgen / TorchSharp speed: {torchSeconds / gradgenSeconds:F2}x; compiled / TorchSharp: {torchSeconds / compiledSeconds:F2}x; compiled / eager: {gradgenSeconds / compiledSeconds:F2}x (load average after: {LoadAverage()})"));
        return 0;
    }

    static (double Seconds, int Images, double MeanLoss) Epoch(Dataset train, int limit, Func<Tensor, Tensor, float> step, string library)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var loader = new DataLoader(train, BatchSize, shuffle: true, seed: 0);
        double lossSum = 0;
        int images = 0, batches = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (x, y) in loader)
        {
            lossSum += step(x, y) * y.Shape[0];
            images += y.Shape[0];
            if (++batches == limit)
            {
                break;
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        Console.WriteLine(FormattableString.Invariant($"{library,-10}: process CPU time {(process.TotalProcessorTime - cpu).TotalSeconds:F2} s over {seconds:F2} s of wall time"));
        return (seconds, images, lossSum / images);
    }

    static void Report(string library, double seconds, int images, double loss, double peak)
    {
        double gflops = FlopsPerImage * images / seconds / 1e9;
        Console.WriteLine(FormattableString.Invariant(
            $"{library,-10}: {images} images in {seconds:F2} s ({images / seconds:F0} img/s), mean loss {loss:F4}, {gflops:F1} GFLOP/s = {100 * gflops / peak:F1}% of the FMA peak"));
    }

    static Sequential Create(string model) => model == "cnn"
        ? new(
            new Conv2d(1, 16, 5, padding: 2), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 5, padding: 2), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10))
        : new(
            new Conv2d(1, 16, 5, padding: 2, bias: false), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 5, padding: 2, bias: false), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));

    static torch.nn.Module<TorchTensor, TorchTensor> CreateTorch(string model) => model == "cnn"
        ? torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 5, padding: 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 5, padding: 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        : torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 5, padding: 2, bias: false), torch.nn.BatchNorm2d(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 5, padding: 2, bias: false), torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10));

    /// <summary>Gradgen's initial parameters and floating buffers into the TorchSharp model, by PyTorch name; every name must match.</summary>
    static void CopyWeights(Module from, torch.nn.Module<TorchTensor, TorchTensor> to)
    {
        var state = from.StateDict();
        int copied = 0;
        using (torch.no_grad())
        {
            foreach (var (name, p) in to.named_parameters())
            {
                p.copy_(torch.tensor(state[name].ToArray<float>(), p.shape));
                copied++;
            }

            foreach (var (name, b) in to.named_buffers())
            {
                if (b.dtype == torch.float32)
                {
                    b.copy_(torch.tensor(state[name].ToArray<float>(), b.shape));
                }

                copied++;
            }
        }

        if (copied != state.Count)
        {
            throw new InvalidOperationException($"TorchSharp has {copied} named tensors, Gradgen's state dict {state.Count}");
        }
    }

    /// <summary>The best of 20 rounds of <see cref="FmaPeakBenchmarks"/>' FMA chains (Vector512 where accelerated, else Vector256) on each of <paramref name="threads"/> threads, in GFLOP/s.</summary>
    static double FmaPeak(int threads) => FmaPeakBenchmarks.BestOf(20, threads);

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Copies a Gradgen batch into torch tensors through reused arrays.</summary>
    sealed class TorchFeeder
    {
        float[] images = [];
        long[] labels = [];

        public (TorchTensor X, TorchTensor Y) Batch(Tensor x, Tensor y)
        {
            int n = y.Shape[0];
            if (labels.Length != n)
            {
                images = new float[x.NumElements];
                labels = new long[n];
            }

            x.AsSpan<float>().CopyTo(images);
            y.AsSpan<long>().CopyTo(labels);
            return (torch.tensor(images, [n, 1, 28, 28]), torch.tensor(labels, [n]));
        }
    }
}

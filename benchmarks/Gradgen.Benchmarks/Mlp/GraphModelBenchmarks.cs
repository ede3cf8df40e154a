using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gradgen.Nn;
using Gradgen.Optim;
using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>
/// PyTorch's quickstart model (pytorch.org/tutorials/beginner/basics/quickstart_tutorial): 784-512-512-10 with ReLU.
/// The quickstart's <c>nn.Flatten</c> of the [64, 1, 28, 28] images is a view, so the input here is [64, 784].
/// </summary>
public sealed partial class QuickstartMlp : Module
{
    private readonly Linear l1 = new(784, 512);
    private readonly Linear l2 = new(512, 512);
    private readonly Linear l3 = new(512, 10);

    /// <inheritdoc/>
    public override Gradgen.Tensor Forward(Gradgen.Tensor x) => l3.Forward(Functional.Relu(l2.Forward(Functional.Relu(l1.Forward(x)))));
}

/// <summary>The quickstart model for TorchSharp, with the parameter names of <see cref="QuickstartMlp"/>.</summary>
public sealed class TorchQuickstartMlp : torch.nn.Module<TorchTensor, TorchTensor>
{
    private readonly TorchSharp.Modules.Linear l1 = torch.nn.Linear(784, 512);
    private readonly TorchSharp.Modules.Linear l2 = torch.nn.Linear(512, 512);
    private readonly TorchSharp.Modules.Linear l3 = torch.nn.Linear(512, 10);

    /// <summary>Registers the layers under their field names.</summary>
    public TorchQuickstartMlp()
        : base(nameof(TorchQuickstartMlp)) => RegisterComponents();

    /// <inheritdoc/>
    public override TorchTensor forward(TorchTensor x) =>
        l3.call(torch.nn.functional.relu(l2.call(torch.nn.functional.relu(l1.call(x)))));
}

/// <summary>
/// 784 → 512, two pre-norm residual blocks <c>h = h + Linear(GELU(LayerNorm(h)))</c> of width 512, → 10, for
/// TorchSharp (<c>torch.nn.functional.layer_norm</c> and <c>gelu</c>), with the parameter names of the Gradgen model
/// <c>ResidualLayerNormMlp</c>.
/// </summary>
public sealed class TorchResidualLayerNormMlp : torch.nn.Module<TorchTensor, TorchTensor>
{
    private readonly TorchSharp.Modules.Linear inp = torch.nn.Linear(784, 512);
    private readonly TorchSharp.Modules.LayerNorm norm1 = torch.nn.LayerNorm(512);
    private readonly TorchSharp.Modules.Linear fc1 = torch.nn.Linear(512, 512);
    private readonly TorchSharp.Modules.LayerNorm norm2 = torch.nn.LayerNorm(512);
    private readonly TorchSharp.Modules.Linear fc2 = torch.nn.Linear(512, 512);
    private readonly TorchSharp.Modules.Linear output = torch.nn.Linear(512, 10);

    /// <summary>Registers the layers under their field names.</summary>
    public TorchResidualLayerNormMlp()
        : base(nameof(TorchResidualLayerNormMlp)) => RegisterComponents();

    /// <inheritdoc/>
    public override TorchTensor forward(TorchTensor x)
    {
        var h = inp.call(x);
        h = h + fc1.call(torch.nn.functional.gelu(torch.nn.functional.layer_norm(h, [512], norm1.weight, norm1.bias)));
        h = h + fc2.call(torch.nn.functional.gelu(torch.nn.functional.layer_norm(h, [512], norm2.weight, norm2.bias)));
        return output.call(h);
    }
}

/// <summary>The residual LayerNorm MLP as a Gradgen <c>partial</c> model (see <see cref="TorchResidualLayerNormMlp"/>).</summary>
public sealed partial class ResidualLayerNormMlp : Module
{
    private readonly Linear inp = new(784, 512);
    private readonly LayerNorm norm1 = new(512);
    private readonly Linear fc1 = new(512, 512);
    private readonly LayerNorm norm2 = new(512);
    private readonly Linear fc2 = new(512, 512);
    private readonly Linear output = new(512, 10);

    /// <inheritdoc/>
    public override Gradgen.Tensor Forward(Gradgen.Tensor x)
    {
        var h = inp.Forward(x);
        h = h + fc1.Forward(Functional.Gelu(norm1.Forward(h)));
        h = h + fc2.Forward(Functional.Gelu(norm2.Forward(h)));
        return output.Forward(h);
    }
}

/// <summary>
/// A classification training step (zero_grad, forward, cross-entropy, backward, SGD step) on a batch of 64 MNIST-sized
/// inputs, for one Gradgen model class run two ways — <c>Call</c> (compiled when the generator compiles the class) and
/// <c>Forward</c> (eager, op by op), on two instances with the same weights — and for TorchSharp with the same weights
/// (copied by parameter name) and data.
/// </summary>
public sealed class ClassifierProblem : IDisposable
{
    /// <summary>The quickstart's learning rate.</summary>
    const double LearningRate = 1e-3;

    /// <summary>The quickstart's batch size.</summary>
    public const int Batch = 64;

    readonly Module compiled, eager;
    readonly Sgd compiledOptimizer, eagerOptimizer;
    readonly CrossEntropyLoss loss = new();
    readonly Gradgen.Tensor x, target;
    readonly torch.nn.Module<TorchTensor, TorchTensor> torchModel;
    readonly torch.optim.Optimizer torchOptimizer;
    readonly TorchTensor tx, ttarget;

    /// <summary>Two Gradgen instances from <paramref name="create"/>, the torch model, the data; weights copied from the first.</summary>
    public ClassifierProblem(Func<Module> create, Func<torch.nn.Module<TorchTensor, TorchTensor>> createTorch)
    {
        RandomGenerator.ManualSeed(0);
        torch.manual_seed(0);
        compiled = create();
        eager = create();
        eager.LoadStateDict(compiled.StateDict());
        torchModel = createTorch();
        var state = compiled.StateDict();
        using (torch.no_grad())
        {
            int copied = 0;
            foreach (var (name, p) in torchModel.named_parameters())
            {
                var source = state[name];
                if (!source.Shape.ToArray().Select(d => (long)d).SequenceEqual(p.shape))
                {
                    throw new InvalidOperationException($"{name}: Gradgen {source.Shape}, torch [{string.Join(", ", p.shape)}]");
                }

                p.copy_(torch.tensor(source.ToArray<float>(), p.shape));
                copied++;
            }

            if (copied != state.Count)
            {
                throw new InvalidOperationException($"torch has {copied} parameters, Gradgen {state.Count}");
            }
        }

        x = Gradgen.Tensor.Rand(Batch, 784);                                   // pixel-like inputs in [0, 1)
        var classes = new long[Batch];
        var random = new System.Random(1);
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = random.Next(10);
        }

        target = Gradgen.Tensor.FromArray(classes);
        tx = torch.tensor(x.ToArray<float>(), [Batch, 784]);
        ttarget = torch.tensor(classes);
        compiledOptimizer = new Sgd(compiled.Parameters(), LearningRate);
        eagerOptimizer = new Sgd(eager.Parameters(), LearningRate);
        torchOptimizer = torch.optim.SGD(torchModel.parameters(), LearningRate);
    }

    /// <summary>The name of <c>Call</c>'s output node: <c>{Model}Backward</c> when the class is compiled.</summary>
    public string CompiledGradFn() => compiled.Call(x).GradFn?.Name ?? "(none)";

    /// <summary>One step through <c>model.Call</c>.</summary>
    public Gradgen.Tensor CompiledStep()
    {
        compiledOptimizer.ZeroGrad();
        var l = loss.Forward(compiled.Call(x), target);
        l.Backward();
        compiledOptimizer.Step();
        return l;
    }

    /// <summary>One step through <c>model.Forward</c>, op by op.</summary>
    public Gradgen.Tensor EagerStep()
    {
        eagerOptimizer.ZeroGrad();
        var l = loss.Forward(eager.Forward(x), target);
        l.Backward();
        eagerOptimizer.Step();
        return l;
    }

    /// <summary>One TorchSharp step; the loss when <paramref name="read"/>, temporaries freed by a dispose scope.</summary>
    public float TorchStep(bool read = false)
    {
        using var scope = torch.NewDisposeScope();
        torchOptimizer.zero_grad();
        var l = torch.nn.functional.cross_entropy(torchModel.call(tx), ttarget);
        l.backward();
        torchOptimizer.step();
        return read ? l.item<float>() : 0;
    }

    /// <summary>Three steps of each; throws unless the three losses agree at every step.</summary>
    public void Check()
    {
        for (int step = 0; step < 3; step++)
        {
            float c = CompiledStep().Item<float>();
            float e = EagerStep().Item<float>();
            float t = TorchStep(read: true);
            if (!(Math.Abs(c - t) <= 1e-4 * Math.Max(1, Math.Abs(t))) || !(Math.Abs(e - t) <= 1e-4 * Math.Max(1, Math.Abs(t))))
            {
                throw new InvalidOperationException($"step {step}: Gradgen compiled loss {c}, eager {e}, TorchSharp {t}");
            }
        }
    }

    /// <summary>Sets both libraries to the job's thread count (checked), then checks agreement and warms all three steps up.</summary>
    public static ClassifierProblem SetUp(Func<Module> create, Func<torch.nn.Module<TorchTensor, TorchTensor>> createTorch)
    {
        int threads = ThreadJobs.Threads;
        torch.set_num_threads(threads);
        if (torch.get_num_threads() != threads || Kernels.Gemm.ThreadCount != threads)
        {
            throw new InvalidOperationException($"threads: torch {torch.get_num_threads()}, Gemm {Kernels.Gemm.ThreadCount}, job {threads}");
        }

        var problem = new ClassifierProblem(create, createTorch);
        problem.Check();
        Console.WriteLine($"// compiled node: {problem.CompiledGradFn()}");
        ThreadJobs.WarmUp(() => problem.CompiledStep());
        ThreadJobs.WarmUp(() => problem.EagerStep());
        ThreadJobs.WarmUp(() => problem.TorchStep());
        return problem;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        torchModel.Dispose();
        tx.Dispose();
        ttarget.Dispose();
    }
}

/// <summary>
/// PyTorch's quickstart (784-512-512-10 ReLU, batch 64, cross-entropy, SGD): one training step of the compiled model
/// (<c>model.Call</c>), of Gradgen eager (<c>model.Forward</c>) and of TorchSharp, at 1 and 2 threads
/// (<see cref="ThreadJobsConfig"/>). The setup checks that the three losses agree for three steps.
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob)]
[MemoryDiagnoser]
public class QuickstartTrainingBenchmarks
{
    ClassifierProblem? problem;

    /// <summary>Models, data, the agreement check and warm-up.</summary>
    [GlobalSetup]
    public void Setup() => problem = ClassifierProblem.SetUp(() => new QuickstartMlp(), () => new TorchQuickstartMlp());

    /// <summary>Frees the torch side.</summary>
    [GlobalCleanup]
    public void Cleanup() => problem?.Dispose();

    /// <summary>TorchSharp: zero_grad, model(x), cross_entropy, backward, step.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => problem!.TorchStep();

    /// <summary>Gradgen eager: <c>model.Forward(x)</c>, op by op.</summary>
    [Benchmark]
    public Gradgen.Tensor GradgenEager() => problem!.EagerStep();

    /// <summary>Gradgen compiled: <c>model.Call(x)</c>, the generated forward and one backward node.</summary>
    [Benchmark]
    public Gradgen.Tensor GradgenCompiled() => problem!.CompiledStep();
}

/// <summary>
/// The residual LayerNorm MLP (784 → 512, two blocks <c>h + Linear(GELU(LayerNorm(h)))</c>, → 10, batch 64,
/// cross-entropy, SGD): compiled, eager and TorchSharp, at 1 and 2 threads.
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob)]
[MemoryDiagnoser]
public class ResidualLayerNormTrainingBenchmarks
{
    ClassifierProblem? problem;

    /// <summary>Models, data, the agreement check and warm-up.</summary>
    [GlobalSetup]
    public void Setup() => problem = ClassifierProblem.SetUp(() => new ResidualLayerNormMlp(), () => new TorchResidualLayerNormMlp());

    /// <summary>Frees the torch side.</summary>
    [GlobalCleanup]
    public void Cleanup() => problem?.Dispose();

    /// <summary>TorchSharp.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => problem!.TorchStep();

    /// <summary>Gradgen eager: <c>model.Forward(x)</c>.</summary>
    [Benchmark]
    public Gradgen.Tensor GradgenEager() => problem!.EagerStep();

    /// <summary>Gradgen compiled: <c>model.Call(x)</c>.</summary>
    [Benchmark]
    public Gradgen.Tensor GradgenCompiled() => problem!.CompiledStep();
}

using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests.Reliability;

/// <summary>
/// Hogwild-style use: several threads run <c>Call</c> (or <c>Forward</c>) and <c>Backward</c> on one model at once.
/// The parameters' gradients must be the sum of what each thread's backward alone gives, with none lost: the engine
/// keeps no per-call state on the parameters' shared AccumulateGrad nodes, and each addition into a Grad is whole.
/// </summary>
public sealed class ConcurrentBackwardTests
{
    private const int Threads = 8;
    private const int Rounds = 6;

    public static TheoryData<string, bool> Cases => new()
    {
        { "MnistMlp", true },
        { "MnistMlp", false },
        { "WideHidden", true },
        { "MultiLayerPerceptron", true },
        { "SequentialPerceptron", true },
        { "SequentialPerceptron", false },
        { "Sequential", false },
    };

    private static (Module Model, Tensor[] Inputs) Create(string name)
    {
        RandomGenerator.ManualSeed(11);
        Module model = name switch
        {
            "MnistMlp" => new MnistMlp(),
            "WideHidden" => new WideHidden(),
            "MultiLayerPerceptron" => new MultiLayerPerceptron(2, 2, 1),
            "SequentialPerceptron" => new SequentialPerceptron(),
            _ => new Sequential(new Linear(6, 16), new Tanh(), new Linear(16, 3)),
        };
        int width = name switch { "MnistMlp" => 784, "Sequential" => 6, _ => 2 };
        int rows = name == "MnistMlp" ? 16 : 64;
        var inputs = Enumerable.Range(0, Threads).Select(_ => Tensor.Randn(rows, width)).ToArray();
        return (model, inputs);
    }

    private static void Step(Module model, Tensor x, bool compiled)
    {
        var y = compiled ? model.Call(x) : model.Forward(x);
        ((y * y).Sum() + y.Sum()).Backward();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsOfConcurrentBackwardCallsAddUpExactly(string name, bool compiled)
    {
        var (model, inputs) = Create(name);

        // The reference: every thread's step once, one after another.
        model.ZeroGrad();
        foreach (var x in inputs)
        {
            Step(model, x, compiled);
        }

        var once = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray<float>());

        for (int round = 0; round < Rounds; round++)
        {
            model.ZeroGrad();
            using var start = new Barrier(Threads);
            var workers = inputs.Select(x => new Thread(() =>
            {
                start.SignalAndWait();
                Step(model, x, compiled);
            })).ToArray();
            foreach (var w in workers)
            {
                w.Start();
            }

            foreach (var w in workers)
            {
                w.Join();
            }

            foreach (var (pname, p) in model.NamedParameters())
            {
                Assert.True(p.Grad is not null, $"round {round}: {pname}.Grad is null after {Threads} concurrent backward calls");
                // The same sums in another order: float rounding only.
                Close.All(once[pname], p.Grad!.ToArray<float>(), 1e-4, $"round {round}, {pname}");
            }
        }
    }

    [Fact]
    public void ALeafSharedByConcurrentGraphsReceivesEveryGradient()
    {
        var w = Tensor.Ones(1000);
        w.RequiresGrad = true;
        const int perThread = 50;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < perThread; i++)
            {
                // w used twice in the graph: two gradients for the leaf in one call.
                ((w * 2).Sum() + w.Sum()).Backward();
            }
        });
        Assert.All(w.Grad!.ToArray<float>(), g => Assert.Equal(3f * Threads * perThread, g));
    }
}

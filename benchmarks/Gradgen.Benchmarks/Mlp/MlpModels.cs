using Gradgen.Nn;
using Gradgen.Optim;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>The seed's <c>MultiLayerPerceptron</c>: hidden = Linear(in, hidden), sigmoid, output = Linear(hidden, out).</summary>
public sealed class MultiLayerPerceptron(int inputDim, int hiddenDim, int outputDim) : Module
{
    /// <summary>The hidden layer.</summary>
    public Linear Hidden { get; } = new(inputDim, hiddenDim);

    /// <summary>The output layer.</summary>
    public Linear Output { get; } = new(hiddenDim, outputDim);

    /// <summary>The activation.</summary>
    public Nn.Sigmoid Activation { get; } = new();

    /// <inheritdoc/>
    public override Gradgen.Tensor Forward(Gradgen.Tensor x) => Output.Call(Activation.Call(Hidden.Call(x)));
}

/// <summary>
/// The seed MLP again as a <c>partial</c> class with layer fields: the generator compiles it, so <c>Call</c> runs the
/// fused forward (one matrix product with its epilogue per layer) and one generated backward node.
/// </summary>
public sealed partial class CompiledMlp221 : Module
{
    private readonly Linear hidden = new(2, 2);
    private readonly Linear output = new(2, 1);
    private readonly Nn.Sigmoid activation = new();

    /// <summary>The layers, for copying weights.</summary>
    public Linear[] Layers => [hidden, output];

    /// <inheritdoc/>
    public override Gradgen.Tensor Forward(Gradgen.Tensor x) => output.Forward(activation.Forward(hidden.Forward(x)));
}

/// <summary>784-256-10 with ReLU as a compiled <c>partial</c> class.</summary>
public sealed partial class CompiledMnistMlp : Module
{
    private readonly Linear hidden = new(784, 256);
    private readonly Linear output = new(256, 10);

    /// <summary>The layers, for copying weights.</summary>
    public Linear[] Layers => [hidden, output];

    /// <inheritdoc/>
    public override Gradgen.Tensor Forward(Gradgen.Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}

/// <summary>The two training problems of issue 4's benchmarks 1 and 2.</summary>
public enum MlpCase
{
    /// <summary>The seed MLP 2-2-1 with sigmoid, full batch of 10,000, MSE, SGD.</summary>
    Seed221,

    /// <summary>784-256-10 with ReLU, batch 128, cross-entropy, SGD.</summary>
    Mnist784,
}

/// <summary>
/// One problem set up for Gradgen and TorchSharp with the same data and the same initial weights (Gradgen's, copied
/// into torch), so that the first losses agree and both libraries do the same arithmetic.
/// </summary>
public sealed class MlpProblem : IDisposable
{
    const double LearningRate = 0.01;

    readonly Module model;
    readonly Linear[] gradgenLayers;
    readonly Module compiled;
    readonly Sgd compiledOptimizer;
    readonly Loss loss;
    readonly Sgd optimizer;
    readonly Gradgen.Tensor x, target;

    readonly torch.nn.Module<TorchTensor, TorchTensor> torchModel;
    readonly TorchSharp.Modules.Linear[] torchLayers;
    readonly torch.optim.Optimizer torchOptimizer;
    readonly HandFusedMlp221? handFused;
    readonly TorchTensor tx, ttarget;
    readonly bool crossEntropy;

    /// <summary>Builds the models and data for <paramref name="which"/> (seeded: the same every process).</summary>
    public MlpProblem(MlpCase which)
    {
        RandomGenerator.ManualSeed(0);
        torch.manual_seed(0);
        if (which == MlpCase.Seed221)
        {
            var mlp = new MultiLayerPerceptron(2, 2, 1);
            model = mlp;
            gradgenLayers = [mlp.Hidden, mlp.Output];
            loss = new MSELoss();
            x = (10 * Gradgen.Tensor.Rand(10_000, 2)) - 5;                      // the seed's X
            float[] xs = x.ToArray<float>();
            var t = new float[10_000];
            for (int i = 0; i < t.Length; i++)
            {
                t[i] = MathF.Sin(xs[2 * i]) * MathF.Cos(xs[(2 * i) + 1]);      // any fixed target
            }

            target = Gradgen.Tensor.FromArray(t).Reshape(10_000, 1);
            var h = torch.nn.Linear(2, 2);
            var o = torch.nn.Linear(2, 1);
            torchLayers = [h, o];
            torchModel = torch.nn.Sequential(h, torch.nn.Sigmoid(), o);
            tx = torch.tensor(xs, [10_000, 2]);
            ttarget = torch.tensor(t, [10_000, 1]);
        }
        else
        {
            var l1 = new Linear(784, 256);
            var l2 = new Linear(256, 10);
            model = new Sequential(l1, new ReLU(), l2);
            gradgenLayers = [l1, l2];
            loss = new CrossEntropyLoss();
            crossEntropy = true;
            x = Gradgen.Tensor.Rand(128, 784);                                  // pixel-like inputs in [0, 1)
            var classes = new long[128];
            var random = new System.Random(1);
            for (int i = 0; i < classes.Length; i++)
            {
                classes[i] = random.Next(10);
            }

            target = Gradgen.Tensor.FromArray(classes);
            var h = torch.nn.Linear(784, 256);
            var o = torch.nn.Linear(256, 10);
            torchLayers = [h, o];
            torchModel = torch.nn.Sequential(h, torch.nn.ReLU(), o);
            tx = torch.tensor(x.ToArray<float>(), [128, 784]);
            ttarget = torch.tensor(classes);
        }

        optimizer = new Sgd(model.Parameters(), LearningRate);
        Linear[] compiledLayers;
        if (which == MlpCase.Seed221)
        {
            var c = new CompiledMlp221();
            compiled = c;
            compiledLayers = c.Layers;
        }
        else
        {
            var c = new CompiledMnistMlp();
            compiled = c;
            compiledLayers = c.Layers;
        }

        using (Autograd.NoGrad())
        {
            for (int i = 0; i < gradgenLayers.Length; i++)
            {
                compiledLayers[i].Weight.CopyFrom(gradgenLayers[i].Weight);
                compiledLayers[i].Bias!.CopyFrom(gradgenLayers[i].Bias!);
            }
        }

        compiledOptimizer = new Sgd(compiled.Parameters(), LearningRate);
        using (torch.no_grad())
        {
            for (int i = 0; i < gradgenLayers.Length; i++)
            {
                var w = gradgenLayers[i].Weight;
                torchLayers[i].weight!.copy_(torch.tensor(w.ToArray<float>(), [w.Shape[0], w.Shape[1]]));
                torchLayers[i].bias!.copy_(torch.tensor(gradgenLayers[i].Bias!.ToArray<float>()));
            }
        }

        torchOptimizer = torch.optim.SGD(torchModel.parameters(), LearningRate);
        if (which == MlpCase.Seed221)
        {
            handFused = new HandFusedMlp221(x.ToArray<float>(), target.ToArray<float>(), gradgenLayers[0].Weight.ToArray<float>(), gradgenLayers[0].Bias!.ToArray<float>(),
                gradgenLayers[1].Weight.ToArray<float>(), gradgenLayers[1].Bias!.Item<float>(), (float)LearningRate, ThreadJobs.Threads);
        }
    }

    /// <summary>One step of the hand-written fused loop (the seed MLP only); returns the loss.</summary>
    public float HandFusedStep() => (handFused ?? throw new NotSupportedException("The hand-written loop exists for the seed MLP only.")).Step();

    /// <summary>One Gradgen training step, eager (<c>model.Call</c> runs <c>Forward</c> op by op); returns the loss tensor.</summary>
    public Gradgen.Tensor GradgenStep()
    {
        optimizer.ZeroGrad();
        Gradgen.Tensor output = model.Call(x);
        Gradgen.Tensor l = loss.Forward(output, target);
        l.Backward();
        optimizer.Step();
        return l;
    }

    /// <summary>One Gradgen training step through the compiled model (<c>Call</c> runs the generated kernels).</summary>
    public Gradgen.Tensor CompiledStep()
    {
        compiledOptimizer.ZeroGrad();
        Gradgen.Tensor output = compiled.Call(x);
        Gradgen.Tensor l = loss.Forward(output, target);
        l.Backward();
        compiledOptimizer.Step();
        return l;
    }

    /// <summary>The name of the compiled model's output node (the generated node when the class was compiled).</summary>
    public string CompiledGradFn() => compiled.Call(x).GradFn?.Name ?? "(none)";

    /// <summary>One TorchSharp training step; the loss as a float when <paramref name="read"/>, temporaries freed by a dispose scope.</summary>
    public float TorchStep(bool read = false)
    {
        using var scope = torch.NewDisposeScope();
        torchOptimizer.zero_grad();
        TorchTensor output = torchModel.call(tx);
        TorchTensor l = crossEntropy
            ? torch.nn.functional.cross_entropy(output, ttarget)
            : torch.nn.functional.mse_loss(output, ttarget);
        l.backward();
        torchOptimizer.step();
        return read ? l.item<float>() : 0;
    }

    /// <summary>Runs three steps of each library from the same weights and throws unless their losses agree.</summary>
    public void Check()
    {
        for (int step = 0; step < 3; step++)
        {
            float g = GradgenStep().Item<float>();
            float c = CompiledStep().Item<float>();
            float t = TorchStep(read: true);
            float h = handFused?.Step() ?? t;
            if (!(Math.Abs(h - t) <= 1e-4 * Math.Max(1, Math.Abs(t))))
            {
                throw new InvalidOperationException($"step {step}: hand-written fused loss {h}, TorchSharp {t}");
            }

            if (!(Math.Abs(g - t) <= 1e-4 * Math.Max(1, Math.Abs(t))) || !(Math.Abs(c - t) <= 1e-4 * Math.Max(1, Math.Abs(t))))
            {
                throw new InvalidOperationException($"step {step}: Gradgen eager loss {g}, compiled {c}, TorchSharp {t}");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        torchModel.Dispose();
        tx.Dispose();
        ttarget.Dispose();
    }
}

using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>A narrow classifier: three logits, every layer at most 16 wide, so it compiles to the narrow pass.</summary>
public sealed partial class NarrowClassifier : Module
{
    private readonly Linear hidden = new(4, 12), output = new(12, 3);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(x)));
}

/// <summary>
/// A loss on a narrow compiled model's output hands the model its gradient in closed form — MSE's scale·(y − t),
/// cross-entropy's scale·(softmax(y) − onehot) — and the model computes it in its own backward pass (no gradient
/// tensor in between; <c>ClosedFormGradient</c>). Whatever the graph around it, the gradients must be those of the
/// eager definition, and the closed form is taken exactly when the loss is the output's only consumer.
/// </summary>
public sealed class LossFusionTests
{
    private static Dictionary<string, float[]> Gradients(Module model, Func<Tensor, Tensor> loss, Tensor x, bool compiled, out float[] inputGrad)
    {
        model.ZeroGrad();
        var input = x.Detach();
        input.RequiresGrad = true;
        loss(compiled ? model.Call(input) : model.Forward(input)).Backward();
        inputGrad = input.Grad!.ToArray<float>();
        return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray<float>());
    }

    /// <summary>Runs <see cref="AssertSameGradients"/> and returns how many closed forms the compiled run's backward took.</summary>
    private static int ClosedFormsTaken(Module model, Func<Tensor, Tensor> loss, Tensor x)
    {
        int before = ClosedFormGradient.AcceptedOnThisThread;
        AssertSameGradients(model, loss, x);
        return ClosedFormGradient.AcceptedOnThisThread - before;
    }

    private static void AssertSameGradients(Module model, Func<Tensor, Tensor> loss, Tensor x)
    {
        var eager = Gradients(model, loss, x, compiled: false, out var eagerInput);
        var fused = Gradients(model, loss, x, compiled: true, out var fusedInput);
        // Float32 sums over the rows taken in another order: relative to the magnitude, a few ulps per row.
        double tolerance = 1e-4 * Math.Max(1, Math.Sqrt(x.Shape[0]) / 10);
        Close.All(eagerInput, fusedInput, tolerance, "input gradient");
        foreach (var (name, grad) in eager)
        {
            Close.All(grad, fused[name], tolerance, name);
        }
    }

    public static TheoryData<int, Reduction> Cases => new()
    {
        { 1, Reduction.Mean }, { 17, Reduction.Mean }, { 10_000, Reduction.Mean }, { 12_345, Reduction.Sum },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheSeedPerceptronTrainedOnMseGetsTheEagerGradients(int rows, Reduction reduction)
    {
        RandomGenerator.ManualSeed(rows);
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = (Tensor.Rand(rows, 2) * 10) - 5;
        var t = Tensor.Rand(rows, 1);
        var mse = new MSELoss(reduction);
        Assert.Equal(1, ClosedFormsTaken(model, y => mse.Call(y, t), x));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ANarrowClassifierTrainedOnCrossEntropyGetsTheEagerGradients(int rows, Reduction reduction)
    {
        RandomGenerator.ManualSeed(rows + 1);
        var model = new NarrowClassifier();
        var x = Tensor.Randn(rows, 4) * 2;
        var classes = Tensor.FromArray(Enumerable.Range(0, rows).Select(i => (long)((i * 7) % 3)).ToArray());
        var crossEntropy = new CrossEntropyLoss(reduction: reduction);
        Assert.Equal(1, ClosedFormsTaken(model, y => crossEntropy.Call(y, classes), x));
    }

    [Fact]
    public void AModelWithSeveralOutputsGetsTheEagerGradients()
    {
        RandomGenerator.ManualSeed(3);
        var model = new NarrowMixed();    // 5 outputs: the closed form is written feature-major row by row
        var x = Tensor.Randn(333, 4);
        var t = Tensor.Rand(333, 5);
        Assert.Equal(1, ClosedFormsTaken(model, y => new MSELoss().Call(y, t), x));
    }

    [Fact]
    public void AnOutputUsedTwiceStillGetsBothGradients()
    {
        // The loss is not the output's only consumer: its gradient is a tensor, added to the other one.
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(100, 2);
        var t = Tensor.Rand(100, 1);
        Assert.Equal(0, ClosedFormsTaken(model, y => new MSELoss().Call(y, t) + (0.25 * y.Sum()), x));
    }

    [Fact]
    public void ATargetThatRequiresGradGetsItsGradientToo()
    {
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(50, 2);
        var t = Tensor.Rand(50, 1);
        t.RequiresGrad = true;
        AssertSameGradients(model, y => new MSELoss().Call(y, t), x);
        var expected = (2.0 / 50 * (t.Detach() - model.Forward(x).Detach())).ToArray<float>();
        t.Grad = null;
        new MSELoss().Call(model.Call(x), t).Backward();
        Close.All(expected, t.Grad!.ToArray<float>(), 1e-5, "target gradient");
    }

    [Fact]
    public void RetainingTheGraphGivesTheSameGradientEachTime()
    {
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(64, 2);
        var t = Tensor.Rand(64, 1);
        var loss = new MSELoss().Call(model.Call(x), t);
        loss.Backward(retainGraph: true);
        var once = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();
        loss.Backward();
        var twice = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();
        for (int i = 0; i < once.Count; i++)
        {
            Close.All(once[i].Select(v => 2 * v).ToArray(), twice[i], 1e-6, $"parameter {i}");
        }
    }
}

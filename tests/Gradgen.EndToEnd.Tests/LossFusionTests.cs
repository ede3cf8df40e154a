using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A squared-error loss on a narrow compiled model's output hands the model its gradient in closed form,
/// scale·(y − t), and the model computes it in its own backward pass (no gradient tensor in between). Whatever the
/// graph around it, the gradients must be those of the eager definition.
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
        AssertSameGradients(model, y => mse.Call(y, t), x);
    }

    [Fact]
    public void AModelWithSeveralOutputsGetsTheEagerGradients()
    {
        RandomGenerator.ManualSeed(3);
        var model = new NarrowMixed();    // 5 outputs: the closed form is written feature-major row by row
        var x = Tensor.Randn(333, 4);
        var t = Tensor.Rand(333, 5);
        AssertSameGradients(model, y => new MSELoss().Call(y, t), x);
    }

    [Fact]
    public void AnOutputUsedTwiceStillGetsBothGradients()
    {
        // The loss is not the output's only consumer: its gradient is a tensor, added to the other one.
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(100, 2);
        var t = Tensor.Rand(100, 1);
        AssertSameGradients(model, y => new MSELoss().Call(y, t) + (0.25 * y.Sum()), x);
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

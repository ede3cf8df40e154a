using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.EndToEnd.Tests.Reliability;

/// <summary>
/// Every compiled path checks the version counters of what its backward reads, as PyTorch's saved tensors do: a
/// weight or an input changed in place between <c>Call</c> and <c>Backward</c> (by hand or by an optimizer step) is
/// PyTorch's "modified by an inplace operation" error, never gradients of the new values.
/// </summary>
public sealed class CompiledSavedVersionTests
{
    public static TheoryData<string> Models => new() { "MnistMlp", "WideHidden", "TanhNet", "NarrowMixed", "MultiLayerPerceptron", "SequentialMnist" };

    private static (Module Model, Tensor Input) Create(string name)
    {
        RandomGenerator.ManualSeed(5);
        return name switch
        {
            "MnistMlp" => (new MnistMlp(), Tensor.Randn(12, 784)),
            "WideHidden" => (new WideHidden(), Tensor.Randn(12, 2)),
            "TanhNet" => (new TanhNet(), Tensor.Randn(12, 3)),
            "NarrowMixed" => (new NarrowMixed(), Tensor.Randn(12, 4)),
            "SequentialMnist" => (new SequentialMnist(), Tensor.Randn(12, 784)),
            _ => (new MultiLayerPerceptron(2, 2, 1), Tensor.Randn(12, 2)),
        };
    }

    private static void AssertInPlaceError(Tensor loss)
    {
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("modified by an in-place operation", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void AWeightChangedInPlaceBeforeBackwardIsAnError(string name)
    {
        var (model, x) = Create(name);
        var loss = model.Call(x).Sum();
        Assert.EndsWith("Backward", loss.GradFn!.NextFunctions[0]!.Name, StringComparison.Ordinal);
        using (Autograd.NoGrad())
        {
            model.NamedParameters().First(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).Parameter.MulInPlace(0.5);
        }

        AssertInPlaceError(loss);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void AnInputChangedInPlaceBeforeBackwardIsAnError(string name)
    {
        var (model, x) = Create(name);
        var loss = model.Call(x).Sum();
        x.MulInPlace(2);
        AssertInPlaceError(loss);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void AnOptimizerStepBeforeBackwardIsAnError(string name)
    {
        var (model, x) = Create(name);
        var optimizer = new Sgd(model.Parameters(), 0.1);
        model.Call(x).Sum().Backward();
        var loss = model.Call(x).Sum();
        optimizer.Step();
        AssertInPlaceError(loss);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ABiasChangedInPlaceIsNotReadByBackwardAndIsNoError(string name)
    {
        // PyTorch's linear does not save its bias: changing it between forward and backward is allowed.
        var (model, x) = Create(name);
        var loss = model.Call(x).Sum();
        using (Autograd.NoGrad())
        {
            model.NamedParameters().First(p => p.Name.EndsWith("bias", StringComparison.Ordinal)).Parameter.AddInPlace(1.0);
        }

        loss.Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void CallEqualsForwardForInfiniteInputs(string name)
    {
        var (model, x) = Create(name);
        // One infinity per row, of either sign, at a different column in each (a finite row every third), and rows
        // where the products meet ∞ − ∞.
        var values = x.ToArray<float>();
        int width = x.Shape[1], rows = x.Shape[0];
        for (int r = 0; r < rows; r++)
        {
            if (r % 3 != 2)
            {
                values[(r * width) + ((r * 5) % width)] = r % 3 == 0 ? float.PositiveInfinity : float.NegativeInfinity;
            }
        }

        values[((rows - 1) * width) + 0] = float.PositiveInfinity;
        values[((rows - 1) * width) + 1] = float.NegativeInfinity;
        var input = Tensor.FromArray(values).Reshape(x.Shape.ToArray());
        float[] eager, call;
        using (Autograd.NoGrad())
        {
            eager = model.Forward(input).ToArray<float>();
            call = model.Call(input).ToArray<float>();
        }

        // With gradients recorded the compiled node runs too.
        var recorded = model.Call(input).ToArray<float>();
        for (int i = 0; i < eager.Length; i++)
        {
            AssertSame(eager[i], call[i], $"{name} output[{i}]");
            AssertSame(eager[i], recorded[i], $"{name} output[{i}] (recorded)");
        }
    }

    private static void AssertSame(float expected, float actual, string what)
    {
        if (!float.IsFinite(expected) || !float.IsFinite(actual))
        {
            Assert.True(expected.Equals(actual), $"{what}: Forward gives {expected}, Call gives {actual}");
        }
        else
        {
            Assert.True(Math.Abs(expected - actual) <= 1e-3 * (1 + Math.Abs(expected)), $"{what}: Forward gives {expected}, Call gives {actual}");
        }
    }
}

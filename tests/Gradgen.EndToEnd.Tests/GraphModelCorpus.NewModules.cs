// Models over LayerNorm, Dropout and the activation modules (GELU, SiLU, LeakyReLU, ELU, Softplus); their tests are
// at the end of this file.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>A layer normalisation (a mean and variance along the features, with a learnable scale and shift) and a GELU between layers.</summary>
public sealed partial class LayerNormMlp : Module
{
    private readonly Linear l1, l2;
    private readonly LayerNorm norm;

    /// <summary>8 → 32 (LayerNorm, GELU) → 4.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public LayerNormMlp(DType dtype = DType.Float32)
    {
        l1 = new(8, 32, dtype: dtype);
        norm = new LayerNorm(32, dtype: dtype); // LayerNorm(32) with Linear's dtype parameter, for the float64 check
        l2 = new(32, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => l2.Forward(Functional.Gelu(norm.Forward(l1.Forward(x))));
}

/// <summary>A Dropout module: random in training (the mask drawn from RandomGenerator), the identity in evaluation.</summary>
public sealed partial class DropoutMlp : Module
{
    private readonly Linear l1 = new(6, 20), l2 = new(20, 3);
    private readonly Dropout dropout = new(0.2);

    public override Tensor Forward(Tensor x) => l2.Forward(dropout.Forward(Functional.Relu(l1.Forward(x))));
}

/// <summary>The new activations, as module fields and as Functional calls: SiLU, LeakyReLU(0.1), ELU(1), Softplus(1, 20), GELU("tanh").</summary>
public sealed partial class ActivationZoo : Module
{
    private readonly Linear a = new(5, 12), b = new(12, 12), c = new(12, 12), d = new(12, 3);
    private readonly SiLU silu = new();
    private readonly LeakyReLU leaky = new(0.1);
    private readonly ELU elu = new(1.0);
    private readonly Softplus softplus = new(1, 20);
    private readonly GELU gelu = new("tanh");

    public override Tensor Forward(Tensor x)
    {
        var h = leaky.Forward(silu.Forward(a.Forward(x)));
        h = softplus.Forward(elu.Forward(b.Forward(h)));
        h = gelu.Forward(c.Forward(h));
        var f = Functional.Silu(h) + Functional.LeakyRelu(h, 0.1) + Functional.Elu(h, 1.0) + Functional.Softplus(h, 1, 20) + Functional.Gelu(h, "tanh");
        return d.Forward(f);
    }
}

/// <summary>The new modules' models: Call against Forward, and Dropout's randomness under a manual seed.</summary>
[Collection(RandomReplayCollection.Name)]
public sealed class GraphModelNewModuleTests
{
    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var name in new[] { "LayerNormMlp", "DropoutMlp", "ActivationZoo" })
            {
                foreach (var batch in new[] { 1, 7, 64, 1000 }) data.Add(name, batch);
            }

            return data;
        }
    }

    internal static (Module Model, Tensor Input) Create(string name, int batch)
    {
        RandomGenerator.ManualSeed(11);
        return name switch
        {
            "LayerNormMlp" => (new LayerNormMlp(), Tensor.Randn(batch, 8)),
            "DropoutMlp" => (new DropoutMlp().Eval(), Tensor.Randn(batch, 6)),
            _ => (new ActivationZoo(), Tensor.Randn(batch, 5)),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CallMatchesForwardInValuesAndEveryGradient(string model, int batch)
    {
        var (m, x) = Create(model, batch);
        var eager = GraphModelTests.Run(m, x, compiled: false);
        var fused = GraphModelTests.Run(m, x, compiled: true);
        GraphModelTests.AssertAgree(eager, fused, fanIn: 32, rows: batch);
    }

    [Theory]
    [InlineData("LayerNormMlp")]
    [InlineData("DropoutMlp")]
    [InlineData("ActivationZoo")]
    public void CallRecordsOneNodeNamedAfterTheModel(string model)
    {
        var (m, x) = Create(model, 7);
        x.RequiresGrad = true;
        GraphModelTests.AssertOneNode(m.Call(x), model);
    }

    [Fact]
    public void LayerNormMlpCallGradientsMatchCentralDifferencesInFloat64()
    {
        RandomGenerator.ManualSeed(5);
        GraphModelTests.CheckCentralDifferences(new LayerNormMlp(DType.Float64), Tensor.Randn([3, 8], DType.Float64));
    }

    [Fact]
    public void DropoutInEvalIsTheIdentityAndCallEqualsForward()
    {
        var (m, x) = Create("DropoutMlp", 64);
        m.Eval();
        var eager = GraphModelTests.Run(m, x, compiled: false);
        var fused = GraphModelTests.Run(m, x, compiled: true);
        GraphModelTests.AssertAgree(eager, fused, fanIn: 20, rows: 64);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    public void DropoutInTrainingDrawsTheSameMaskUnderTheSameSeed(int batch)
    {
        var (m, x) = Create("DropoutMlp", batch);
        m.Train();
        RandomGenerator.ManualSeed(99);
        var eager = GraphModelTests.Run(m, x, compiled: false);
        RandomGenerator.ManualSeed(99);
        var fused = GraphModelTests.Run(m, x, compiled: true);
        GraphModelTests.AssertAgree(eager, fused, fanIn: 20, rows: batch);

        // Training actually drops: some hidden units of some rows are zero, so the output differs from Eval's.
        RandomGenerator.ManualSeed(99);
        var trained = m.Call(x).ToArray<float>();
        m.Eval();
        Assert.NotEqual(m.Call(x).ToArray<float>(), trained);
    }
}

using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Compiled models: <c>Call</c> (the generated fused kernels and one graph node) agrees with <c>Forward</c> (the
/// definition, run eagerly op by op) in values and in the gradient of every parameter and of the input.
/// </summary>
public sealed class CompiledModelTests
{
    // Call or Forward on a fresh leaf copy of x, backpropagating Σy² + Σy: the graph model tests' helper.
    private static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad, string Node) Run(Module model, Tensor x, bool compiled) =>
        GraphModelTests.Run(model, x, compiled);

    public static TheoryData<string> Models => new() { "MultiLayerPerceptron", "MnistMlp", "TanhNet", "NarrowMixed", "NarrowWithoutBias", "WideHidden", "SequentialPerceptron", "SequentialMnist", "EncoderClassifier" };

    private static (Module Model, Tensor Input) Create(string name)
    {
        RandomGenerator.ManualSeed(7);
        return name switch
        {
            "MultiLayerPerceptron" => (new MultiLayerPerceptron(2, 2, 1), (Tensor.Rand(10000, 2) * 10) - 5),
            "MnistMlp" => (new MnistMlp(), Tensor.Randn(128, 784)),
            "NarrowMixed" => (new NarrowMixed(), Tensor.Randn(1001, 4)),
            "NarrowWithoutBias" => (new NarrowWithoutBias(), Tensor.Randn(999, 3)),
            "WideHidden" => (new WideHidden(), Tensor.Randn(50, 2)),
            "SequentialPerceptron" => (new SequentialPerceptron(), Tensor.Randn(300, 2)),
            "SequentialMnist" => (new SequentialMnist(), Tensor.Randn(20, 784)),
            "EncoderClassifier" => (new EncoderClassifier(), Tensor.Randn(77, 3)),
            _ => (new TanhNet(), Tensor.Randn(33, 3)),
        };
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void CallMatchesForwardInValuesAndEveryGradient(string name)
    {
        var (model, x) = Create(name);
        var eager = Run(model, x, compiled: false);
        var fused = Run(model, x, compiled: true);

        Assert.Equal(name + "Backward", fused.Node);
        Assert.NotEqual(fused.Node, eager.Node);
        // Same float32 arithmetic in another order (blocked products, vector activations): a few ulps per term,
        // summed over up to 784 terms.
        Close.All(eager.Output, fused.Output, 1e-5, "output");
        Close.All(eager.InputGrad, fused.InputGrad, 1e-4, "input gradient");
        foreach (var (parameter, grad) in eager.Grads)
        {
            Close.All(grad, fused.Grads[parameter], 1e-4, parameter);
        }
    }

    [Fact]
    public void CallFallsBackToForwardForWhatWasNotCompiled()
    {
        var model = new ScaledNet();
        var x = Tensor.Randn(4, 2);
        Assert.Equal(model.Forward(x).ToArray<float>(), model.Call(x).ToArray<float>());

        // A compiled model given an input it was not compiled for (Float64) runs Forward too.
        var mlp = new MultiLayerPerceptron(2, 2, 1);
        var error = Record.Exception(() => mlp.Call(Tensor.Randn(3, 2).To(DType.Float64)));
        var eagerError = Record.Exception(() => mlp.Forward(Tensor.Randn(3, 2).To(DType.Float64)));
        Assert.Equal(eagerError?.GetType(), error?.GetType());
    }

    [Fact]
    public void TheCompiledGraphIsFreedAfterBackwardLikeAnyOther()
    {
        var model = new MultiLayerPerceptron(2, 3, 1);
        var x = Tensor.Randn(5, 2);
        var y = model.Call(x).Sum();
        y.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoGraphIsRecordedUnderNoGrad()
    {
        var model = new MnistMlp();
        using (Autograd.NoGrad())
        {
            var y = model.Call(Tensor.Randn(2, 784));
            Assert.Null(y.GradFn);
        }
    }

    // The narrow path (every layer at most 16 wide) runs whole vectors of rows, then the rest one row at a time,
    // and cuts large batches into chunks for the cores: every split must give Forward's values and gradients.
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(2048)]
    [InlineData(12_345)]
    public void TheNarrowPathMatchesForwardAtEveryBatchSize(int rows)
    {
        RandomGenerator.ManualSeed(rows);
        foreach (Module model in new Module[] { new MultiLayerPerceptron(2, 2, 1), new TanhNet(), new NarrowMixed(), new SingleInputNet(), new NarrowWithoutBias() })
        {
            int width = model.Parameters().First().Shape[1];
            var x = Tensor.Randn(rows, width);
            var eager = Run(model, x, compiled: false);
            var fused = Run(model, x, compiled: true);
            Close.All(eager.Output, fused.Output, 1e-5, $"{model.GetType().Name} output");
            Close.All(eager.InputGrad, fused.InputGrad, 1e-4, $"{model.GetType().Name} input gradient");
            foreach (var (parameter, grad) in eager.Grads)
            {
                // Gradients are sums over the rows, taken in another order: relative to the largest row term.
                Close.All(grad, fused.Grads[parameter], 1e-4 * Math.Max(1, Math.Sqrt(rows) / 10), $"{model.GetType().Name} {parameter}");
            }
        }
    }

    [Fact]
    public void ANarrowChainWithLayersWithoutBiasRunsTheNarrowPass()
    {
        // Layers built with bias: false are still a Linear chain: one pass over the rows (NarrowModel), not the general plan.
        var y = new NarrowWithoutBias().Call(Tensor.Randn(9, 3));
        Assert.Equal("NarrowWithoutBiasBackward", y.GradFn!.Name);
        Assert.Equal("NarrowModelBackward", y.GradFn.GetType().Name);
    }

    [Fact]
    public void RetainingTheGraphLetsBackwardRunTwiceAndAccumulate()
    {
        var model = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(40, 2);
        var loss = model.Call(x).Sum();
        loss.Backward(retainGraph: true);
        var once = model.NamedParameters().Select(p => p.Parameter.Grad!.ToArray<float>()).ToList();
        loss.Backward();
        var twice = model.NamedParameters().Select(p => p.Parameter.Grad!.ToArray<float>()).ToList();
        for (int i = 0; i < once.Count; i++)
        {
            Close.All(once[i].Select(v => 2 * v).ToArray(), twice[i], 1e-6, $"parameter {i}");
        }
    }

    [Fact]
    public void AWeightChangedInPlaceBeforeBackwardIsAnError()
    {
        var model = new MultiLayerPerceptron(2, 2, 1);
        var loss = model.Call(Tensor.Randn(8, 2)).Sum();
        using (Autograd.NoGrad())
        {
            model.Parameters().First().MulInPlace(0.5);
        }

        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("modified by an in-place operation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACompiledClassAndTheSequentialItWrapsAgreeAndNameTheirParametersAlike()
    {
        var model = new SequentialPerceptron();
        var x = Tensor.Randn(64, 2);
        var compiled = Run(model, x, compiled: true);
        var sequential = Run(model.Body, x, compiled: false);
        Assert.Equal("SequentialPerceptronBackward", compiled.Node);
        Close.All(sequential.Output, compiled.Output, 1e-5, "output");
        Assert.Equal(["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"], compiled.Grads.Keys);
        foreach (var (name, grad) in sequential.Grads)
        {
            Close.All(grad, compiled.Grads["body." + name], 1e-4, name);
        }
    }

    [Fact]
    public void ASequentialChangedAfterConstructionRunsForward()
    {
        var model = new SequentialPerceptron();
        model.Body.Add(new Tanh());
        var y = model.Call(Tensor.Randn(5, 2));
        Assert.Equal("TanhBackward", y.GradFn!.Name);
    }

    [Fact]
    public void ANestedModelsLayersAreNamedAndTrainedAsTheOuterModelsOwn()
    {
        var model = new EncoderClassifier();
        Assert.Equal(["encoder.l1.weight", "encoder.l1.bias", "encoder.l2.weight", "encoder.l2.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"],
            model.NamedParameters().Select(p => p.Name));
        model.Head.Add(new ReLU());
        Assert.Equal("ReluBackward", model.Call(Tensor.Randn(3, 3)).GradFn!.Name);
    }
}

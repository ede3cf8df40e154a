using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// How a model compiled through the tensor graph behaves beyond agreeing with Forward: PyTorch's autograd semantics for
/// its one node, inputs of other ranks, and what makes Call run Forward instead.
/// </summary>
public sealed class GraphModelBehaviourTests
{
    [Fact]
    public void AWeightTheBackwardReadsChangedInPlaceIsAnError()
    {
        var model = new ResidualMlp();
        var loss = model.Call(Tensor.Randn(5, 8)).Sum();
        using (Autograd.NoGrad())
        {
            model.NamedParameters().Single(p => p.Name == "l2.weight").Parameter.MulInPlace(0.5);
        }

        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("modified by an in-place operation: ResidualMlpBackward", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetainingTheGraphLetsBackwardRunTwiceAndAccumulate()
    {
        var model = new GatedUnit();
        var x = Tensor.Randn(4, 6);
        var y = model.Call(x);
        Assert.Equal("GatedUnitBackward", y.GradFn!.Name);
        var loss = (y * y).Sum();
        loss.Backward(retainGraph: true);
        var once = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();
        loss.Backward();
        var twice = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();
        for (int p = 0; p < once.Count; p++)
        {
            Assert.Equal(once[p].Select(v => 2 * v), twice[p]);
        }
    }

    [Fact]
    public void ARowWiseGraphTakesLeadingDimsAsRows()
    {
        // ResidualMlp acts on the last dim only: a [2, 3, 8] input runs compiled, as 6 rows, and keeps its leading dims.
        var model = new ResidualMlp();
        var x = Tensor.Randn(2, 3, 8);
        var eager = GraphModelTests.Run(model, x, compiled: false);
        var call = GraphModelTests.Run(model, x, compiled: true);
        Assert.Equal("ResidualMlpBackward", call.Node);
        GraphModelTests.AssertAgree(eager, call, fanIn: 32, rows: 6);
        Assert.Equal(new[] { 2, 3, 4 }, model.Call(x).Shape.ToArray());
    }

    [Fact]
    public void AnInputOfARankTheGraphWasNotBuiltForRunsForward()
    {
        // SequencePooling pools over dim 1 of [B, T, F]: only rank 3 fits its graph; a 2-D input is Forward's to reject.
        var model = new SequencePooling();
        var callError = Record.Exception(() => model.Call(Tensor.Randn(4, 6)));
        var forwardError = Record.Exception(() => model.Forward(Tensor.Randn(4, 6)));
        Assert.NotNull(forwardError);
        Assert.Equal(forwardError!.GetType(), callError?.GetType());
        Assert.Equal(forwardError.Message, callError!.Message);
    }

    [Fact]
    public void ALayerOverTAfterAPermuteFixesTAndACallWithAnotherTThrowsNamingBothShapes()
    {
        // TimeMixer's time layer takes T = 5 steps: the graph is built for that T, and a call with 4 is an error, as in Forward.
        var model = new TimeMixer();
        var x = Tensor.Randn(2, TimeMixer.Steps - 1, 6);
        var callError = Assert.IsType<ArgumentException>(Record.Exception(() => model.Call(x)), exactMatch: false);
        Assert.NotNull(Record.Exception(() => model.Forward(x)));
        Assert.Contains("[8, 2, 4]", callError.Message, StringComparison.Ordinal);
        Assert.Contains("[5, 5]", callError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASelectOutOfRangeOfASizeOnlyTheCallKnowsThrowsAsForwardDoes()
    {
        // ClsPooling selects token -1 of T: with no tokens, Narrow and Select both name the index's dim and size 0.
        var model = new ClsPooling();
        var x = Tensor.Randn(2, 0, 6);
        var callError = Record.Exception(() => model.Call(x));
        var forwardError = Record.Exception(() => model.Forward(x));
        Assert.IsType<ArgumentOutOfRangeException>(forwardError);
        Assert.IsType<ArgumentOutOfRangeException>(callError);
        Assert.Contains("size 0", callError!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public void TheIndexerOnTheBatchDimSlicesAndSelectsRowsAsForwardDoes(int batch)
    {
        // BatchRows takes rows 1..3, ^2.. and 0 of a batch only the call knows: the bounds are resolved at run time.
        var model = new BatchRows();
        var x = Tensor.Randn(batch, 6);
        var eager = GraphModelTests.Run(model, x, compiled: false);
        var call = GraphModelTests.Run(model, x, compiled: true);
        Assert.Equal("BatchRowsBackward", call.Node);
        Assert.Equal(2 * 3, call.Output.Length);
        GraphModelTests.AssertAgree(eager, call, 8, batch);
    }

    [Fact]
    public void ADTypeOtherThanTheParametersRunsForward()
    {
        var model = new GatedUnit();
        var x = Tensor.Randn(3, 6).To(DType.Float64);
        var callError = Record.Exception(() => model.Call(x));
        var forwardError = Record.Exception(() => model.Forward(x));
        Assert.Equal(forwardError?.GetType(), callError?.GetType());
    }

    [Fact]
    public void NoGradientIsComputedForAnInputThatDoesNotNeedOne()
    {
        var model = new TwoBranchCat();
        var y = model.Call(Tensor.Randn(3, 7));
        y.Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void TheGraphIsFreedAfterBackward()
    {
        var model = new LogSoftmaxHead();
        var y = model.Call(Tensor.Randn(3, 10));
        y.Sum().Backward();
        var error = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("second time", error.Message, StringComparison.Ordinal);
    }
}

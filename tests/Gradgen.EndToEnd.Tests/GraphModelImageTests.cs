using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Models over images compiled into one graph node (GraphModelCorpus.Images.cs): what a batch norm does beyond its
/// output (the running statistics, evaluation mode), sizes the code does not show, and what runs Forward instead.
/// </summary>
public sealed class GraphModelImageTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(null)]
    public void CallUpdatesTheRunningStatisticsExactlyAsForward(double? momentum)
    {
        var (called, forwarded) = (new NormalizedConvNet(momentum), new NormalizedConvNet(momentum));
        forwarded.LoadStateDict(called.StateDict());
        for (int step = 0; step < 3; step++)
        {
            var x = Tensor.Randn(5, 2, 6, 6);
            var y = called.Call(x);
            Assert.Equal("NormalizedConvNetBackward", y.GradFn!.Name);
            forwarded.Forward(x);
        }

        Assert.Equal(3L, called.Norm.NumBatchesTracked!.Item<long>());
        Assert.Equal(forwarded.Norm.NumBatchesTracked!.Item<long>(), called.Norm.NumBatchesTracked!.Item<long>());
        Assert.Equal(forwarded.Norm.RunningMean!.ToArray<float>(), called.Norm.RunningMean!.ToArray<float>());
        Assert.Equal(forwarded.Norm.RunningVar!.ToArray<float>(), called.Norm.RunningVar!.ToArray<float>());
    }

    [Fact]
    public void InEvaluationCallNormalisesWithTheRunningStatisticsAndLeavesThemAlone()
    {
        var model = new NormalizedConvNet(0.1);
        for (int step = 0; step < 2; step++) model.Call(Tensor.Randn(8, 2, 6, 6));
        model.Eval();
        var mean = model.Norm.RunningMean!.ToArray<float>();
        var x = Tensor.Randn(3, 2, 6, 6);

        var eager = GraphModelTests.Run(model, x, compiled: false);
        var call = GraphModelTests.Run(model, x, compiled: true);

        Assert.Equal("NormalizedConvNetBackward", call.Node);
        GraphModelTests.AssertAgree(eager, call, fanIn: 18, rows: 3 * 36);
        Assert.Equal(mean, model.Norm.RunningMean!.ToArray<float>());
        Assert.Equal(2L, model.Norm.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void ALayerSizeTheCodeDoesNotShowIsCheckedWhenCalledWithBothShapes()
    {
        // The flattened image has 4·6·6 = 144 features; the head takes 100. Only the input's sides decide that.
        var model = new MisfitHead();
        var error = Assert.Throws<ArgumentException>(() => model.Call(Tensor.Randn(2, 1, 6, 6)));
        Assert.Contains("[2, 144]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 100]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnbatchedImagesRunForward()
    {
        // PyTorch's Conv2d takes [C, H, W] too; the compiled graph is built for [N, C, H, W] only.
        var model = new ConvFeatures();
        Assert.Equal("ConvFeaturesBackward", model.Call(Tensor.Randn(2, 1, 5, 5)).GradFn!.Name);

        var x = Tensor.Randn(1, 5, 5);
        var y = model.Call(x);
        Assert.NotEqual("ConvFeaturesBackward", y.GradFn!.Name);
        Assert.Equal([4, 5, 5], y.Shape.ToArray());
        Assert.Equal(model.Forward(x).ToArray<float>(), y.ToArray<float>());
    }
}

/// <summary>Conv2d, then BatchNorm2d with a given momentum, ReLU and a Linear head over the flattened image. Input [B, 2, 6, 6].</summary>
public sealed partial class NormalizedConvNet : Module
{
    private readonly Conv2d conv = new(2, 3, 3, padding: 1);
    private readonly BatchNorm2d norm;
    private readonly Linear head = new(3 * 6 * 6, 2);

    public NormalizedConvNet(double? momentum) => norm = new(3, momentum: momentum);

    /// <summary>The batch norm layer.</summary>
    public BatchNorm2d Norm => norm;

    public override Tensor Forward(Tensor x) => head.Forward(Functional.Relu(norm.Forward(conv.Forward(x))).Flatten(1));
}

/// <summary>A head whose input size does not fit the flattened image of a 6×6 input: nothing in the code shows the sides.</summary>
public sealed partial class MisfitHead : Module
{
    private readonly Conv2d conv = new(1, 4, 3, padding: 1);
    private readonly Linear head = new(100, 3);

    public override Tensor Forward(Tensor x) => head.Forward(conv.Forward(x).Flatten(1));
}

/// <summary>A Conv2d and a ReLU: features of any image size, batched or not.</summary>
public sealed partial class ConvFeatures : Module
{
    private readonly Conv2d conv = new(1, 4, 3, padding: 1);

    public override Tensor Forward(Tensor x) => Functional.Relu(conv.Forward(x));
}

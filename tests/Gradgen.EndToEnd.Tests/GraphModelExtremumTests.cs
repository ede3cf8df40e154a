using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// <c>Max()</c> and <c>Min()</c> of a whole tensor inside a compiled Forward: the gradient the compiled graph gives
/// the input at ties and at a NaN, written out from PyTorch's rule (evenly_distribute_backward: the extremum's
/// gradient shared among the positions holding it, the NaN when the extremum is NaN, exactly 0 elsewhere).
/// </summary>
public sealed class GraphModelExtremumTests
{
    /// <summary>
    /// y = l(x) + x.Max() − ½·x.Min() for x [3, 4] and loss Σy: the input's gradient is the column sums of l's weight
    /// (the same in every row), plus 9 (the outputs [3, 3] each extremum reaches) shared among the maximum's positions
    /// and −4.5 shared among the minimum's.
    /// </summary>
    private static (double[] Expected, double[] Actual, string Node) InputGradient(double[] values, IEnumerable<(int Position, double Extra)> extras)
    {
        RandomGenerator.ManualSeed(3);
        var model = new RangeOffset();
        var x = Tensor.FromArray(values).Reshape(3, 4);
        x.RequiresGrad = true;
        var y = model.Call(x);
        y.Sum().Backward();

        var w = model.Layer.Weight.Detach().ToArray<double>();
        var expected = new double[12];
        for (int i = 0; i < 12; i++)
        {
            for (int o = 0; o < 3; o++) expected[i] += w[(o * 4) + (i % 4)];
        }

        foreach (var (position, extra) in extras) expected[position] += extra;
        return (expected, x.Grad!.ToArray<double>(), y.GradFn!.Name);
    }

    [Fact]
    public void TiesOfTheMaximumAndOfTheMinimumShareTheirGradient()
    {
        // Three positions hold the maximum 5, two the minimum −5.
        double[] values = [0.1, 5, -0.3, 0.4, -5, 0.2, 0.7, 5, -0.6, 0.5, -5, 5];
        var (expected, actual, node) = InputGradient(values, [(1, 3), (7, 3), (11, 3), (4, -2.25), (10, -2.25)]);
        Assert.Equal("RangeOffsetBackward", node);
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void ANaNIsTheExtremumAndTakesItsWholeGradientWhileTheOtherPositionsGetZero()
    {
        // torch.max() of a tensor holding a NaN is NaN, and the gradient goes to the NaN alone (amax's rule would make every position NaN).
        double[] values = [0.1, 5, -0.3, 0.4, -5, double.NaN, 0.7, 5, -0.6, 0.5, -5, 5];
        var (expected, actual, node) = InputGradient(values, [(5, 9 - 4.5)]);
        Assert.Equal("RangeOffsetBackward", node);
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], actual[i], 12);
    }
}

/// <summary>A layer's output shifted by its input's extremes (float64): <c>l(x) + x.Max() − 0.5·x.Min()</c>.</summary>
public sealed partial class RangeOffset : Module
{
    private readonly Linear l = new(4, 3, dtype: DType.Float64);

    /// <summary>The layer.</summary>
    public Linear Layer => l;

    public override Tensor Forward(Tensor x) => l.Forward(x) + x.Max() - (0.5 * x.Min());
}

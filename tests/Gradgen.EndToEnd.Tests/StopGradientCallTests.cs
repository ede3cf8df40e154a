namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A call of a method Gradgen has no derivative for, wrapped in <c>Grad.StopGradient</c>, runs as C# in the forward
/// code and is a constant to the gradient (<see cref="StopGradientCorpus"/>): the generated value is the method's, and
/// the generated gradient is the derivative with the wrapped call held fixed.
/// </summary>
public sealed class StopGradientCallTests
{
    public static TheoryData<double, double> Points => new() { { 0.3, 0.7 }, { 1.25, -2.5 }, { -0.8, 3.1 }, { 2, 2 } };

    [Theory]
    [MemberData(nameof(Points))]
    public void TheWrappedCallIsAConstantFactorOfTheGradient(double x, double y)
    {
        double held = StopGradientCorpus.Fraction(x * y) + 1;

        double value = StopGradientCorpus.WeightedWithGradient(x, y, out double dx, out double dy);

        Assert.Equal(StopGradientCorpus.Weighted(x, y), value, 12);
        Assert.Equal(x * y * held, value, 12);
        Assert.Equal(y * held, dx, 12);
        Assert.Equal(x * held, dy, 12);
    }

    [Theory]
    [InlineData(0.2f)]
    [InlineData(0.6f)]
    [InlineData(0.9f)]
    [InlineData(-0.75f)]
    public void AnIntegerHelperOfALocalIsAConstantFactorOfTheGradient(float x)
    {
        float held = StopGradientCorpus.Bucket(x * x, 4);

        float value = StopGradientCorpus.QuantizedWithGradient(x, out float dx);

        Assert.Equal((x * x * held) + x, value, 6);
        Assert.Equal((2 * x * held) + 1, dx, 5);
    }

    [Theory]
    [InlineData(0.4f)]
    [InlineData(1.5f)]
    [InlineData(-2.25f)]
    public void AnIntegerCastOfAnArgumentIsTruncatedAndHasNoGradient(float x)
    {
        float held = StopGradientCorpus.Bucket(x * 0.5f, (int)x + 3);

        float value = StopGradientCorpus.SteppedWithGradient(x, out float dx);

        Assert.Equal(x * held, value, 6);
        Assert.Equal(held, dx, 6);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.7)]
    [InlineData(-0.4)]
    public void AMethodThatInlinesAWrappedCallHoldsItFixedToo(double x)
    {
        double held = StopGradientCorpus.Fraction(x * 2) + 1;

        double value = StopGradientCorpus.ThroughACallWithGradient(x, out double dx);

        Assert.Equal((x * 2 * held) + x, value, 12);
        Assert.Equal((2 * held) + 1, dx, 12);
    }
}

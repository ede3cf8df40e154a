using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The rewrites the graph builder applies to kernel IR as it is built. Each one must give the same bits as the code it
/// replaces, in float and in double, since kernels are compared against PyTorch and finite differences.
/// </summary>
public sealed class GraphBuilderTests
{
    private static readonly double[] Values = { 0.0, -0.0, 1.5, -3.25, 1e-310, 1e308, -1e308, double.MaxValue, double.Epsilon, double.PositiveInfinity, double.NaN, 0.1, 1.0 / 3 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NegatedValueMinusItselfIsOneProductByMinusTwo(bool isFloat)
    {
        // The sum of two negated gradient contributions of one value: (x − 5)·(x − 5) sends −g·(x − 5) twice.
        var b = new GraphBuilder(isFloat);
        int a = b.Parameter(0);
        int node = b.Subtract(b.Negate(a), a);

        Assert.Equal(Op.Multiply, b[node].Op);
        Assert.True(b.IsConstant(b[node].Args[0], -2) || b.IsConstant(b[node].Args[1], -2), "−a − a is built as a·(−2)");
        foreach (double value in Values)
        {
            if (isFloat)
            {
                float v = (float)value;
                AssertSame(-v - v, v * -2f);
            }
            else
            {
                AssertSame(-value - value, value * -2.0);
            }
        }
    }

    /// <summary>The same bits, or both NaN (IEEE 754 leaves the sign of a NaN result unspecified, and x86 differs here).</summary>
    private static void AssertSame(double expected, double actual)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(double.IsNaN(actual), $"{actual} should be NaN");
            return;
        }

        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
    }
}

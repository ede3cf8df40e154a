using static Gradgen.EndToEnd.Tests.Loops.RowTensors;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of methods with <c>T[]</c> parameters: a <c>T[]</c> parameter takes rows like a
/// <c>ReadOnlySpan&lt;T&gt;</c>. The method itself gets each row copied into one array per chunk of rows (its
/// parameter is an array); the gradient goes through <c>FAccumulateGradient</c>, which takes spans and needs no copy.
/// Each test compares with the array method called row by row.
/// </summary>
public sealed class RowwiseArrayTests
{
    [Theory]
    [InlineData(5, 7)]
    [InlineData(4096, 16)]
    public void AnArrayParameterTakesTheLastDimensionAndGivesTheArrayMethodsValuesAndGradients(int rows, int n)
    {
        // 4096 rows of 16 are enough work for the rows to be split across Gradgen's threads, each chunk with its own copy.
        var data = Random(21, rows * n);
        var x = Leaf(data, rows, n);
        var y = LoopCorpus.HalfSquare(x);
        Assert.Equal([rows], y.Shape.ToArray());
        Assert.Equal("HalfSquareBackward", y.GradFn!.Name);

        var weights = Random(22, rows);
        (y * Tensor.FromArray(weights)).Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        var dx = new double[n];
        for (int r = 0; r < rows; r++)
        {
            double[] row = data.AsSpan(r * n, n).ToArray();
            // With autograd the value is FAccumulateGradient's, whose sum may run on vectors: equal up to rounding.
            Assert.Equal(LoopCorpus.HalfSquare(row), values[r], tolerance: 1e-12 * (1 + Math.Abs(values[r])));
            LoopCorpus.HalfSquareWithGradient(row, dx);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(weights[r] * dx[i], grads[(r * n) + i], 14);
            }
        }

        using (Autograd.NoGrad())
        {
            var inference = LoopCorpus.HalfSquare(x).ToArray<double>();
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(LoopCorpus.HalfSquare(data.AsSpan(r * n, n).ToArray()), inference[r]);
            }
        }
    }

    [Fact]
    public void AVoidMethodWithAnArrayParameterReturnsItsOutputRowsAndTheirVectorJacobianProduct()
    {
        const int rows = 6, n = 5;
        var xData = Random(23, rows * n);
        var wData = Random(24, n);
        var x = Leaf(xData, rows, n);
        var w = Leaf(wData, n);
        var y = ArrayRowCorpus.WeightedSquares(x, w);
        Assert.Equal([rows, n], y.Shape.ToArray());
        Assert.Equal("WeightedSquaresBackward", y.GradFn!.Name);

        var weights = Random(25, rows * n);
        (y * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward();
        var values = y.ToArray<double>();
        var gradX = x.Grad!.ToArray<double>();
        var gradW = w.Grad!.ToArray<double>();
        var expectedW = new double[n];
        for (int r = 0; r < rows; r++)
        {
            double[] row = xData.AsSpan(r * n, n).ToArray();
            var expected = new double[n];
            ArrayRowCorpus.WeightedSquares(row, wData, expected);
            var dx = new double[n];
            var dw = new double[n];
            ArrayRowCorpus.WeightedSquaresBackward(row, wData, weights.AsSpan(r * n, n), dx, dw);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expected[i], values[(r * n) + i], 14);
                Assert.Equal(dx[i], gradX[(r * n) + i], 14);
                expectedW[i] += dw[i];
            }
        }

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expectedW[i], gradW[i], 12);
        }
    }

    [Fact]
    public void GradCheckAgreesOnArrayParameters()
    {
        var x = Leaf(Random(26, 3 * 4), 3, 4);
        var w = Leaf(Random(27, 3 * 4), 3, 4);
        var check = GradCheck.Run(args => ArrayRowCorpus.WeightedSquares(args[0], args[1]), [x, w]);
        Assert.True(check.Passed, check.ToString());
    }
}

/// <summary>A method with a <c>T[]</c> parameter and a span output, for its tensor overload.</summary>
public static partial class ArrayRowCorpus
{
    /// <summary>yᵢ = wᵢ·xᵢ² + sin(xᵢ).</summary>
    [Differentiable]
    public static void WeightedSquares(double[] x, ReadOnlySpan<double> w, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (w[i] * x[i] * x[i]) + Math.Sin(x[i]);
        }
    }
}

using static Gradgen.EndToEnd.Tests.Loops.RowTensors;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of <c>void</c> methods with one <c>Span</c> output: <c>LoopCorpus.Softmax(Tensor x)</c> maps the
/// method over the rows of x and returns the rows it writes, shaped [leading…, output row length]; one graph node,
/// <c>{Name}Backward</c>, calls the generated <c>FBackward</c> per row with that row's output gradient. The output row
/// is as long as the first span argument's row unless <c>outputLength</c> is given (required when there is no span
/// argument). Each test compares with the span method called row by row.
/// </summary>
public sealed class RowwiseOutputTests
{
    [Fact]
    public void SoftmaxOverRowsIsOneNodeWithTheSpanMethodsRowsAndGradients()
    {
        const int rows = 37, n = 11;
        var data = Random(1, rows * n);
        var x = Leaf(data, rows, n);
        var y = LoopCorpus.Softmax(x);
        Assert.Equal([rows, n], y.Shape.ToArray());
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal("SoftmaxBackward", y.GradFn!.Name);

        var weights = Random(2, rows * n);
        (y * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        var expected = new double[n];
        var expectedGrad = new double[n];
        for (int r = 0; r < rows; r++)
        {
            LoopCorpus.Softmax(data.AsSpan(r * n, n), expected);
            LoopCorpus.SoftmaxBackward(data.AsSpan(r * n, n), weights.AsSpan(r * n, n), expectedGrad);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expected[i], values[(r * n) + i], 15);
                Assert.Equal(expectedGrad[i], grads[(r * n) + i], 14);
            }
        }
    }

    [Fact]
    public void AnOutputLongerOrShorterThanTheFirstSpanIsGivenAsOutputLengthAndASharedRowsGradientIsSummed()
    {
        // MatVec(a, x, y): a is [2, 3, 12], one 3×4 matrix per row; x is [4], one vector shared by all six rows; y has 3.
        const int m = 3, n = 4;
        var aData = Random(3, 6 * m * n);
        var xData = Random(4, n);
        var a = Leaf(aData, 2, 3, m * n);
        var x = Tensor.FromArray(xData, requiresGrad: true);
        var y = LoopCorpus.MatVec(a, x, outputLength: m);
        Assert.Equal([2, 3, m], y.Shape.ToArray());
        Assert.Equal("MatVecBackward", y.GradFn!.Name);

        var weights = Random(5, 6 * m);
        (y * Tensor.FromArray(weights).Reshape(2, 3, m)).Sum().Backward();
        var values = y.ToArray<double>();
        var gradA = a.Grad!.ToArray<double>();
        var expectedX = new double[n];
        for (int r = 0; r < 6; r++)
        {
            var row = new double[m];
            LoopCorpus.MatVec(aData.AsSpan(r * m * n, m * n), xData, row);
            var da = new double[m * n];
            var dx = new double[n];
            LoopCorpus.MatVecBackward(aData.AsSpan(r * m * n, m * n), xData, weights.AsSpan(r * m, m), da, dx);
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(row[i], values[(r * m) + i], 14);
            }

            for (int k = 0; k < m * n; k++)
            {
                Assert.Equal(da[k], gradA[(r * m * n) + k], 14);
            }

            for (int j = 0; j < n; j++)
            {
                expectedX[j] += dx[j];
            }
        }

        var gradX = x.Grad!.ToArray<double>();
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(expectedX[j], gradX[j], 13);
        }
    }

    [Fact]
    public void WithoutOutputLengthTheOutputRowIsAsLongAsTheFirstSpansRow()
    {
        var data = Random(6, 3 * 6, 1);
        var y = LoopCorpus.CumulativeProduct(Tensor.FromArray(data).Reshape(3, 6));
        Assert.Equal([3, 6], y.Shape.ToArray());
        var values = y.ToArray<double>();
        var expected = new double[6];
        for (int r = 0; r < 3; r++)
        {
            LoopCorpus.CumulativeProduct(data.AsSpan(r * 6, 6), expected);
            Assert.Equal(expected, values.AsSpan(r * 6, 6).ToArray());
        }
    }

    [Fact]
    public void AScalarTakesOneValuePerRowAndAnIntIsOneForAllRowsOrAnIntegerTensorWithOnePerRow()
    {
        // ScaledRotation(x, a, k, y): x [4, 5], a [4] (one scale per row), k = 2 for all rows or [0, 1, 3, 4] per row.
        const int rows = 4, n = 5;
        var xData = Random(7, rows * n);
        double[] aData = [0.5, -1.5, 2.0, 3.0];
        long[] shifts = [0, 1, 3, 4];
        foreach (bool perRow in new[] { false, true })
        {
            var x = Leaf(xData, rows, n);
            var a = Tensor.FromArray(aData, requiresGrad: true);
            var y = perRow ? LoopCorpus.ScaledRotation(x, a, Tensor.FromArray(shifts)) : LoopCorpus.ScaledRotation(x, a, 2);
            Assert.Equal([rows, n], y.Shape.ToArray());
            var weights = Random(8, rows * n);
            (y * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward();
            var values = y.ToArray<double>();
            var gradX = x.Grad!.ToArray<double>();
            var gradA = a.Grad!.ToArray<double>();
            for (int r = 0; r < rows; r++)
            {
                int k = perRow ? (int)shifts[r] : 2;
                var expected = new double[n];
                LoopCorpus.ScaledRotation(xData.AsSpan(r * n, n), aData[r], k, expected);
                var dx = new double[n];
                LoopCorpus.ScaledRotationBackward(xData.AsSpan(r * n, n), aData[r], k, weights.AsSpan(r * n, n), dx, out double da);
                Assert.Equal(expected, values.AsSpan(r * n, n).ToArray());
                Assert.Equal(dx, gradX.AsSpan(r * n, n).ToArray());
                Assert.Equal(da, gradA[r], 14);
            }
        }
    }

    [Fact]
    public void WithoutASpanArgumentTheOutputLengthIsRequiredAndScalarsBroadcast()
    {
        // Powers(x, y): yᵢ = xⁱ; x is [3, 1] against nothing else, so the output is [3, 1, 5].
        var overload = typeof(LoopCorpus).GetMethod(nameof(LoopCorpus.Powers), [typeof(Tensor), typeof(int)]);
        Assert.NotNull(overload);
        Assert.False(overload.GetParameters()[1].IsOptional);
        Assert.Equal(typeof(int?), typeof(LoopCorpus).GetMethod(nameof(LoopCorpus.Softmax), [typeof(Tensor), typeof(int?)])!.GetParameters()[1].ParameterType);

        double[] points = [-1.5, 0.5, 2.0];
        var x = Leaf(points, 3, 1);
        var y = LoopCorpus.Powers(x, 5);
        Assert.Equal([3, 1, 5], y.Shape.ToArray());
        y.Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        for (int r = 0; r < 3; r++)
        {
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(Math.Pow(points[r], i), values[(r * 5) + i], 14);
            }

            Assert.Equal(1 + (2 * points[r]) + (3 * points[r] * points[r]) + (4 * Math.Pow(points[r], 3)), grads[r], 13);
        }
    }

    [Fact]
    public void GradCheckAgreesOnABatchOfSoftmaxRowsAndMatrixVectorProducts()
    {
        var x = Leaf(Random(9, 4 * 7), 4, 7);
        var softmax = GradCheck.Run(args => LoopCorpus.Softmax(args[0]), [x]);
        Assert.True(softmax.Passed, softmax.ToString());

        var a = Leaf(Random(10, 3 * 2 * 5), 3, 2 * 5);
        var v = Leaf(Random(11, 3 * 5), 3, 5);
        var matVec = GradCheck.Run(args => LoopCorpus.MatVec(args[0], args[1], outputLength: 2), [a, v]);
        Assert.True(matVec.Passed, matVec.ToString());
    }

    [Fact]
    public void ManyRowsRunOnSeveralThreadsAndGiveTheSameGradientAsOneRowAtATime()
    {
        // 4096 rows of 16: enough work for the rows to be split across Gradgen's threads.
        const int rows = 4096, n = 16;
        var data = Random(12, rows * n);
        var weights = Random(13, rows * n);
        var x = Leaf(data, rows, n);
        (LoopCorpus.Softmax(x) * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward();
        var grads = x.Grad!.ToArray<double>();
        var expected = new double[n];
        for (int r = 0; r < rows; r += 97)
        {
            LoopCorpus.SoftmaxBackward(data.AsSpan(r * n, n), weights.AsSpan(r * n, n), expected);
            Assert.Equal(expected, grads.AsSpan(r * n, n).ToArray());
        }
    }

    [Fact]
    public void FloatMethodsComputeInFloat32AndTheGradientIsInTheArgumentsDType()
    {
        var data = Random(14, 2 * 5);
        var x = Leaf(data, 2, 5);
        var y = LoopCorpusF.Softmax(x);
        Assert.Equal(DType.Float32, y.DType);
        var values = y.ToArray<float>();
        var expected = new float[5];
        for (int r = 0; r < 2; r++)
        {
            LoopCorpusF.Softmax(data.Skip(r * 5).Take(5).Select(v => (float)v).ToArray(), expected);
            Assert.Equal(expected, values.AsSpan(r * 5, 5).ToArray());
        }

        float[] weights = [1, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        (y * Tensor.FromArray(weights).Reshape(2, 5)).Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        var grads = x.Grad!.ToArray<double>();
        var reference = new float[5];
        for (int r = 0; r < 2; r++)
        {
            LoopCorpusF.SoftmaxBackward(data.Skip(r * 5).Take(5).Select(v => (float)v).ToArray(), weights.AsSpan(r * 5, 5), reference);
            Assert.Equal(reference.Select(v => (double)v).ToArray(), grads.AsSpan(r * 5, 5).ToArray());
        }
    }

    [Fact]
    public void WithoutGradientsNoNodeIsRecorded()
    {
        Assert.Null(LoopCorpus.Softmax(Tensor.FromArray(Random(15, 12)).Reshape(3, 4)).GradFn);
        var withGrad = Leaf(Random(15, 12), 3, 4);
        using (Autograd.NoGrad())
        {
            Assert.Null(LoopCorpus.Softmax(withGrad).GradFn);
        }
    }

    [Fact]
    public void LeadingShapesThatDoNotBroadcastANegativeLengthAndAScalarForASpanAreRejectedNamingTheValues()
    {
        var shapes = Assert.Throws<ArgumentException>(() => LoopCorpus.MatVec(Tensor.Zeros(2, 12), Tensor.Zeros(3, 4), outputLength: 3));
        Assert.Contains("MatVec", shapes.Message);
        Assert.Contains("[2]", shapes.Message);
        Assert.Contains("[3]", shapes.Message);

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => LoopCorpus.MatVec(Tensor.Zeros(2, 12), Tensor.Zeros(4), outputLength: -1));
        Assert.Contains("MatVec", negative.Message);
        Assert.Contains("-1", negative.Message);

        var scalar = Assert.Throws<ArgumentException>(() => LoopCorpus.Softmax(Tensor.Scalar(1.0, DType.Float64)));
        Assert.Contains("Softmax", scalar.Message);
        Assert.Contains("span", scalar.Message);

        // An output row longer than the method can fill fails in the method's own indexing, as the span call would.
        Assert.Throws<IndexOutOfRangeException>(() => LoopCorpus.MatVec(Tensor.Zeros(2, 12), Tensor.Zeros(4), outputLength: 4));
    }
}

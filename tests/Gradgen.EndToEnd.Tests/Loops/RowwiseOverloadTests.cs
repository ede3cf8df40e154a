using static Gradgen.EndToEnd.Tests.Loops.RowTensors;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of methods over spans: <c>LoopCorpus.LogSumExp(Tensor)</c> maps the method over the rows of a
/// tensor's last dimension, the leading dimensions of all arguments broadcast, one graph node records
/// <c>{Name}Backward</c>, and its gradients are the generated per-row gradients summed back to each argument's shape.
/// Each test compares with the span method called row by row.
/// </summary>
public sealed class RowwiseOverloadTests
{
    [Fact]
    public void LogSumExpOverRowsIsOneNodeWithTheSpanMethodsValuesAndGradients()
    {
        const int rows = 37, n = 11;
        var data = Random(1, rows * n);
        var x = Leaf(data, rows, n);
        var y = LoopCorpus.LogSumExp(x);
        Assert.Equal([rows], y.Shape.ToArray());
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal("LogSumExpBackward", y.GradFn!.Name);

        var weights = Random(2, rows);
        (y * Tensor.FromArray(weights)).Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        for (int r = 0; r < rows; r++)
        {
            var row = data.AsSpan(r * n, n);
            var expectedGrad = new double[n];
            double expected = LoopCorpus.LogSumExpWithGradient(row, expectedGrad);
            Assert.Equal(expected, values[r], 14);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(weights[r] * expectedGrad[i], grads[(r * n) + i], 14);
            }
        }
    }

    [Fact]
    public void AOneDimensionalTensorIsOneRowAndGivesAScalar()
    {
        var data = new[] { 0.5, -1.5, 2.0, 3.25 };
        var x = Tensor.FromArray(data, requiresGrad: true);
        var y = LoopCorpus.LogSumExp(x);
        Assert.Empty(y.Shape.ToArray());
        Assert.Equal(LoopCorpus.LogSumExp(data.AsSpan()), y.Item<double>(), 14);
        y.Backward();
        var expected = new double[4];
        LoopCorpus.LogSumExpWithGradient(data, expected);
        Assert.Equal(expected, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void RowsOfTwoArgumentsBroadcastAndTheGradientOfTheSharedRowIsSummed()
    {
        // a: [2, 3, 4] rows against x: [4], one row shared by all six: Dot(a[i, j], x).
        var aData = Random(3, 24);
        var xData = Random(4, 4);
        var a = Leaf(aData, 2, 3, 4);
        var x = Tensor.FromArray(xData, requiresGrad: true);
        var y = LoopCorpus.Dot(a, x);
        Assert.Equal([2, 3], y.Shape.ToArray());
        y.Sum().Backward();

        var expectedX = new double[4];
        var values = y.ToArray<double>();
        for (int r = 0; r < 6; r++)
        {
            Assert.Equal(LoopCorpus.Dot(aData.AsSpan(r * 4, 4), xData), values[r], 14);
            for (int i = 0; i < 4; i++)
            {
                expectedX[i] += aData[(r * 4) + i];
            }
        }

        var gradX = x.Grad!.ToArray<double>();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expectedX[i], gradX[i], 13);
        }

        var gradA = a.Grad!.ToArray<double>();
        for (int k = 0; k < 24; k++)
        {
            Assert.Equal(xData[k % 4], gradA[k], 14);
        }
    }

    [Fact]
    public void AScalarParameterTakesOneValuePerRowAndBroadcasts()
    {
        // Horner(c, x): c is [5] shared, x is [3, 1] against c's rows broadcast to [3, 1] leading shape.
        var cData = new[] { 1.0, -2.0, 0.5, 0.25, -0.125 };
        var xData = new[] { -1.5, 0.25, 2.0 };
        var c = Tensor.FromArray(cData, requiresGrad: true);
        var x = Leaf(xData, 3, 1);
        var y = LoopCorpus.Horner(c, x);
        Assert.Equal([3, 1], y.Shape.ToArray());
        y.Sum().Backward();

        var values = y.ToArray<double>();
        var gradX = x.Grad!.ToArray<double>();
        var expectedC = new double[5];
        for (int r = 0; r < 3; r++)
        {
            var dc = new double[5];
            double value = LoopCorpus.HornerWithGradient(cData, xData[r], dc, out double dx);
            Assert.Equal(value, values[r], 14);
            Assert.Equal(dx, gradX[r], 13);
            for (int i = 0; i < 5; i++)
            {
                expectedC[i] += dc[i];
            }
        }

        var gradC = c.Grad!.ToArray<double>();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expectedC[i], gradC[i], 13);
        }
    }

    [Fact]
    public void ClassLabelsAreAnIntegerTensorWithOneLabelPerRow()
    {
        const int rows = 6, classes = 5;
        var data = Random(5, rows * classes, 3);
        long[] labels = [0, 4, 2, 2, 1, 3];
        var logits = Leaf(data, rows, classes);
        var loss = LoopCorpus.SoftmaxCrossEntropy(logits, Tensor.FromArray(labels));
        Assert.Equal("SoftmaxCrossEntropyBackward", loss.GradFn!.Name);
        loss.Mean().Backward();

        // The same loss as PyTorch's cross_entropy with reduction 'mean', computed by the runtime.
        var reference = Leaf(data, rows, classes);
        var expectedLoss = Gradgen.Nn.Functional.CrossEntropy(reference, Tensor.FromArray(labels));
        expectedLoss.Backward();
        Assert.Equal(expectedLoss.Item<double>(), loss.Mean().Item<double>(), 13);
        var grads = logits.Grad!.ToArray<double>();
        var expectedGrads = reference.Grad!.ToArray<double>();
        for (int i = 0; i < grads.Length; i++)
        {
            Assert.Equal(expectedGrads[i], grads[i], 13);
        }

        // An int parameter given as a plain int applies to every row.
        var first = LoopCorpus.SoftmaxCrossEntropy(Tensor.FromArray(data).Reshape(rows, classes), 0).ToArray<double>();
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(LoopCorpus.SoftmaxCrossEntropy(data.AsSpan(r * classes, classes), 0), first[r], 14);
        }
    }

    [Fact]
    public void ALabelThatIsNotAClassFailsInTheMethodsOwnBoundsCheck()
    {
        var logits = Tensor.Zeros(2, 3);
        Assert.Throws<IndexOutOfRangeException>(() => LoopCorpus.SoftmaxCrossEntropy(logits, Tensor.FromArray(new long[] { 1, 3 })));
    }

    [Fact]
    public void ManyRowsRunOnSeveralThreadsAndGiveTheSameGradientAsOneRowAtATime()
    {
        // 4096 rows of 16: enough work for the rows to be split across Gradgen's threads.
        const int rows = 4096, n = 16;
        var data = Random(6, rows * n);
        var x = Leaf(data, rows, n);
        LoopCorpus.LogSumExp(x).Sum().Backward();
        var grads = x.Grad!.ToArray<double>();
        var expected = new double[n];
        for (int r = 0; r < rows; r += 97)
        {
            LoopCorpus.LogSumExpWithGradient(data.AsSpan(r * n, n), expected);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expected[i], grads[(r * n) + i], 14);
            }
        }
    }

    [Fact]
    public void FloatMethodsComputeInFloat32AndConvertTheirInputs()
    {
        var a = Leaf([1.0, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.FromArray(new float[] { 0.5f, -1f, 2f });
        var y = LoopCorpus.DotF(a, b);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(new[] { 4.5f, 9f }, y.ToArray<float>());
        y.Sum().Backward();
        Assert.Equal(DType.Float64, a.Grad!.DType);
        Assert.Equal(new[] { 0.5, -1, 2, 0.5, -1, 2 }, a.Grad!.ToArray<double>());
    }

    [Fact]
    public void CustomDerivativesAndScalarLoopFunctionsMapOverEveryElement()
    {
        var x = Tensor.FromArray(new[] { -40.0, -1, 0, 2, 35 }, requiresGrad: true);
        var y = LoopCorpus.Softplus(x);
        Assert.Equal("SoftplusBackward", y.GradFn!.Name);
        y.Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        double[] points = [-40, -1, 0, 2, 35];
        for (int i = 0; i < points.Length; i++)
        {
            Assert.Equal(LoopCorpus.Softplus(points[i]), values[i], 15);
            Assert.Equal(1 / (1 + Math.Exp(-points[i])), grads[i], 15);
        }
    }

    [Fact]
    public void GradCheckAgreesOnABatchOfRnnSequences()
    {
        var xs = Leaf(Random(7, 3 * 8, 1), 3, 8);
        var w = Tensor.FromArray(new[] { 0.7 }, requiresGrad: true);
        var u = Tensor.FromArray(new[] { -0.3, 0.4, 1.1 }, requiresGrad: true);
        var b = Tensor.Scalar(0.1, DType.Float64, requiresGrad: true);
        var result = GradCheck.Run(args => LoopCorpus.Rnn(args[0], args[1], args[2], args[3]), [xs, w, u, b]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void ASpanArgumentWithoutADimensionOrLeadingShapesThatDoNotBroadcastAreRejectedNamingTheShapes()
    {
        var scalar = Assert.Throws<ArgumentException>(() => LoopCorpus.LogSumExp(Tensor.Scalar(1.0, DType.Float64)));
        Assert.Contains("LogSumExp", scalar.Message);
        Assert.Contains("span", scalar.Message);

        var shapes = Assert.Throws<ArgumentException>(() => LoopCorpus.Dot(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4)));
        Assert.Contains("[2]", shapes.Message);
        Assert.Contains("[3]", shapes.Message);

        var labels = Assert.Throws<ArgumentException>(() => LoopCorpus.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), Tensor.Zeros(2)));
        Assert.Contains("integer tensor", labels.Message);
    }

    [Fact]
    public void WithoutGradientsNoNodeIsRecorded()
    {
        var x = Tensor.FromArray(Random(8, 12)).Reshape(3, 4);
        Assert.Null(LoopCorpus.LogSumExp(x).GradFn);
        var withGrad = Leaf(Random(8, 12), 3, 4);
        using (Autograd.NoGrad())
        {
            Assert.Null(LoopCorpus.LogSumExp(withGrad).GradFn);
        }
    }
}

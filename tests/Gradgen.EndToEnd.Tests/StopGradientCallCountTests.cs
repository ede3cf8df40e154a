namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A call wrapped in <c>Grad.StopGradient</c> runs exactly as often as the method's own code runs it, in the
/// generated <c>FWithGradient</c> and <c>FBackward</c> as in the method: its value is computed in the forward sweep
/// and reused by the backward sweep (recorded per iteration in a loop), never recomputed. In a tensor overload the
/// forward keeps the values for the node's backward (<c>StopGradientValues</c>), which reads them instead of calling. So a helper with a side
/// effect (<see cref="StopGradientCorpus.CountedStep"/> counts its calls) or a random draw
/// (<see cref="StopGradientCorpus.Draw"/>) behaves as in the method, and the gradient is the one of the forward's values.
/// </summary>
public sealed class StopGradientCallCountTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 7, 100 };

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.7)]
    [InlineData(-0.8)]
    public void AScalarMethodCallsTheHelperOnceInTheMethodAndInItsGradient(double x)
    {
        double expected = CallsTheHelper(1, () => StopGradientCorpus.CountedScalar(x));

        double dx = 0;
        double value = CallsTheHelper(1, () => StopGradientCorpus.CountedScalarWithGradient(x, out dx));

        double held = Math.Round(x * 4) / 4;
        Assert.Equal(expected, value, 12);
        Assert.Equal((2 * x * held) + 1, dx, 12);
        double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.CountedScalar(p[0]), new[] { x });
        AgreesWithFiniteDifference(fd[0], dx);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ALoopCallsTheHelperOncePerIterationInTheMethodAndInItsGradient(int n)
    {
        double[] x = Points(n);

        double expected = CallsTheHelper(n, () => StopGradientCorpus.CountedSum(x));

        var dx = new double[n];
        double value = CallsTheHelper(n, () => StopGradientCorpus.CountedSumWithGradient(x, dx));

        Assert.Equal(expected, value, 10);
        double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.CountedSum(p), x);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(2 * x[i] * Math.Round(x[i] * 4) / 4, dx[i], 12);
            AgreesWithFiniteDifference(fd[i], dx[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheVectorJacobianProductCallsTheHelperOncePerElement(int n)
    {
        double[] x = Points(n);
        double[] dy = x.Select((_, i) => 0.5 + (0.25 * i)).ToArray();

        CallsTheHelper(n, () => StopGradientCorpus.CountedScale(x, new double[n]));

        var dx = new double[n];
        CallsTheHelper(n, () => StopGradientCorpus.CountedScaleBackward(x, dy, dx));

        double WeightedOutputs(double[] p)
        {
            var y = new double[n];
            StopGradientCorpus.CountedScale(p, y);
            return y.Select((v, i) => v * dy[i]).Sum();
        }

        double[] fd = Gradients.FiniteDifference(WeightedOutputs, x);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(dy[i] * Math.Cos(x[i]) * ((Math.Round(x[i] * 4) / 4) + 1), dx[i], 12);
            AgreesWithFiniteDifference(fd[i], dx[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void ARunningMaximumOfWrappedCallsCallsTheHelperOncePerIteration(int n)
    {
        double[] x = Points(n);

        double expected = CallsTheHelper(n, () => StopGradientCorpus.CountedMax(x));

        var dx = new double[n];
        double value = CallsTheHelper(n, () => StopGradientCorpus.CountedMaxWithGradient(x, dx));

        // The points repeat every 8 elements: from 9 on the maximum ties, and Max's ties split the gradient among them.
        Assert.Equal(expected, value, 12);
        double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.CountedMax(p), x);
        bool[] wins = x.Select(v => v * ((Math.Round(v * 4) / 4) + 2) == expected).ToArray();
        double held = (Math.Round(x[Array.IndexOf(wins, true)] * 4) / 4) + 2;
        Assert.Equal(held, dx.Where((_, i) => wins[i]).Sum(), 12);
        for (int i = 0; i < n; i++)
        {
            Assert.True(wins[i] || dx[i] == 0, $"dx[{i}] = {dx[i]} at a candidate below the maximum");
            if (n <= 8)
            {
                AgreesWithFiniteDifference(fd[i], dx[i]);
            }
        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 40)]
    [InlineData(3, 1)]
    public void ARandomDrawGivesTheGradientOfTheForwardsDraws(int seed, int n)
    {
        double[] x = Points(n);
        var dx = new double[n];
        StopGradientCorpus.Random = new Random(seed);
        double value = StopGradientCorpus.JitteredWithGradient(x, dx);

        // The same seed replays the forward's draws, one per element in order; another draw in the backward sweep
        // would give a gradient from other values.
        var replay = new Random(seed);
        double[] draws = x.Select(v => v + 1 + replay.NextDouble()).ToArray();
        StopGradientCorpus.Random = new Random(seed);
        Assert.Equal(StopGradientCorpus.Jittered(x), value, 12);
        Assert.Equal(x.Select((v, i) => v * v * draws[i]).Sum(), value, 10);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(2 * x[i] * draws[i], dx[i], 12);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ASpanMethodCallingAnotherCallsTheHelperOncePerElementInItsGradient(int n)
    {
        double[] x = Points(n);
        double sum = CallsTheHelper(n, () => StopGradientCorpus.CountedSum(x));
        double expected = CallsTheHelper(n, () => StopGradientCorpus.ThroughASpanCall(x, 1.5));

        // The caller's forward sweep runs the callee's gradient at seed 1 once and keeps it; the backward sweep scales it.
        var dx = new double[n];
        double dscale = 0;
        double value = CallsTheHelper(n, () => StopGradientCorpus.ThroughASpanCallWithGradient(x, 1.5, dx, out dscale));

        Assert.Equal(expected, value, 12);
        Assert.Equal(sum, dscale, 12);
        double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.ThroughASpanCall(p, 1.5), x);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(1.5 * 2 * x[i] * Math.Round(x[i] * 4) / 4, dx[i], 12);
            AgreesWithFiniteDifference(fd[i], dx[i]);
        }
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(3, 7)]
    [InlineData(5, 1)]
    public void ALoopOfSpanCallsCallsTheHelperOncePerElementInItsGradient(int rows, int n)
    {
        double[] a = Points(rows * n).Select((v, i) => v + (0.05 * (i / n))).ToArray();
        double expected = CallsTheHelper(rows * n, () => StopGradientCorpus.SquaredRowSums(a, rows));

        var da = new double[rows * n];
        double value = CallsTheHelper(rows * n, () => StopGradientCorpus.SquaredRowSumsWithGradient(a, rows, da));

        Assert.Equal(expected, value, 12);
        double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.SquaredRowSums(p, rows), a);
        for (int r = 0; r < rows; r++)
        {
            double rowSum = a.Skip(r * n).Take(n).Sum(v => v * v * Math.Round(v * 4) / 4);
            for (int j = r * n; j < (r + 1) * n; j++)
            {
                Assert.Equal(2 * rowSum * 2 * a[j] * Math.Round(a[j] * 4) / 4, da[j], 11);
                AgreesWithFiniteDifference(fd[j], da[j]);
            }
        }
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(6, 5)]
    [InlineData(4, 0)]
    public void TheTensorOverloadCallsTheHelperOncePerElementForwardAndBackwardTogether(int rows, int n)
    {
        double[] data = Points(rows * n);
        double[] weights = Enumerable.Range(0, rows).Select(r => 0.5 + (0.75 * r)).ToArray();
        var x = Tensor.FromArray(data, requiresGrad: true);

        // With autograd the forward computes each row's gradient with its value; the backward only scales it.
        var y = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedSum(x.Reshape(rows, n)));
        Assert.Equal("CountedSumBackward", y.GradFn!.Name);
        CallsTheHelper(0, () => (y * Tensor.FromArray(weights)).Sum().Backward());

        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        for (int r = 0; r < rows; r++)
        {
            double[] row = data.Skip(r * n).Take(n).ToArray();
            Assert.Equal(StopGradientCorpus.CountedSum(row), values[r], 12);
            double[] fd = Gradients.FiniteDifference(p => StopGradientCorpus.CountedSum(p), row);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(weights[r] * 2 * row[i] * Math.Round(row[i] * 4) / 4, grads[(r * n) + i], 12);
                AgreesWithFiniteDifference(weights[r] * fd[i], grads[(r * n) + i]);
            }
        }
    }

    [Fact]
    public void TheTensorOverloadWithoutAutogradCallsTheHelperOncePerElement()
    {
        const int rows = 3, n = 6;
        double[] data = Points(rows * n);
        var y = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedSum(Tensor.FromArray(data).Reshape(rows, n)));
        Assert.Null(y.GradFn);
        Assert.Equal(StopGradientCorpus.CountedSum(data.AsSpan(n, n)), y.ToArray<double>()[1], 12);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(6, 5)]
    [InlineData(4, 0)]
    public void TheTensorOverloadOfAVoidMethodCallsTheHelperOncePerElementForwardAndBackwardTogether(int rows, int n)
    {
        double[] data = Points(rows * n);
        double[] weights = data.Select((_, i) => 0.5 + (0.25 * (i % 6))).ToArray();
        var x = Tensor.FromArray(data, requiresGrad: true);

        // The forward runs the generated forward sweep, which keeps each call's value; the backward reads them.
        var y = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedScale(x.Reshape(rows, n)));
        Assert.Equal("CountedScaleBackward", y.GradFn!.Name);
        CallsTheHelper(0, () => (y * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward());

        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        var expected = new double[rows * n];
        StopGradientCorpus.CountedScale(data, expected);
        for (int i = 0; i < rows * n; i++)
        {
            Assert.Equal(expected[i], values[i], 14);
            Assert.Equal(weights[i] * Math.Cos(data[i]) * ((Math.Round(data[i] * 4) / 4) + 1), grads[i], 12);
        }

        // Without autograd the forward calls the method itself, once per element as well.
        var plain = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedScale(Tensor.FromArray(data).Reshape(rows, n)));
        Assert.Null(plain.GradFn);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 8)]
    public void AWrappedCallInAConditionIsKeptToo(int rows, int n)
    {
        double[] data = Points(rows * n);
        var x = Tensor.FromArray(data, requiresGrad: true);

        var y = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedSigns(x.Reshape(rows, n)));
        CallsTheHelper(0, () => y.Sum().Backward());

        var grads = x.Grad!.ToArray<double>();
        for (int i = 0; i < rows * n; i++)
        {
            Assert.Equal(Math.Round(data[i] * 4) / 4 > 0 ? 2 * data[i] : -1, grads[i], 12);
        }
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(4, 9)]
    public void AFloatMethodsTensorOverloadKeepsItsValuesInFloatToo(int rows, int n)
    {
        float[] data = Points(rows * n).Select(v => (float)v).ToArray();
        var x = Tensor.FromArray(data, requiresGrad: true);

        var y = CallsTheHelper(rows * n, () => StopGradientCorpus.CountedSquaresF(x.Reshape(rows, n)));
        Assert.Equal(DType.Float32, y.DType);
        CallsTheHelper(0, () => y.Sum().Backward());

        var values = y.ToArray<float>();
        var grads = x.Grad!.ToArray<float>();
        for (int i = 0; i < rows * n; i++)
        {
            float held = MathF.Round(data[i] * 4) / 4;
            Assert.Equal(data[i] * data[i] * held, values[i]);
            Assert.Equal(2 * data[i] * held, grads[i]);
        }
    }

    [Fact]
    public void RowsSplitAcrossThreadsEachReplayTheirOwnValues()
    {
        // 4096 rows of 16 run in chunks on Gradgen's threads, each chunk keeping its rows' values; the helper's count
        // is per thread, so only the gradient is checked here: each row's must be the one of its own values.
        const int rows = 4096, n = 16;
        double[] data = Enumerable.Range(0, rows * n).Select(i => -1.3 + (0.37 * (i % 8)) + (0.001 * (i / 64))).ToArray();
        double[] weights = data.Select((_, i) => 0.5 + (0.25 * (i % 6))).ToArray();
        var x = Tensor.FromArray(data, requiresGrad: true);
        (StopGradientCorpus.CountedScale(x.Reshape(rows, n)) * Tensor.FromArray(weights).Reshape(rows, n)).Sum().Backward();
        var grads = x.Grad!.ToArray<double>();
        for (int i = 0; i < rows * n; i++)
        {
            Assert.Equal(weights[i] * Math.Cos(data[i]) * ((Math.Round(data[i] * 4) / 4) + 1), grads[i], 12);
        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(3, 40)]
    public void ARandomDrawInAVoidMethodsTensorOverloadGivesTheGradientOfTheForwardsDraws(int seed, int n)
    {
        double[] data = Points(2 * n);
        var x = Tensor.FromArray(data, requiresGrad: true);
        StopGradientCorpus.Random = new Random(seed);
        var y = StopGradientCorpus.JitteredSquares(x.Reshape(2, n));
        y.Sum().Backward();

        // The same seed replays the forward's draws, one per element in row order; a draw in the backward would give
        // a gradient from other values.
        var replay = new Random(seed);
        double[] draws = data.Select(v => v + 1 + replay.NextDouble()).ToArray();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        for (int i = 0; i < 2 * n; i++)
        {
            Assert.Equal(data[i] * data[i] * draws[i], values[i], 12);
            Assert.Equal(2 * data[i] * draws[i], grads[i], 12);
        }
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 4)]
    public void TheTensorOverloadWithSeveralOutputsCallsTheHelperOncePerCallForwardAndBackwardTogether(int rows, int n)
    {
        double[] data = Points(rows * n);
        var x = Tensor.FromArray(data, requiresGrad: true);

        var (y, z) = CallsTheHelper(2 * rows * n, () => StopGradientCorpus.CountedPair(x.Reshape(rows, n)));
        CallsTheHelper(0, () => (y.Sum() + (3.0 * z.Sum())).Backward());

        var grads = x.Grad!.ToArray<double>();
        for (int i = 0; i < rows * n; i++)
        {
            double held = (Math.Round(data[i] * 4) / 4) + 1, other = Math.Round((data[i] + 0.5) * 4) / 4;
            Assert.Equal((Math.Cos(data[i]) * held) + (3 * other), grads[i], 12);
        }
    }

    [Theory]
    [InlineData(2, 3, 4)]
    [InlineData(1, 1, 0)]
    public void TheTensorOverloadOfAVoidMethodCallingASpanMethodKeepsTheCalleesValuesToo(int batch, int rows, int n)
    {
        double[] data = Points(batch * rows * n);
        var a = Tensor.FromArray(data, requiresGrad: true);

        var y = CallsTheHelper(batch * rows * n, () => StopGradientCorpus.CountedRowSums(a.Reshape(batch, rows * n), rows, outputLength: rows));
        CallsTheHelper(0, () => y.Sum().Backward());

        var grads = a.Grad!.ToArray<double>();
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal(2 * data[i] * Math.Round(data[i] * 4) / 4, grads[i], 12);
        }
    }

    /// <summary>Runs <paramref name="run"/> and checks that it called <see cref="StopGradientCorpus.CountedStep"/> <paramref name="times"/> times.</summary>
    private static T CallsTheHelper<T>(int times, Func<T> run)
    {
        StopGradientCorpus.Calls = 0;
        T result = run();
        Assert.Equal(times, StopGradientCorpus.Calls);
        return result;
    }

    private static void CallsTheHelper(int times, Action run) => CallsTheHelper(times, () =>
    {
        run();
        return 0;
    });

    /// <summary>A finite difference of a sum of many terms carries their rounding error, relative to the sum.</summary>
    private static void AgreesWithFiniteDifference(double fd, double gradient) =>
        Assert.True(Math.Abs(fd - gradient) <= 1e-5 * (1 + Math.Abs(gradient)), $"finite difference {fd}, gradient {gradient}");

    /// <summary>Points away from the quarter steps where <see cref="StopGradientCorpus.CountedStep"/> jumps, so finite differences hold it fixed;
    /// small, so the finite difference of a sum of 100 terms keeps its precision.</summary>
    private static double[] Points(int n) => Enumerable.Range(0, n).Select(i => -1.3 + (0.37 * (i % 8))).ToArray();
}

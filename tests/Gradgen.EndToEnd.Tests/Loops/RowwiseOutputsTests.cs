using static Gradgen.EndToEnd.Tests.Loops.RowTensors;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of <c>void</c> methods with several <c>Span</c> outputs: <c>var (y, total) =
/// LoopCorpus.Squash(x, w, a, b, totalLength: 1)</c> maps the method over rows and returns one tensor per output, in
/// declaration order, each shaped [leading…, its row length]. Each output's row is as long as the first span
/// argument's row unless its own <c>{output}Length</c> says otherwise (required without a span argument). The outputs
/// are views of one node's result (<c>{Name}Backward</c>), whose backward calls the generated <c>FBackward</c> per
/// row with every output's gradient: zeros for an output the loss does not use. Each test compares with the span
/// method called row by row.
/// </summary>
public sealed class RowwiseOutputsTests
{
    [Theory]
    [InlineData(5, 7)]
    [InlineData(4096, 16)]
    public void EachOutputHoldsTheSpanMethodsRowsAndOneNodeGivesTheGradientOfBoth(int rows, int n)
    {
        // 4096 rows of 16 are enough work for the rows to be split across Gradgen's threads.
        var (xData, wData, aData, bData) = (Random(31, rows * n), Random(32, rows * n), Random(33, rows), Random(34, rows));
        var (x, w, a, b) = (Leaf(xData, rows, n), Leaf(wData, rows, n), Leaf(aData, rows), Leaf(bData, rows));
        var (y, total) = LoopCorpus.Squash(x, w, a, b, totalLength: 1);
        Assert.Equal([rows, n], y.Shape.ToArray());
        Assert.Equal([rows, 1], total.Shape.ToArray());
        Assert.Same(NodeOf(y), NodeOf(total));
        Assert.Equal("SquashBackward", NodeOf(y).Name);

        var (dyData, dtotalData) = (Random(35, rows * n), Random(36, rows));
        ((y * Tensor.FromArray(dyData).Reshape(rows, n)).Sum() + (total * Tensor.FromArray(dtotalData).Reshape(rows, 1)).Sum()).Backward();
        var (values, totals) = (y.ToArray<double>(), total.ToArray<double>());
        var (gradX, gradW, gradA, gradB) = (x.Grad!.ToArray<double>(), w.Grad!.ToArray<double>(), a.Grad!.ToArray<double>(), b.Grad!.ToArray<double>());
        var (expected, expectedTotal, dx, dw) = (new double[n], new double[1], new double[n], new double[n]);
        for (int r = 0; r < rows; r++)
        {
            var xRow = xData.AsSpan(r * n, n);
            var wRow = wData.AsSpan(r * n, n);
            LoopCorpus.Squash(xRow, wRow, aData[r], bData[r], expected, expectedTotal);
            LoopCorpus.SquashBackward(xRow, wRow, aData[r], bData[r], dyData.AsSpan(r * n, n), dtotalData.AsSpan(r, 1), dx, dw, out double da, out double db);
            Assert.Equal(expected, values.AsSpan(r * n, n).ToArray());
            Assert.Equal(expectedTotal[0], totals[r]);
            Assert.Equal(dx, gradX.AsSpan(r * n, n).ToArray());
            Assert.Equal(dw, gradW.AsSpan(r * n, n).ToArray());
            Assert.Equal(da, gradA[r]);
            Assert.Equal(db, gradB[r]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnOutputTheLossDoesNotUseSendsAZeroGradient(bool useY)
    {
        const int rows = 6, n = 5;
        var (xData, wData) = (Random(37, rows * n), Random(38, rows * n));
        var (x, w) = (Leaf(xData, rows, n), Leaf(wData, rows, n));
        var (a, b) = (Tensor.Full([rows], 0.75, DType.Float64), Tensor.Zeros(rows));
        var (y, total) = LoopCorpus.Squash(x, w, a, b, totalLength: 1);
        var weights = Random(39, rows * n);
        var loss = useY ? (y * Tensor.FromArray(weights).Reshape(rows, n)).Sum() : (total * total).Sum();
        loss.Backward();

        var totals = total.ToArray<double>();
        var (gradX, dx, dw) = (x.Grad!.ToArray<double>(), new double[n], new double[n]);
        for (int r = 0; r < rows; r++)
        {
            // The span form's vector-Jacobian product with the unused output's gradient zero.
            var dy = useY ? weights.AsSpan(r * n, n) : new double[n];
            double[] dtotal = [useY ? 0 : 2 * totals[r]];
            LoopCorpus.SquashBackward(xData.AsSpan(r * n, n), wData.AsSpan(r * n, n), 0.75, 0, dy, dtotal, dx, dw, out _, out _);
            Assert.Equal(dx, gradX.AsSpan(r * n, n).ToArray());
            Assert.Equal(dw, w.Grad!.ToArray<double>().AsSpan(r * n, n).ToArray());
        }
    }

    [Fact]
    public void LeadingDimensionsBroadcastAndASharedArgumentGetsTheSumOfEveryRowsGradient()
    {
        // x [2, 3, n]; w [n], one row shared by all six; a [3], one per position of the second dimension; b a scalar.
        const int n = 4;
        var (xData, wData, aData) = (Random(40, 2 * 3 * n), Random(41, n), Random(42, 3));
        var (x, w, a, b) = (Leaf(xData, 2, 3, n), Leaf(wData, n), Leaf(aData, 3), Tensor.Scalar(0.25, DType.Float64));
        b.RequiresGrad = true;
        var (y, total) = LoopCorpus.Squash(x, w, a, b, totalLength: 1);
        Assert.Equal([2, 3, n], y.Shape.ToArray());
        Assert.Equal([2, 3, 1], total.Shape.ToArray());

        var dyData = Random(43, 2 * 3 * n);
        ((y * Tensor.FromArray(dyData).Reshape(2, 3, n)).Sum() + (3.0 * total.Sum())).Backward();
        var (expected, expectedTotal, dx, dw) = (new double[n], new double[1], new double[n], new double[n]);
        var (sumW, sumA, sumB) = (new double[n], new double[3], 0.0);
        for (int r = 0; r < 6; r++)
        {
            var xRow = xData.AsSpan(r * n, n);
            LoopCorpus.Squash(xRow, wData, aData[r % 3], 0.25, expected, expectedTotal);
            Assert.Equal(expected, y.ToArray<double>().AsSpan(r * n, n).ToArray());
            Assert.Equal(expectedTotal[0], total.ToArray<double>()[r]);
            LoopCorpus.SquashBackward(xRow, wData, aData[r % 3], 0.25, dyData.AsSpan(r * n, n), [3.0], dx, dw, out double da, out double db);
            Assert.Equal(dx, x.Grad!.ToArray<double>().AsSpan(r * n, n).ToArray());
            for (int i = 0; i < n; i++)
            {
                sumW[i] += dw[i];
            }

            sumA[r % 3] += da;
            sumB += db;
        }

        Assert.Equal(sumW, w.Grad!.ToArray<double>(), new ToleranceComparer(1e-13));
        Assert.Equal(sumA, a.Grad!.ToArray<double>(), new ToleranceComparer(1e-13));
        Assert.Equal(sumB, b.Grad!.ToArray<double>()[0], 13);
    }

    [Fact]
    public void GradCheckAgreesWhenTheLossMixesBothOutputs()
    {
        var x = Leaf(Random(44, 3 * 5), 3, 5);
        var w = Leaf(Random(45, 5), 5);
        var a = Leaf(Random(46, 3), 3);
        var b = Leaf(Random(47, 1), 1);
        var check = GradCheck.Run(args =>
        {
            var (y, total) = LoopCorpus.Squash(args[0], args[1], args[2], args[3], totalLength: 1);
            return y * total;
        }, [x, w, a, b]);
        Assert.True(check.Passed, check.ToString());

        var orbit = GradCheck.Run(args =>
        {
            var (position, speed) = SeveralOutputsCorpus.Orbit(args[0], args[1], positionLength: 2, speedLength: 1);
            return position * speed;
        }, [Leaf(Random(48, 4, 1), 4), Leaf(Random(49, 4), 4)]);
        Assert.True(orbit.Passed, orbit.ToString());
    }

    [Fact]
    public void WithoutASpanArgumentEveryOutputsLengthIsGivenAndScalarsBroadcast()
    {
        // Orbit(r, theta): position [r cos θ, r sin θ], speed [r]; r [3, 1] against theta [2]: six rows.
        double[] radii = [0.5, 1.5, 2.5];
        double[] angles = [0.3, -1.1];
        var (position, speed) = SeveralOutputsCorpus.Orbit(Tensor.FromArray(radii).Reshape(3, 1), Tensor.FromArray(angles), positionLength: 2, speedLength: 1);
        Assert.Equal([3, 2, 2], position.Shape.ToArray());
        Assert.Equal([3, 2, 1], speed.Shape.ToArray());
        var (expected, expectedSpeed) = (new double[2], new double[1]);
        for (int r = 0; r < 6; r++)
        {
            SeveralOutputsCorpus.Orbit(radii[r / 2], angles[r % 2], expected, expectedSpeed);
            Assert.Equal(expected, position.ToArray<double>().AsSpan(r * 2, 2).ToArray());
            Assert.Equal(expectedSpeed[0], speed.ToArray<double>()[r]);
        }
    }

    [Fact]
    public void FloatMethodsComputeInFloat32AndTheGradientIsInTheArgumentsDType()
    {
        const int rows = 3, n = 4;
        var (xData, wData) = (Random(50, rows * n), Random(51, rows * n));
        var (x, w) = (Leaf(xData, rows, n), Leaf(wData, rows, n));
        var (y, total) = LoopCorpusF.Squash(x, w, Tensor.FromArray(new[] { 1.25f, -0.5f, 2f }), Tensor.FromArray(new[] { 0.5f, 0f, -1f }), totalLength: 1);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(DType.Float32, total.DType);
        float[] dy = Enumerable.Range(0, rows * n).Select(i => 0.25f * (i % 5)).ToArray();
        ((y * Tensor.FromArray(dy).Reshape(rows, n)).Sum() + total.Sum()).Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);

        float[] xs = xData.Select(v => (float)v).ToArray(), ws = wData.Select(v => (float)v).ToArray();
        float[] aValues = [1.25f, -0.5f, 2f], bValues = [0.5f, 0f, -1f];
        var (expected, expectedTotal, dx, dw) = (new float[n], new float[1], new float[n], new float[n]);
        for (int r = 0; r < rows; r++)
        {
            LoopCorpusF.Squash(xs.AsSpan(r * n, n), ws.AsSpan(r * n, n), aValues[r], bValues[r], expected, expectedTotal);
            Assert.Equal(expected, y.ToArray<float>().AsSpan(r * n, n).ToArray());
            Assert.Equal(expectedTotal[0], total.ToArray<float>()[r]);
            LoopCorpusF.SquashBackward(xs.AsSpan(r * n, n), ws.AsSpan(r * n, n), aValues[r], bValues[r], dy.AsSpan(r * n, n), [1f], dx, dw, out _, out _);
            Assert.Equal(dx.Select(v => (double)v).ToArray(), x.Grad!.ToArray<double>().AsSpan(r * n, n).ToArray());
        }
    }

    [Fact]
    public void WithoutGradientsNoNodeIsRecorded()
    {
        var (y, total) = LoopCorpus.Squash(Tensor.Ones(2, 3), Tensor.Ones(2, 3), Tensor.Ones(2), Tensor.Ones(2), totalLength: 1);
        Assert.Null(y.GradFn);
        Assert.Null(total.GradFn);
        Assert.Equal(-3.0, total.ToArray<double>()[1]);
    }

    [Fact]
    public void BadLengthsAndShapesAreRejectedNamingTheValues()
    {
        var (x, ones) = (Tensor.Zeros(2, 5), Tensor.Ones(2));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => LoopCorpus.Squash(x, x, ones, ones, totalLength: -2));
        Assert.Contains("Squash", negative.Message);
        Assert.Contains("'total'", negative.Message);
        Assert.Contains("-2", negative.Message);

        var shapes = Assert.Throws<ArgumentException>(() => LoopCorpus.Squash(x, Tensor.Zeros(3, 5), ones, ones, totalLength: 1));
        Assert.Contains("Squash", shapes.Message);
        Assert.Contains("[2]", shapes.Message);
        Assert.Contains("[3]", shapes.Message);

        // Called directly, the runtime names an output whose length nothing gives.
        var missing = Assert.Throws<ArgumentException>(() => Tensor.ApplyRowwise("Orbit", DType.Float64, [ones, ones], [RowArgument.Scalar, RowArgument.Scalar], [new RowOutput("position", 2), new RowOutput("speed", null)], (_, _, _, _) => { }, (_, _, _, _, _) => { }));
        Assert.Contains("'speed'", missing.Message);
        Assert.Contains("no argument is a span", missing.Message);

        // A row too short for what the method writes fails in the method's own indexing, as the span call would.
        Assert.Throws<IndexOutOfRangeException>(() => LoopCorpus.Squash(x, x, ones, ones, totalLength: 0));
    }

    /// <summary>The row function's node behind an output: each output is a view (Narrow, then View) of its result.</summary>
    private static GradFn NodeOf(Tensor output) => output.GradFn!.NextFunctions[0]!.NextFunctions[0]!;

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * (1 + Math.Abs(a));

        public int GetHashCode(double value) => 0;
    }
}

/// <summary>A method with several outputs and no span argument, for its tensor overload.</summary>
public static partial class SeveralOutputsCorpus
{
    /// <summary>position = (r cos θ, r sin θ), speed = (r·θ²).</summary>
    [Differentiable]
    public static void Orbit(double r, double theta, Span<double> position, Span<double> speed)
    {
        position[0] = r * Math.Cos(theta);
        position[1] = r * Math.Sin(theta);
        speed[0] = r * theta * theta;
    }
}

using System.Reflection;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// Every method of <see cref="LoopCorpus"/> compiled in <c>float</c> too: <c>LoopCorpusF</c> is the same source with
/// <c>double</c> replaced by <c>float</c> (written by the test project at build time). Its generated gradients must
/// match the <c>double</c> methods' (themselves checked against finite differences in <see cref="LoopFunctionTests"/>)
/// to float precision. Most methods are called through their tensor overloads, on a few rows at once.
/// </summary>
public sealed class FloatTwinTests
{
    /// <summary>
    /// The method and its arguments: <c>row:n</c> a span of n values per row, <c>row+:n</c> of positive values,
    /// <c>value</c> / <c>value+</c> one (positive) value per row, <c>int:k</c> the integer k.
    /// </summary>
    public static TheoryData<string, string> Methods => new()
    {
        { "Dot", "row:9 row:9" },
        { "DotF", "row:8 row:8" },
        { "LogSumExp", "row:9" },
        { "SoftmaxCrossEntropy", "row:9 int:4" },
        { "Horner", "row:7 value" },
        { "Spring", "value value value+ value+ int:50" },
        { "Rnn", "row:9 value value value" },
        { "Trapezoid", "value value int:16" },
        { "SumSquaresUntil", "row:9 value+" },
        { "SumRootsOfPositives", "row:9" },
        { "QuadraticForm", "row:16 row:4" },
        { "SquaredPrefixSums", "row:9" },
        { "Norm", "row:7" },
        { "RowDot", "row:12 row:4 int:2" },
        { "Softplus", "value" },
        { "SoftplusTwice", "value" },
        { "SumOfSoftplus", "row:8" },
        { "SumOfSquares", "row:8" },
        { "RootSumOfSquares", "row:8" },
        { "RoundStraightThrough", "value" },
        { "SumOfRounded", "row:8 value+" },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void TheFloatMethodsGradientIsTheDoubleMethodsToFloatPrecision(string name, string arguments)
    {
        const int rows = 5;
        var random = new Random(name.Length * 7919 + arguments.Length);
        var doubles = new List<object>();
        var floats = new List<object>();
        var leaves = new List<(Tensor Double, Tensor Float)>();
        foreach (string argument in arguments.Split(' '))
        {
            string[] parts = argument.Split(':');
            if (parts[0] == "int")
            {
                doubles.Add(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                floats.Add(doubles[^1]);
                continue;
            }

            bool positive = parts[0].EndsWith('+');
            int[] shape = parts[0].StartsWith("row", StringComparison.Ordinal) ? [rows, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] : [rows];
            var data = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b))
                .Select(_ => positive ? 0.5 + (random.NextDouble() * 2) : (random.NextDouble() * 4) - 2)
                .Select(v => (double)(float)v)   // the same numbers in both precisions
                .ToArray();
            var d = Tensor.FromArray(data).Reshape(shape).Detach();
            var f = d.To(DType.Float32).Detach();
            d.RequiresGrad = true;
            f.RequiresGrad = true;
            doubles.Add(d);
            floats.Add(f);
            leaves.Add((d, f));
        }

        var doubleResult = Call(typeof(LoopCorpus), name, doubles);
        var floatResult = Call(typeof(LoopCorpusF), name, floats);
        Assert.Equal(DType.Float32, floatResult.DType);
        doubleResult.Sum().Backward();
        floatResult.Sum().Backward();

        var expected = doubleResult.ToArray<double>();
        var actual = floatResult.ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{name} value of row {i}: float {actual[i]}, double {expected[i]}");
        }

        foreach (var (d, f) in leaves)
        {
            AssertGradient(name, d.Grad!.ToArray<double>(), f.Grad!.ToArray<float>());
        }
    }

    [Fact]
    public void MatVecBackwardInFloat()
    {
        var random = new Random(11);
        float[] a = Floats(random, 15), x = Floats(random, 5), dy = Floats(random, 3);
        float[] da = new float[15], dx = new float[5];
        LoopCorpusF.MatVecBackward(a, x, dy, da, dx);
        double[] eda = new double[15], edx = new double[5];
        LoopCorpus.MatVecBackward(Doubles(a), Doubles(x), Doubles(dy), eda, edx);
        AssertGradient("MatVec da", eda, da);
        AssertGradient("MatVec dx", edx, dx);
    }

    [Fact]
    public void CumulativeProductBackwardInFloat()
    {
        var random = new Random(12);
        float[] x = Floats(random, 9), dy = Floats(random, 9);
        var dx = new float[9];
        LoopCorpusF.CumulativeProductBackward(x, dy, dx);
        var expected = new double[9];
        LoopCorpus.CumulativeProductBackward(Doubles(x), Doubles(dy), expected);
        AssertGradient("CumulativeProduct", expected, dx);
    }

    [Fact]
    public void HalfSquareOfAnArrayInFloat()
    {
        var x = Floats(new Random(13), 9);
        var dx = new float[9];
        float value = LoopCorpusF.HalfSquareWithGradient(x, dx);
        var expected = new double[9];
        double expectedValue = LoopCorpus.HalfSquareWithGradient(Doubles(x), expected);
        Assert.Equal(expectedValue, value, 5);
        AssertGradient("HalfSquare", expected, dx);
    }

    private static Tensor Call(Type type, string name, List<object> arguments)
    {
        var types = arguments.Select(a => a.GetType() == typeof(int) ? typeof(int) : typeof(Tensor)).ToArray();
        var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Static, types)
            ?? throw new InvalidOperationException($"{type.Name}.{name}({string.Join(", ", types.Select(t => t.Name))}) was not generated.");
        return (Tensor)method.Invoke(null, [.. arguments])!;
    }

    /// <summary>Float against double: a relative error of 10⁻³ of the largest gradient (sums of a few dozen float terms).</summary>
    private static void AssertGradient(string what, double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1 + expected.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-3 * scale, $"{what} gradient [{i}]: float {actual[i]}, double {expected[i]}");
        }
    }

    private static float[] Floats(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();

    private static double[] Doubles(float[] values) => values.Select(v => (double)v).ToArray();
}

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The generated <c>Tensor F(Tensor, …)</c> overloads: one fused kernel and one graph node (<c>FBackward</c>), with
/// broadcasting and gradients summed back to each input's shape, against the eager composition of the same operations.
/// </summary>
public sealed class TensorOverloadTests
{
    private static Tensor EagerBump(Tensor x)
    {
        var d = x - 5;
        return (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
    }

    [Fact]
    public void BumpOnATensorIsOneNodeAndMatchesTheEagerComposition()
    {
        var x = Tensor.Linspace(0, 10, 1000, requiresGrad: true);
        var y = ComposedCorpus.BumpF(x);
        Assert.Equal("BumpFBackward", y.GradFn!.Name);
        y.Backward(Tensor.OnesLike(x));
        var fused = x.Grad!.ToArray<float>();

        var x2 = Tensor.Linspace(0, 10, 1000, requiresGrad: true);
        var eager = EagerBump(x2);
        eager.Backward(Tensor.OnesLike(x2));
        var expectedValues = eager.ToArray<float>();
        var expectedGrads = x2.Grad!.ToArray<float>();

        var values = y.ToArray<float>();
        for (int i = 0; i < values.Length; i++)
        {
            // Vector polynomials vs MathF, and a different evaluation order: a few float ulps of terms up to 2π.
            Assert.True(Math.Abs(values[i] - expectedValues[i]) <= 2e-5, $"value[{i}]: {values[i]} vs {expectedValues[i]}");
            Assert.True(Math.Abs(fused[i] - expectedGrads[i]) <= 1e-4 * (1 + Math.Abs(expectedGrads[i])), $"grad[{i}]: {fused[i]} vs {expectedGrads[i]}");
        }
    }

    [Fact]
    public void TwoInputsBroadcastAndTheirGradientsAreSummedBackToEachShape()
    {
        var a = Tensor.FromArray(new float[,] { { -2.5f }, { 0.5f }, { 1.5f } }, requiresGrad: true);   // [3, 1]
        var b = Tensor.FromArray(new float[] { -1f, 0.25f, 2f, 2.5f }, requiresGrad: true);           // [4]
        var y = ComposedCorpus.LocalsF(a, b);
        Assert.Equal("[3, 4]", y.Shape.ToString());
        y.Sum().Backward();

        var av = new[] { -2.5f, 0.5f, 1.5f };
        var bv = new[] { -1f, 0.25f, 2f, 2.5f };
        var expectedA = new double[3];
        var expectedB = new double[4];
        var values = y.ToArray<float>();
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                float value = ComposedCorpus.LocalsFWithGradient(av[i], bv[j], out float da, out float db);
                Assert.Equal(value, values[(i * 4) + j], 5);
                expectedA[i] += da;
                expectedB[j] += db;
            }
        }

        Assert.Equal("[3, 1]", a.Grad!.Shape.ToString());
        Assert.Equal("[4]", b.Grad!.Shape.ToString());
        var ga = a.Grad.ToArray<float>();
        var gb = b.Grad.ToArray<float>();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expectedA[i], ga[i], 4);
        }

        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(expectedB[j], gb[j], 4);
        }
    }

    [Fact]
    public void Float64TensorsRunTheDoubleInstantiationOfAFloatFunction()
    {
        var x = Tensor.FromArray(new double[] { 0.1, 2.2, 4.7, 9.9 }, requiresGrad: true);
        var y = ComposedCorpus.BumpF(x);
        Assert.Equal(DType.Float64, y.DType);
        y.Backward(Tensor.OnesLike(x));
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        double[] xs = { 0.1, 2.2, 4.7, 9.9 };
        for (int i = 0; i < xs.Length; i++)
        {
            // The function's constants are float (MathF.PI): compare with the double formula using the same 2π.
            double twoPi = 2 * MathF.PI;
            double e = Math.Exp(-(xs[i] - 5) * (xs[i] - 5) / 3);
            Assert.Equal(Math.Sin(twoPi * xs[i]) * e, values[i], 12);
            Assert.Equal((twoPi * Math.Cos(twoPi * xs[i]) * e) - (2.0 / 3 * (xs[i] - 5) * Math.Sin(twoPi * xs[i]) * e), grads[i], 10);
        }
    }

    [Fact]
    public void SigmoidIsStableWhereTheNaiveFormulaWouldDivideInfinityByInfinity()
    {
        var x = Tensor.FromArray(new float[] { -200f, -20f, 0f, 20f, 200f }, requiresGrad: true);
        var y = x.Sigmoid();
        Assert.Equal("SigmoidBackward", y.GradFn!.Name);
        y.Sum().Backward();
        var g = x.Grad!.ToArray<float>();
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0.25f, g[2], 6);
        Assert.Equal(0f, g[0]);
    }
}

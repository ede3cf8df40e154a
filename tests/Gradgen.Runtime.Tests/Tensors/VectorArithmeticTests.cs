namespace Gradgen.Tests.Tensors;

/// <summary>
/// The SIMD fast path of + − * / and unary minus (contiguous float operands, tensors of one layout or with a
/// scalar) against the general strided loops, which the same operations take on a strided view of the same values:
/// forward and gradients must agree bit for bit, at every tail length and across the parallel threshold.
/// </summary>
public class VectorArithmeticTests
{
    public static TheoryData<int, DType> Lengths()
    {
        var d = new TheoryData<int, DType>();
        foreach (int n in new[] { 0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 257, 4099, 40_001 })
        {
            d.Add(n, DType.Float32);
            d.Add(n, DType.Float64);
        }

        return d;
    }

    /// <summary>Values away from zero (divisors) with varied signs and magnitudes.</summary>
    static Tensor Values(int n, DType dtype, int seed)
    {
        var r = new System.Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (r.NextDouble() + 0.25) * (r.Next(2) == 0 ? -3 : 7);
        return Tensor.FromArray(v).To(dtype);
    }

    /// <summary>The same values as a strided view (stride 2), which the fast path does not take.</summary>
    static Tensor Strided(Tensor t) => Tensor.Stack([t, t], dim: 1).Narrow(1, 0, 1).Squeeze(1);

    static Tensor Leaf(Tensor t)
    {
        var c = t.Detach().Contiguous();
        c.RequiresGrad = true;
        return c;
    }

    static void Same(Tensor expected, Tensor actual)
    {
        Assert.True(actual.IsContiguous);
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>());
    }

    static void Check(Tensor a0, Tensor b0, Func<Tensor, Tensor, Tensor> f)
    {
        // The fast path: contiguous leaves.
        Tensor a = Leaf(a0), b = Leaf(b0);
        var y = f(a, b);
        var g = Values(y.NumElements, y.DType, 99).Reshape(y.Shape.ToArray());
        y.Backward(g);

        // The strided loops: the same values through strided views.
        Tensor sa = Leaf(a0), sb = Leaf(b0);
        Assert.True(sa.NumElements < 2 || !Strided(sa).IsContiguous);
        var sy = f(Strided(sa), Strided(sb));
        sy.Backward(g);

        Same(sy, y);
        Same(sa.Grad!, a.Grad!);
        Same(sb.Grad!, b.Grad!);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Tensor_tensor_arithmetic_matches_the_strided_loops(int n, DType dtype)
    {
        Tensor a = Values(n, dtype, 1), b = Values(n, dtype, 2);
        Check(a, b, (x, y) => x + y);
        Check(a, b, (x, y) => x - y);
        Check(a, b, (x, y) => x * y);
        Check(a, b, (x, y) => x / y);
        Check(a, b, (x, y) => x * x - y);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scalar_arithmetic_and_negation_match_the_strided_loops(int n, DType dtype)
    {
        Tensor a = Values(n, dtype, 3), b = Values(n, dtype, 4);

        // b only carries a gradient of zeros here; the scalar forms are what is tested.
        Check(a, b, (x, y) => (x * 2.5) + (y * 0));
        Check(a, b, (x, y) => (x - 5) + (y * 0));
        Check(a, b, (x, y) => (x / 3) + (y * 0));
        Check(a, b, (x, y) => (3 / x) + (y * 0));
        Check(a, b, (x, y) => (5 - x) + (y * 0));
        Check(a, b, (x, y) => -x + (y * 0));
        Check(a, b, (x, y) => (-(x * x) / 3).Exp() + (y * 0));
    }

    [Fact]
    public void In_place_accumulation_takes_the_fast_path_and_bumps_the_version()
    {
        var t = Tensor.Full([1001], 1f);
        int version = t.storage.Version;
        t.AddInPlaceUnchecked(Tensor.Full([1001], 2f));
        t.AddInPlaceUnchecked(Tensor.Scalar(0.5));
        Assert.Equal(version + 2, t.storage.Version);
        Assert.All(t.ToArray<float>(), v => Assert.Equal(3.5f, v));
    }
}

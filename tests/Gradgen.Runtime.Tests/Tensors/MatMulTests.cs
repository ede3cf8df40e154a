namespace Gradgen.Tests.Tensors;

public class MatMulTests
{
    static float[] Reference(float[] a, float[] b, int m, int k, int n)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = (float)s;
            }
        return c;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 4)]
    [InlineData(7, 5, 33)]
    [InlineData(16, 9, 17)]
    public void Two_dimensional_product_matches_a_reference(int m, int k, int n)
    {
        Gradgen.RandomGenerator.ManualSeed(1);
        var a = Tensor.Randn(m, k);
        var b = Tensor.Randn(k, n);
        var c = a.MatMul(b);
        Assert.Equal($"[{m}, {n}]", c.Shape.ToString());
        var expected = Reference(a.ToArray<float>(), b.ToArray<float>(), m, k, n);
        var actual = c.ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4);
    }

    [Fact]
    public void Transposed_operands_give_the_same_result()
    {
        Gradgen.RandomGenerator.ManualSeed(2);
        var a = Tensor.Randn(4, 3);
        var b = Tensor.Randn(5, 3);
        var direct = a.MatMul(b.T.Contiguous()).ToArray<float>();
        var viaView = a.MatMul(b.T).ToArray<float>();
        var viaBoth = b.MatMul(a.T).T.Contiguous().ToArray<float>();
        for (int i = 0; i < direct.Length; i++)
        {
            Assert.Equal(direct[i], viaView[i], 1e-5);
            Assert.Equal(direct[i], viaBoth[i], 1e-5);
        }
    }

    [Fact]
    public void Every_operand_layout_gives_the_contiguous_result()
    {
        Gradgen.RandomGenerator.ManualSeed(4);
        var a = Tensor.Randn(2, 3, 4);
        var b = Tensor.Randn(2, 4, 5);
        var expected = a.MatMul(b).ToArray<float>();
        Tensor[] aLayouts = [a, a.Transpose(1, 2).Contiguous().Transpose(1, 2), Tensor.Cat([a, a], 2).Slice(2, 0, 8, 2) * 0 + a, Tensor.Cat([a, a], 2).Narrow(2, 4, 4)];
        Tensor[] bLayouts = [b, b.Transpose(1, 2).Contiguous().Transpose(1, 2), Tensor.Cat([b, b], 1).Slice(1, 0, 8, 2) * 0 + b, Tensor.Cat([b, b], 2).Slice(2, 0, 10, 2)];
        Assert.False(Tensor.Cat([b, b], 2).Slice(2, 0, 10, 2).IsContiguous);
        var strided = Tensor.Cat([b, b], 2).Slice(2, 0, 10, 2);
        var stridedExpected = a.MatMul(strided.Contiguous()).ToArray<float>();
        foreach (var x in aLayouts)
            for (int j = 0; j < bLayouts.Length; j++)
            {
                var want = j == 3 ? stridedExpected : expected;
                var got = x.MatMul(bLayouts[j]).ToArray<float>();
                for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-4);
            }
        // A broadcast row (stride 0) and a single column.
        var row = Tensor.Randn(1, 4).Expand(3, 4);
        var col = Tensor.Randn(4, 1);
        var r = row.MatMul(col).ToArray<float>();
        Assert.All(r, v => Assert.Equal(r[0], v, 1e-6));
    }

    [Fact]
    public void Vector_cases()
    {
        var v = Tensor.FromArray(new[] { 1f, 2f, 3f });
        var m = Tensor.Arange(0.0, 6).Reshape(3, 2);
        var dot = v.MatMul(v);
        Assert.Equal(0, dot.Ndim);
        Assert.Equal(14f, dot.Item<float>());
        Assert.Equal([16f, 22], v.MatMul(m).ToArray<float>());
        Assert.Equal([16f, 22], m.T.MatMul(v).ToArray<float>());
        Assert.Equal("[2]", m.T.MatMul(v).Shape.ToString());
    }

    [Fact]
    public void Batched_products_broadcast_batches()
    {
        Gradgen.RandomGenerator.ManualSeed(3);
        var a = Tensor.Randn(2, 1, 3, 4);
        var b = Tensor.Randn(5, 4, 2);
        var c = a.MatMul(b);
        Assert.Equal("[2, 5, 3, 2]", c.Shape.ToString());
        var expected = a[1, 0].MatMul(b[4]).ToArray<float>();
        var actual = c[1, 4].ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5);
        Assert.Equal("[2, 3]", Tensor.Randn(2, 3, 4).MatMul(Tensor.Randn(4)).Shape.ToString());
        Assert.Equal("[2, 4]", Tensor.Randn(3).MatMul(Tensor.Randn(2, 3, 4)).Shape.ToString());
    }

    [Fact]
    public void Integer_and_double_products()
    {
        var a = Tensor.FromArray(new long[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal([7L, 10, 15, 22], a.MatMul(a).ToArray<long>());
        var d = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(DType.Float64, d.MatMul(d).DType);
    }

    [Fact]
    public void Shape_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Contains("shapes [2, 3] and [4, 5] cannot be multiplied (3 vs 4", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).MatMul(Tensor.Zeros(4)));
        Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).MatMul(Tensor.Zeros(4)));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2, 3).MatMul(Tensor.Zeros(3, 3, 1)));
    }
}

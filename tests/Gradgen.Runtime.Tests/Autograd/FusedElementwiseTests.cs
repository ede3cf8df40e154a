namespace Gradgen.Tests.Autograd;

/// <summary>
/// Tensor.ApplyElementwise with hand-written span kernels standing in for what the generator emits for
/// [Differentiable] functions: one node, broadcasting, gradients summed back, agreement with the eager composition.
/// </summary>
public class FusedElementwiseTests
{
    // Bump(x) = sin(2πx)·exp(−(x−5)²/3), as the generator would emit its span forms, in float and double.
    static void BumpF(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Sin(2 * MathF.PI * x[i]) * MathF.Exp(-(x[i] - 5) * (x[i] - 5) / 3);
    }

    static void BumpBackwardF(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float s = MathF.Sin(2 * MathF.PI * x[i]), c = MathF.Cos(2 * MathF.PI * x[i]), e = MathF.Exp(-(x[i] - 5) * (x[i] - 5) / 3);
            dx[i] = g[i] * (2 * MathF.PI * c * e - 2f / 3 * (x[i] - 5) * s * e);
        }
    }

    static Tensor Bump(Tensor x) => Tensor.ApplyElementwise("Bump", DType.Float32, [x],
        static (i, o) => BumpF(i[0].AsSpan<float>(), o.AsSpan<float>()),
        static (i, o, g, d) => BumpBackwardF(i[0].AsSpan<float>(), g.AsSpan<float>(), d[0].AsSpan<float>()));

    // F(a, b) = a·sin(b) in double.
    static Tensor ASinB(Tensor a, Tensor b) => Tensor.ApplyElementwise("ASinB", DType.Float64, [a, b],
        static (i, o) =>
        {
            ReadOnlySpan<double> a = i[0].AsSpan<double>(), b = i[1].AsSpan<double>();
            var y = o.AsSpan<double>();
            for (int k = 0; k < y.Length; k++) y[k] = a[k] * Math.Sin(b[k]);
        },
        static (i, o, g, d) =>
        {
            ReadOnlySpan<double> a = i[0].AsSpan<double>(), b = i[1].AsSpan<double>(), gy = g.AsSpan<double>();
            Span<double> da = d[0].AsSpan<double>(), db = d[1].AsSpan<double>();
            for (int k = 0; k < gy.Length; k++)
            {
                da[k] = gy[k] * Math.Sin(b[k]);
                db[k] = gy[k] * a[k] * Math.Cos(b[k]);
            }
        });

    [Fact]
    public void One_node_named_after_the_function()
    {
        var x = Tensor.Linspace(0, 10, 100, requiresGrad: true);
        var y = Bump(x);
        Assert.Equal("BumpBackward", y.GradFn!.Name);
        Assert.IsType<AccumulateGrad>(y.GradFn.NextFunctions[0]);
        Assert.Contains("grad_fn=<BumpBackward>", y.ToString());
    }

    [Fact]
    public void Agrees_with_the_eager_composition_of_the_same_operations()
    {
        var x1 = Tensor.Linspace(0, 10, 1000, requiresGrad: true);
        var x2 = Tensor.Linspace(0, 10, 1000, requiresGrad: true);
        var fused = Bump(x1);
        var eager = Tensor.Sin(2.0 * Math.PI * x2) * Tensor.Exp(-(x2 - 5).Pow(2) / 3);
        fused.Backward(Tensor.OnesLike(x1));
        eager.Backward(Tensor.OnesLike(x2));
        var (yf, ye) = (fused.ToArray<float>(), eager.ToArray<float>());
        var (gf, ge) = (x1.Grad!.ToArray<float>(), x2.Grad!.ToArray<float>());
        for (int i = 0; i < yf.Length; i++)
        {
            Assert.Equal(ye[i], yf[i], 1e-5);
            Assert.Equal(ge[i], gf[i], 2e-4);
        }
    }

    [Fact]
    public void Broadcast_inputs_get_gradients_of_their_own_shape()
    {
        var r = GradCheck.Run(t => ASinB(t[0], t[1]), [Tensor.Randn([3, 1], DType.Float64), Tensor.Randn([4], DType.Float64)]);
        Assert.True(r.Passed, r.ToString());
        var a = Tensor.Ones([3, 1], DType.Float32, requiresGrad: true);
        var b = Tensor.Zeros([4], DType.Float64, requiresGrad: true);
        var y = ASinB(a, b);
        Assert.Equal("[3, 4]", y.Shape.ToString());
        Assert.Equal(DType.Float64, y.DType);
        y.Sum().Backward();
        Assert.Equal("[3, 1]", a.Grad!.Shape.ToString());
        Assert.Equal(DType.Float32, a.Grad.DType);
        Assert.Equal([3.0, 3, 3, 3], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void Strided_and_converted_inputs_reach_the_kernel_as_contiguous_spans()
    {
        var x = Tensor.Arange(0.0, 6, dtype: DType.Float64).Reshape(2, 3).T;
        var y = Bump(x);
        Assert.Equal(DType.Float32, y.DType);
        var expected = Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3);
        var (e, a) = (expected.ToArray<float>(), y.ToArray<float>());
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 1e-5);
    }

    [Fact]
    public void No_grad_and_version_checks_apply()
    {
        var x = Tensor.Linspace(0, 1, 5, requiresGrad: true);
        using (Gradgen.Autograd.NoGrad()) Assert.Null(Bump(x).GradFn);
        var w = Tensor.Ones([5], DType.Float64);
        var y = ASinB(x, w);
        w.AddInPlace(1);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Throws<ArgumentException>(() => Tensor.ApplyElementwise("F", DType.Int32, [x], static (_, _) => { }, static (_, _, _, _) => { }));
        Assert.Throws<ArgumentException>(() => ASinB(Tensor.Ones(2), Tensor.Ones(3)));
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// MSELoss with a reduction is one fused pass and one node (<c>MseLossBackward</c>); it must give what the op-by-op
/// definition ((x − t)², then the mean or sum) gives, at every length (vector tails, blocks of 4,096), in both
/// floating dtypes, for the input's and the target's gradients.
/// </summary>
public class MseLossTests
{
    [Theory]
    [InlineData(1, DType.Float32, Reduction.Mean)]
    [InlineData(15, DType.Float32, Reduction.Sum)]
    [InlineData(17, DType.Float64, Reduction.Mean)]
    [InlineData(4_097, DType.Float32, Reduction.Mean)]
    [InlineData(10_000, DType.Float64, Reduction.Sum)]
    public void TheFusedLossMatchesTheDefinition(int n, DType dtype, Reduction reduction)
    {
        RandomGenerator.ManualSeed(n);
        var x = Tensor.Randn([n], dtype);
        var t = Tensor.Randn([n], dtype);
        var (fused, fusedGx, fusedGt) = LossAndGradients(x, t, (a, b) => new MSELoss(reduction).Forward(a, b));
        var (reference, refGx, refGt) = LossAndGradients(x, t, (a, b) =>
        {
            var d = a - b;
            return reduction == Reduction.Mean ? (d * d).Mean() : (d * d).Sum();
        });

        double tolerance = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Assert.Equal(reference, fused, tolerance * Math.Max(1, Math.Abs(reference)));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(refGx[i], fusedGx[i], tolerance * Math.Max(1, Math.Abs(refGx[i])));
            Assert.Equal(refGt[i], fusedGt[i], tolerance * Math.Max(1, Math.Abs(refGt[i])));
        }
    }

    [Fact]
    public void TheLossIsOneNodeNamedLikePyTorchs()
    {
        var x = Tensor.Ones([3], DType.Float32, requiresGrad: true);
        var loss = new MSELoss().Forward(x, Tensor.Zeros(3));
        Assert.Equal("MseLossBackward", loss.GradFn!.Name);
        Assert.Single(loss.GradFn.NextFunctions, f => f is not null);
    }

    [Fact]
    public void ChangingTheInputInPlaceBeforeBackwardIsAnError()
    {
        var x = Tensor.Ones([3], DType.Float32, requiresGrad: true);
        var y = x * 2;
        var loss = new MSELoss().Forward(y, Tensor.Zeros(3));
        using (Gradgen.Autograd.NoGrad())
        {
            y.AddInPlace(1.0);
        }

        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    private static (double Loss, double[] Gx, double[] Gt) LossAndGradients(Tensor x, Tensor t, Func<Tensor, Tensor, Tensor> loss)
    {
        var a = x.Detach();
        a.RequiresGrad = true;
        var b = t.Detach();
        b.RequiresGrad = true;
        var l = loss(a, b);
        l.Backward();
        return (l.To(DType.Float64).Item<double>(), a.Grad!.To(DType.Float64).ToArray<double>(), b.Grad!.To(DType.Float64).ToArray<double>());
    }
}

/// <summary>
/// CrossEntropyLoss of [N, C] logits against class indices with a reduction is one fused node
/// (<c>CrossEntropyLossBackward</c>); it must give what log-softmax, gather and mean give.
/// </summary>
public class CrossEntropyFusedTests
{
    [Theory]
    [InlineData(1, 3, DType.Float32, Reduction.Mean)]
    [InlineData(128, 10, DType.Float32, Reduction.Mean)]
    [InlineData(33, 7, DType.Float64, Reduction.Sum)]
    public void TheFusedLossMatchesTheDefinition(int rows, int classes, DType dtype, Reduction reduction)
    {
        RandomGenerator.ManualSeed(rows);
        var logits = Tensor.Randn([rows, classes], dtype) * 4;
        var target = Tensor.FromArray(Enumerable.Range(0, rows).Select(i => (long)((i * 7) % classes)).ToArray());
        var fused = logits.Detach();
        fused.RequiresGrad = true;
        var loss = new CrossEntropyLoss(reduction).Forward(fused, target);
        loss.Backward();
        Assert.Equal("CrossEntropyLossBackward", loss.GradFn!.Name);

        var eager = logits.Detach();
        eager.RequiresGrad = true;
        var picked = Functional.LogSoftmax(eager, 1).Gather(1, target.Unsqueeze(1)).Squeeze(1);
        var reference = reduction == Reduction.Mean ? (-picked).Mean() : (-picked).Sum();
        reference.Backward();

        double tolerance = dtype == DType.Float32 ? 1e-5 : 1e-12;
        double expected = reference.To(DType.Float64).Item<double>();
        Assert.Equal(expected, loss.To(DType.Float64).Item<double>(), tolerance * Math.Max(1, Math.Abs(expected)));
        var g = fused.Grad!.To(DType.Float64).ToArray<double>();
        var e = eager.Grad!.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.Equal(e[i], g[i], tolerance);
        }
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Optim;

/// <summary>Utils.ClipGradNorm and ClipGradValue, against norms computed by hand.</summary>
public class ClipGradTests
{
    static Parameter WithGrad(params double[] grad)
    {
        var p = new Parameter(Tensor.Zeros([grad.Length], DType.Float64));
        p.Grad = Tensor.FromArray(grad);
        return p;
    }

    [Fact]
    public void ClipGradNorm_scales_all_gradients_by_the_total_two_norm()
    {
        var a = WithGrad(3, 0);
        var b = WithGrad(0, 4);
        var none = new Parameter(Tensor.Zeros([1], DType.Float64));
        double total = Utils.ClipGradNorm([a, b, none], maxNorm: 1);
        Assert.Equal(5, total, 1e-12);
        double c = 1 / (5 + 1e-6);
        Assert.Equal([3 * c, 0], a.Grad!.ToArray<double>());
        Assert.Equal([0, 4 * c], b.Grad!.ToArray<double>());
        Assert.Null(none.Grad);
    }

    [Fact]
    public void ClipGradNorm_leaves_small_gradients_and_supports_other_norms()
    {
        var a = WithGrad(1, -2);
        Assert.Equal(3, Utils.ClipGradNorm([a], maxNorm: 10, normType: 1), 1e-12);
        Assert.Equal([1.0, -2.0], a.Grad!.ToArray<double>());
        Assert.Equal(2, Utils.ClipGradNorm([a], maxNorm: 1, normType: double.PositiveInfinity), 1e-12);
        Assert.Equal([1 / (2 + 1e-6), -2 / (2 + 1e-6)], a.Grad!.ToArray<double>());
        Assert.Equal(Math.Pow(Math.Pow(1 / (2 + 1e-6), 3) + Math.Pow(2 / (2 + 1e-6), 3), 1 / 3.0), Utils.ClipGradNorm([a], 5, normType: 3), 1e-12);
    }

    [Fact]
    public void ClipGradNorm_errors()
    {
        var a = WithGrad(double.NaN, 1);
        Assert.Contains("non-finite", Assert.Throws<InvalidOperationException>(() => Utils.ClipGradNorm([a], 1, errorIfNonfinite: true)).Message);
        Assert.Contains("normType", Assert.Throws<ArgumentException>(() => Utils.ClipGradNorm([a], 1, normType: 0)).Message);
        Assert.Equal(0, Utils.ClipGradNorm([new Parameter(Tensor.Zeros(1))], 1));
    }

    [Fact]
    public void ClipGradValue_clamps_in_place()
    {
        var a = WithGrad(-3, 0.5, 2);
        var grad = a.Grad;
        Utils.ClipGradValue([a], 1);
        Assert.Same(grad, a.Grad);
        Assert.Equal([-1.0, 0.5, 1.0], a.Grad!.ToArray<double>());
        Assert.Throws<ArgumentException>(() => Utils.ClipGradValue([a], -1));
    }
}

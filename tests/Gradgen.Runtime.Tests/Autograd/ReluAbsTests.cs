namespace Gradgen.Tests.Autograd;

/// <summary>Relu and Abs of float tensors run the generated one-liners: PyTorch's values, node names and gradients at 0.</summary>
public class ReluAbsTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Gradients_at_zero_are_zero_and_elsewhere_the_sign(DType dtype)
    {
        // 37 elements: vector lanes and a scalar tail.
        var v = new double[37];
        for (int i = 0; i < v.Length; i++) v[i] = i % 3 == 0 ? 0 : (i % 2 == 0 ? -1.5 * i : 0.25 * i);
        var x = Tensor.FromArray(v).To(dtype);
        x.RequiresGrad = true;

        var relu = x.Relu();
        Assert.Equal("ReluBackward", relu.GradFn!.Name);
        Assert.Equal(dtype, relu.DType);
        relu.Backward(Tensor.OnesLike(relu));
        double[] gr = x.Grad!.ToArray<double>(), yr = relu.ToArray<double>();
        x.Grad = null;

        var abs = x.Abs();
        Assert.Equal("AbsBackward", abs.GradFn!.Name);
        abs.Backward(Tensor.OnesLike(abs));
        double[] ga = x.Grad!.ToArray<double>(), ya = abs.ToArray<double>();

        for (int i = 0; i < v.Length; i++)
        {
            Assert.Equal(Math.Max(v[i], 0), yr[i]);
            Assert.Equal(v[i] > 0 ? 1 : 0, gr[i]);
            Assert.Equal(Math.Abs(v[i]), ya[i]);
            Assert.Equal(Math.Sign(v[i]), ga[i]);
        }
    }
}

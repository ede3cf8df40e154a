namespace Gradgen.Tests.Tensors;

/// <summary>Values printed in sections 12.1–12.3 of the tutorial seed, where they are deterministic.</summary>
[Collection(Gradgen.Runtime.Tests.Devices.DeviceBackendCollection.Name)]
public class TutorialTests
{
    [Fact]
    public void Zeros_and_ones_print_as_in_the_seed()
    {
        Assert.Equal("tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.])", Tensor.Zeros(10).ToString());
        Assert.Equal("tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1.])", Tensor.Ones(10).ToString());
    }

    [Fact]
    public void Linspace_prints_as_in_the_seed() =>
        Assert.Equal("tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])", Tensor.Linspace(0, 9, steps: 10).ToString());

    [Fact]
    public void From_a_list_prints_as_floats() =>
        Assert.Equal("tensor([0., 1., 2., 3., 4., 5., 6.])", Tensor.FromArray(new[] { 0, 1, 2, 3, 4, 5, 6 }, DType.Float32).ToString());

    [Fact]
    public void Float64_tensor_from_array_prints_dtype_and_wraps_lines()
    {
        var a = Tensor.FromArray(new[] { 2.3634, 0.7277, 1.7162, -0.4610, 0.7706, -0.7328, 0.5429, -0.3567, 0.4777, -1.4907 });
        Assert.Equal(
            "tensor([ 2.3634,  0.7277,  1.7162, -0.4610,  0.7706, -0.7328,  0.5429, -0.3567,\n" +
            "         0.4777, -1.4907], dtype=Float64)", a.ToString());
    }

    [Fact]
    public void Attributes_of_a_3d_tensor()
    {
        var a = Tensor.Randn(10, 20, 30);
        Assert.Equal(3, a.Ndim);
        Assert.Equal("[10, 20, 30]", a.Shape.ToString());
        Assert.Equal(DType.Float32, a.DType);
        Assert.Equal("cpu", a.Device.ToString());
    }

    [Fact]
    public void Int32_zeros_print_their_dtype() =>
        Assert.Equal("tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=Int32)", Tensor.Zeros([10], DType.Int32, device: Device.Cpu).ToString());

    [Fact]
    public void Reshape_transpose_flatten_unsqueeze()
    {
        var a = Tensor.Linspace(0, 9, 10);
        var b = a.Reshape(2, 5);
        Assert.Equal("tensor([[0., 1., 2., 3., 4.],\n        [5., 6., 7., 8., 9.]])", b.ToString());
        Assert.Equal("tensor([[0., 5.],\n        [1., 6.],\n        [2., 7.],\n        [3., 8.],\n        [4., 9.]])", b.T.ToString());
        Assert.Equal("tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])", b.Flatten().ToString());
        var c = b.Unsqueeze(1);
        Assert.Equal("tensor([[[0., 1., 2., 3., 4.]],\n\n        [[5., 6., 7., 8., 9.]]])", c.ToString());
        Assert.Equal("[2, 1, 5]", c.Shape.ToString());
    }

    [Fact]
    public void Arithmetic_on_data()
    {
        var data = Tensor.Linspace(0, 5, steps: 6);
        Assert.Equal("tensor([0., 1., 2., 3., 4., 5.])", data.ToString());
        Assert.Equal("tensor([ 5.,  6.,  7.,  8.,  9., 10.])", (data + 5).ToString());
        Assert.Equal("tensor([ 0.,  2.,  4.,  6.,  8., 10.])", (2 * data).ToString());
        Assert.Equal("tensor([ 0.,  1.,  4.,  9., 16., 25.])", data.Pow(2).ToString());
        Assert.Equal("tensor([  -inf, 0.0000, 0.6931, 1.0986, 1.3863, 1.6094])", data.Log().ToString());
    }

    [Fact]
    public void Mask_and_masked_selection()
    {
        var data = Tensor.Linspace(0, 5, steps: 6);
        var mask = data > 3;
        Assert.Equal("tensor([False, False, False, False,  True,  True])", mask.ToString());
        Assert.Equal("tensor([4., 5.])", data[mask].ToString());
    }

    [Fact]
    public void Broadcasting_outer_product()
    {
        var data = Tensor.Linspace(0, 5, steps: 6);
        var data2 = Tensor.Ones(6);
        Assert.Equal("tensor([[0.],\n        [1.],\n        [2.],\n        [3.],\n        [4.],\n        [5.]])", data.Unsqueeze(1).ToString());
        Assert.Equal("tensor([[1., 1., 1., 1., 1., 1.]])", data2.Unsqueeze(0).ToString());
        Assert.Equal(
            "tensor([[0., 0., 0., 0., 0., 0.],\n" +
            "        [1., 1., 1., 1., 1., 1.],\n" +
            "        [2., 2., 2., 2., 2., 2.],\n" +
            "        [3., 3., 3., 3., 3., 3.],\n" +
            "        [4., 4., 4., 4., 4., 4.],\n" +
            "        [5., 5., 5., 5., 5., 5.]])", (data.Unsqueeze(1) * data2.Unsqueeze(0)).ToString());
    }

    [Fact]
    public void Cuda_device_is_reported_as_not_supported_yet()
    {
        var data = Tensor.Zeros(10);
        var e = Assert.Throws<NotSupportedException>(() => data.To("cuda"));
        Assert.Contains("cuda:0", e.Message);
    }

    [Fact]
    public void Linear_function_gradient()
    {
        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        var y = 5 * x - 20;
        y.Backward(Tensor.OnesLike(x));
        Assert.All(x.Grad!.ToArray<float>(), g => Assert.Equal(5f, g));
    }

    [Fact]
    public void Gaussian_windowed_sine_matches_the_hand_derivative()
    {
        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        var y = Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3);
        y.Backward(Tensor.OnesLike(x));
        var xd = x.Detach();
        var dydx = 2 * Math.PI * Tensor.Cos(2.0 * Math.PI * xd) * Tensor.Exp(-(xd - 5).Pow(2) / 3)
                   - 2.0 / 3 * (xd - 5) * Tensor.Sin(2.0 * Math.PI * xd) * Tensor.Exp(-(xd - 5).Pow(2) / 3);
        var err = Tensor.Sum(Tensor.Pow(x.Grad!.Detach() - dydx, 2));
        Assert.True(err.Item<double>() < 1e-6, err.ToString());
        Assert.Equal("MulBackward", y.GradFn!.Name);
    }

    [Fact]
    public void Computation_graph_example()
    {
        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        Assert.Null(x.GradFn);
        var z = Tensor.Sin(2 * x);
        Assert.Equal("SinBackward", z.GradFn!.Name);
        var y = z.Pow(2) / 2;
        Assert.Equal("DivBackward", y.GradFn!.Name);
        y.Backward(Tensor.OnesLike(x), retainGraph: true);
        var dydx = x.Grad!.ToArray<float>();
        x.Grad = null;
        z.Backward(Tensor.OnesLike(x));
        var dzdx = x.Grad!.ToArray<float>();
        var xs = x.Detach().ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(2 * Math.Cos(2 * xs[i]), dzdx[i], 1e-4);
            Assert.Equal(Math.Sin(2 * xs[i]) * Math.Cos(2 * xs[i]) * 2, dydx[i], 1e-4);
        }
    }
}

namespace Gradgen.Tests.Tensors;

[Collection(Gradgen.Runtime.Tests.Devices.DeviceBackendCollection.Name)]
public class CreationTests
{
    [Fact]
    public void Zeros_ones_full_and_likes()
    {
        Assert.Equal(new float[6], Tensor.Zeros(2, 3).ToArray<float>());
        Assert.Equal([1f, 1f, 1f], Tensor.Ones(3).ToArray<float>());
        var f = Tensor.Full([2, 2], 7.5, DType.Float64);
        Assert.Equal(DType.Float64, f.DType);
        Assert.Equal([7.5, 7.5, 7.5, 7.5], f.ToArray<double>());
        var zl = Tensor.ZerosLike(f);
        Assert.Equal(DType.Float64, zl.DType);
        Assert.Equal(f.Shape, zl.Shape);
        var ol = Tensor.OnesLike(f, DType.Int32);
        Assert.Equal([1, 1, 1, 1], ol.ToArray<int>());
        Assert.Equal(DType.Bool, Tensor.Ones([2], DType.Bool).DType);
        Assert.True(Tensor.Zeros([3], DType.Float32, requiresGrad: true).RequiresGrad);
    }

    [Fact]
    public void Zeros_rejects_negative_dimensions()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
        Assert.Contains("[2, -1]", e.Message);
    }

    [Fact]
    public void A_zero_dimension_makes_an_empty_tensor_however_large_the_others_are()
    {
        // As torch.zeros(2147483647, 2147483647, 0): the product of the other dimensions is never formed.
        var t = Tensor.Zeros(int.MaxValue, int.MaxValue, 0);
        Assert.Equal(new Shape(int.MaxValue, int.MaxValue, 0), t.Shape);
        Assert.Equal(0, t.NumElements);
        Assert.Empty(t.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(65536, 65536));
        Assert.Contains("[65536, 65536] has more elements than one tensor can hold", e.Message);
    }

    [Fact]
    public void Linspace_hits_both_ends_and_handles_small_step_counts()
    {
        var x = Tensor.Linspace(0, 10, 1000).ToArray<float>();
        Assert.Equal(1000, x.Length);
        Assert.Equal(0f, x[0]);
        Assert.Equal(10f, x[^1]);
        Assert.Equal(10.0 / 999 * 500, x[500], 1e-5);
        Assert.Equal([3f], Tensor.Linspace(3, 7, 1).ToArray<float>());
        Assert.Empty(Tensor.Linspace(3, 7, 0).ToArray<float>());
        Assert.Equal([1.0, 0.5, 0.0], Tensor.Linspace(1, 0, 3, DType.Float64).ToArray<double>());
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Linspace(0, 1, -1));
    }

    [Fact]
    public void Arange_integer_and_float_forms()
    {
        var a = Tensor.Arange(5);
        Assert.Equal(DType.Int64, a.DType);
        Assert.Equal([0L, 1, 2, 3, 4], a.ToArray<long>());
        Assert.Equal([2L, 5, 8], Tensor.Arange(2, 10, 3).ToArray<long>());
        Assert.Equal([5L, 3, 1], Tensor.Arange(5, 0, -2).ToArray<long>());
        var f = Tensor.Arange(0.0, 1.0, 0.25);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], f.ToArray<float>());
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, 0));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, -1));
    }

    [Fact]
    public void Rand_and_randn_are_reproducible_through_manual_seed()
    {
        Gradgen.RandomGenerator.ManualSeed(42);
        var a = Tensor.Rand(100).ToArray<float>();
        var n = Tensor.Randn(1000).ToArray<float>();
        Gradgen.RandomGenerator.ManualSeed(42);
        Assert.Equal(a, Tensor.Rand(100).ToArray<float>());
        Assert.Equal(n, Tensor.Randn(1000).ToArray<float>());
        Assert.Equal(42, Gradgen.RandomGenerator.InitialSeed);
        Assert.All(a, v => Assert.InRange(v, 0f, 0.99999999f));
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.1, 0.1);
        Assert.InRange(var, 0.85, 1.15);
        Assert.Equal(DType.Float64, Tensor.Randn([3], DType.Float64).DType);
        Assert.Throws<ArgumentException>(() => Tensor.Rand([3], DType.Int32));
    }

    [Fact]
    public void FromArray_for_every_element_type_and_rank()
    {
        Assert.Equal(DType.Float32, Tensor.FromArray(new[] { 1f }).DType);
        Assert.Equal(DType.Float64, Tensor.FromArray(new[] { 1.0 }).DType);
        Assert.Equal(DType.Int32, Tensor.FromArray(new[] { 1 }).DType);
        Assert.Equal(DType.Int64, Tensor.FromArray(new[] { 1L }).DType);
        Assert.Equal(DType.Bool, Tensor.FromArray(new[] { true }).DType);
        var m = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal("[2, 3]", m.Shape.ToString());
        Assert.Equal(6f, m[1, 2].Item<float>());
        Assert.Equal(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, m.ToArray2D<float>());
        var c = Tensor.FromArray(new double[,,] { { { 1, 2 } }, { { 3, 4 } } });
        Assert.Equal("[2, 1, 2]", c.Shape.ToString());
        Assert.Equal(DType.Float64, c.DType);
        Assert.Equal([1, 2, 3, 4], Tensor.FromArray(new int[,] { { 1, 2 }, { 3, 4 } }).ToArray<int>());
        var conv = Tensor.FromArray(new[] { 1.7, -2.7 }, DType.Int32);
        Assert.Equal([1, -2], conv.ToArray<int>());
    }

    [Fact]
    public void FromArray_copies_while_FromMemory_shares()
    {
        var data = new float[] { 1, 2, 3, 4 };
        var copy = Tensor.FromArray(data);
        var shared = Tensor.FromMemory(data.AsMemory(), 2, 2);
        data[0] = 100;
        Assert.Equal(1f, copy[0].Item<float>());
        Assert.Equal(100f, shared[0, 0].Item<float>());
        shared.Fill(5);
        Assert.All(data, v => Assert.Equal(5f, v));
        var part = Tensor.FromMemory(new double[] { 1, 2, 3, 4, 5 }.AsMemory(1, 3));
        Assert.Equal([2.0, 3, 4], part.ToArray<double>());
        Assert.Throws<ArgumentException>(() => Tensor.FromMemory(data.AsMemory(), 3));
    }

    [Fact]
    public void FromSpan_copies_with_a_shape()
    {
        int[] s = [1, 2, 3, 4, 5, 6];
        var t = Tensor.FromSpan<int>(s, 3, 2);
        s[0] = 9;
        Assert.Equal("[3, 2]", t.Shape.ToString());
        Assert.Equal(1, t[0, 0].Item<int>());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromSpan<int>(s, 4, 2));
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void Out_conversions_and_their_errors()
    {
        var t = Tensor.FromArray(new[] { 1.5f, 2.5f });
        Assert.Equal([1.5, 2.5], t.ToArray<double>());
        Assert.Equal([1, 2], t.ToArray<int>());
        Assert.Equal(2.5f, t[1].Item<float>());
        Assert.Equal(2, t[1].Item<int>());
        var ie = Assert.Throws<InvalidOperationException>(() => t.Item<float>());
        Assert.Contains("2 elements", ie.Message);
        var span = t.AsSpan<float>();
        span[0] = 7;
        Assert.Equal(7f, t[0].Item<float>());
        Assert.Contains("dtype Float32", Assert.Throws<InvalidOperationException>(() => t.AsSpan<double>()).Message);
        var tr = Tensor.Zeros(2, 3).T;
        Assert.Contains("not contiguous", Assert.Throws<InvalidOperationException>(() => tr.AsSpan<float>()).Message);
        Assert.Throws<InvalidOperationException>(() => t.ToArray2D<float>());
        Assert.Equal(new float[,] { { 0, 0 }, { 0, 0 }, { 0, 0 } }, tr.ToArray2D<float>());
    }

    [Fact]
    public void Attributes()
    {
        var a = Tensor.Zeros(10, 20, 30);
        Assert.Equal(3, a.Ndim);
        Assert.Equal(6000, a.NumElements);
        Assert.Equal(20, a.Size(1));
        Assert.Equal(30, a.Size(-1));
        Assert.Equal([600, 30, 1], a.Strides);
        Assert.Equal(new Shape(10, 20, 30), a.Shape);
        Assert.Equal(30, a.Shape[-1]);
        Assert.Equal(Device.Cpu, a.Device);
        Assert.False(a.RequiresGrad);
        Assert.True(a.IsLeaf);
        Assert.Equal("[]", Tensor.Scalar(1).Shape.ToString());
    }

    [Fact]
    public void Devices_parse_print_and_refuse_cuda_for_now()
    {
        Assert.Equal("cpu", Device.Cpu.ToString());
        Assert.Equal("cuda:1", Device.Parse("cuda:1").ToString());
        Assert.Equal(Device.Cuda(0), Device.Parse("cuda"));
        Assert.Throws<FormatException>(() => Device.Parse("tpu"));
        var e = Assert.Throws<NotSupportedException>(() => Tensor.Zeros([3], DType.Float32, Device.Cuda()));
        Assert.Contains("Zeros", e.Message);
        Assert.Contains("cuda:0", e.Message);
        Assert.Throws<NotSupportedException>(() => Tensor.Ones(2).To(Device.Cuda(0)));
        var t = Tensor.Ones(2);
        Assert.Same(t, t.To(Device.Cpu));
    }
}

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Tests that register a device backend, or expect none: never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeviceBackendCollection
{
    public const string Name = "Device backend";
}

/// <summary>
/// Tensors on an accelerator, through the emulated device: the runtime's device paths (To, printing, the generated
/// elementwise functions and arithmetic, Sum, autograd, errors) give the CPU's results.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceTensorTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceTensorTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    private static Tensor Eager(Tensor x)
    {
        var d = x - 5;
        return (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
    }

    [Fact]
    public void ToAndBackAndPrintingAsPyTorch()
    {
        var data = Tensor.Zeros(10).To("cuda");
        Assert.Equal(Device.Cuda(), data.Device);
        Assert.Equal("tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], device='cuda:0')", data.ToString());
        var x = Tensor.Linspace(-3, 3, 7);
        Assert.Equal(x.ToArray<float>(), x.To(Device.Cuda()).To(Device.Cpu).ToArray<float>());
        Assert.Same(data, data.To("cuda:0"));
    }

    [Fact]
    public void CreationWithADeviceMakesTheTensorThere()
    {
        var zeros = Tensor.Zeros([3], DType.Float32, Device.Cuda(), requiresGrad: true);
        Assert.Equal(Device.Cuda(), zeros.Device);
        Assert.True(zeros.IsLeaf);
        Assert.True(zeros.RequiresGrad);
        Assert.Equal(new float[] { 0, 0, 0 }, zeros.To(Device.Cpu).ToArray<float>());
    }

    [Fact]
    public void EagerFormulaAndItsGradientOnTheDeviceMatchTheCpu()
    {
        var cpu = Tensor.Linspace(0, 10, 257, requiresGrad: true);
        var onDevice = Tensor.Linspace(0, 10, 257).To(Device.Cuda());
        onDevice.RequiresGrad = true;
        Assert.True(onDevice.IsLeaf);

        var sCpu = Eager(cpu).Sum();
        var sDevice = Eager(onDevice).Sum();
        Assert.Equal("SumBackward", sDevice.GradFn!.Name);
        Assert.Equal(Device.Cuda(), sDevice.Device);
        Assert.Equal(sCpu.Item<float>(), sDevice.To(Device.Cpu).Item<float>(), 3);
        sCpu.Backward();
        sDevice.Backward();
        Assert.Equal(Device.Cuda(), onDevice.Grad!.Device);
        var expected = cpu.Grad!.ToArray<float>();
        var actual = onDevice.Grad.To(Device.Cpu).ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
        }

        Assert.True(device.Launches > 10);
    }

    [Fact]
    public void GradientsAccumulateOnTheDeviceAcrossBackwardCalls()
    {
        var x = Tensor.Ones(4).To(Device.Cuda());
        x.RequiresGrad = true;
        (x * 3).Sum().Backward();
        (x * 3).Sum().Backward();
        Assert.Equal(new float[] { 6, 6, 6, 6 }, x.Grad!.To(Device.Cpu).ToArray<float>());
    }

    [Fact]
    public void ToIsRecordedSoGradientsReturnToTheCpu()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, requiresGrad: true);
        var y = (x.To(Device.Cuda()) * x.To(Device.Cuda())).Sum();
        y.Backward();
        Assert.Equal(Device.Cpu, x.Grad!.Device);
        Assert.Equal(new float[] { 2, 4, 6 }, x.Grad.ToArray<float>());
    }

    [Fact]
    public void MixingDevicesAndUnsupportedOperationsFailClearly()
    {
        var a = Tensor.Ones(3).To(Device.Cuda());
        var mixed = Assert.Throws<InvalidOperationException>(() => a + Tensor.Ones(3));
        Assert.Contains("same device", mixed.Message, StringComparison.Ordinal);
        Assert.Contains("cuda:0", mixed.Message, StringComparison.Ordinal);
        var maskOnCpu = Assert.Throws<InvalidOperationException>(() => a.MaskedSelect(Tensor.Ones(3) > 0));
        Assert.Contains("cuda:0", maskOnCpu.Message, StringComparison.Ordinal);
        var x = Tensor.FromArray(new[] { 1f, 2, 3 }).To(Device.Cuda());
        var cpuOnly = Assert.Throws<NotSupportedException>(() => Tensor.ApplyElementwise("CpuOnlyFused", DType.Float32, [x], (_, _) => { }, (_, _, _, _) => { }));
        Assert.Contains("To(Device.Cpu)", cpuOnly.Message, StringComparison.Ordinal);
        Assert.Contains("cuda:0", cpuOnly.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutABackendToTheGpuSaysWhatToDo()
    {
        DeviceBackends.Register(null);
        var error = Assert.Throws<NotSupportedException>(() => Tensor.Ones(2).To(Device.Cuda()));
        Assert.Contains("Cuda.Register()", error.Message, StringComparison.Ordinal);
    }
}

using Gradgen.Nn;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>A residual block with LayerNorm, GELU and a gate, and a log-softmax head: compiled as a tensor graph.</summary>
public sealed partial class DeviceGraphNet : Module
{
    private readonly Linear inputLayer = new(5, 8), gate = new(8, 8), head = new(8, 3);
    private readonly LayerNorm norm = new(8);

    public override Tensor Forward(Tensor x)
    {
        var h = inputLayer.Forward(x);
        h = h + Functional.Gelu(norm.Forward(h)) * Functional.Sigmoid(gate.Forward(h));
        return Functional.LogSoftmax(head.Forward(h), -1);
    }
}

/// <summary>[B, T, F] pooled over T, with a Cat and a MatMul of two activations: the non-row-wise graph code.</summary>
public sealed partial class DeviceSequenceGraphNet : Module
{
    private readonly Linear q = new(4, 4), k = new(4, 4), head = new(8, 2);

    public override Tensor Forward(Tensor x)
    {
        var scores = Functional.Softmax(q.Forward(x).MatMul(k.Forward(x).Transpose(-1, -2)), -1);
        var mixed = Tensor.Cat([scores.MatMul(x), x.Relu()], -1);
        return head.Forward(mixed.Mean(1, false));
    }
}

/// <summary>
/// A model compiled as a tensor graph runs on a device as the same plan: its elementwise kernels launched from the
/// generated CUDA C (the emulated device runs their generated C# twins), products, reductions and views as device
/// tensor operations, one node. Its values and training steps match the CPU's.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceGraphModelTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceGraphModelTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void TheGraphRunsAsOneNodeLaunchingItsGeneratedKernels()
    {
        var model = new DeviceGraphNet();
        model.To(Device.Cuda());
        device.Entries.Clear();
        var y = model.Call(Tensor.Randn(6, 5).To(Device.Cuda()));
        Assert.Equal(Device.Cuda(), y.Device);
        Assert.Equal("DeviceGraphNetBackward", y.GradFn!.Name);
        Assert.Contains("DeviceGraphNet_kernel0", device.Entries);
        Assert.All(device.Entries.Where(e => e.StartsWith("DeviceGraphNet_", StringComparison.Ordinal)), e => Assert.Matches("^DeviceGraphNet_kernel[0-9]+$", e));
    }

    [Fact]
    public void TrainingStepsOnTheDeviceMatchTheCpu()
    {
        RandomGenerator.ManualSeed(7);
        var labels = Tensor.FromArray(new long[] { 0, 1, 2, 1, 0, 2, 1 });
        DeviceModuleTests.TrainAndCompare(() => new DeviceGraphNet(), Tensor.Randn(7, 5), labels, new CrossEntropyLoss(), momentum: 0);
    }

    [Fact]
    public void ABatchedGraphAndItsInputGradientMatchTheCpu()
    {
        var cpu = new DeviceSequenceGraphNet();
        var onDevice = new DeviceSequenceGraphNet();
        onDevice.LoadStateDict(cpu.StateDict());
        onDevice.To(Device.Cuda());
        var x = Tensor.Randn([3, 5, 4], DType.Float32, requiresGrad: true);
        var dx = x.Detach().To(Device.Cuda());
        dx.RequiresGrad = true;
        var yc = cpu.Call(x);
        var yd = onDevice.Call(dx);
        Assert.Equal("DeviceSequenceGraphNetBackward", yd.GradFn!.Name);
        Close(yc, yd.To(Device.Cpu));
        (yc * yc).Sum().Backward();
        (yd * yd).Sum().Backward();
        Close(x.Grad!, dx.Grad!.To(Device.Cpu));
        foreach (var (expected, actual) in cpu.Parameters().Zip(onDevice.Parameters()))
        {
            Close(expected.Grad!, actual.Grad!.To(Device.Cpu));
        }
    }
}

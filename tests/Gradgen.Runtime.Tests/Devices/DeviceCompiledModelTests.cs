using Gradgen.Nn;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Three layers with each activation the device path fuses: compiled by the generator.</summary>
public sealed partial class DeviceCompiledNet : Module
{
    private readonly Linear a = new(3, 6), b = new(6, 5), c = new(5, 2);

    public override Tensor Forward(Tensor x) => Functional.Tanh(c.Forward(Functional.Relu(b.Forward(Functional.Sigmoid(a.Forward(x))))));
}

/// <summary>
/// A compiled model given device input runs its device path: one GEMM per layer with bias and activation fused, and
/// one node whose backward fuses each hidden activation's generated derivative into the product that carries the
/// gradient into it. Its training steps match the CPU's.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceCompiledModelTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceCompiledModelTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void TheCompiledModelRunsAsOneNodeOnTheDevice()
    {
        var model = new DeviceCompiledNet();
        model.To(Device.Cuda());
        int before = device.Launches;
        var y = model.Call(Tensor.Randn(7, 3).To(Device.Cuda()));
        Assert.Equal(Device.Cuda(), y.Device);
        Assert.Equal("DeviceCompiledNetBackward", y.GradFn!.Name);
        Assert.Equal(0, device.Launches - before);    // three fused GEMMs, no elementwise launches
    }

    [Fact]
    public void BackwardFusesEachHiddenDerivativeIntoTheProductThatReachesIt()
    {
        var model = new DeviceCompiledNet();
        model.To(Device.Cuda());
        var y = model.Call(Tensor.Randn(7, 3).To(Device.Cuda()));
        device.Entries.Clear();
        device.Ran.Clear();
        y.Sum().Backward();

        // The output layer's tanh′ is the one elementwise launch; relu′ and sigmoid′ are epilogues of dZ·W.
        Assert.Equal(["DeviceCompiledNetTanhDerivative_forward"], device.Entries.Where(e => e.Contains("Derivative", StringComparison.Ordinal)));
        Assert.Equal(["gemm:nn+DeviceCompiledNetReluDerivative", "gemm:nn+DeviceCompiledNetSigmoidDerivative"], device.Ran.Where(k => k.StartsWith("gemm:nn", StringComparison.Ordinal)));
        Assert.Equal(3, device.Ran.Count(k => k == "gemm:tn"));   // dW of each layer
    }

    [Fact]
    public void TrainingStepsOnTheDeviceMatchTheCpu()
    {
        RandomGenerator.ManualSeed(5);
        DeviceModuleTests.TrainAndCompare(() => new DeviceCompiledNet(), Tensor.Randn(40, 3), Tensor.Randn(40, 2), new MSELoss(), momentum: 0);
    }

    [Fact]
    public void TheInputGradientComesBackOnTheDevice()
    {
        var cpu = new DeviceCompiledNet();
        var onDevice = new DeviceCompiledNet();
        onDevice.LoadStateDict(cpu.StateDict());
        onDevice.To(Device.Cuda());
        var x = Tensor.Randn([9, 3], DType.Float32, requiresGrad: true);
        var dx = x.Detach().To(Device.Cuda());
        dx.RequiresGrad = true;
        cpu.Call(x).Sum().Backward();
        onDevice.Call(dx).Sum().Backward();
        Close(x.Grad!, dx.Grad!.To(Device.Cpu));
    }
}

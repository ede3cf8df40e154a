using Gradgen.Nn;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Three layers, each followed by an activation: compiled by the generator.</summary>
public sealed partial class DeviceChainNet : Module
{
    private readonly Linear a = new(3, 6), b = new(6, 5), c = new(5, 2);

    public override Tensor Forward(Tensor x) => Functional.Tanh(c.Forward(Functional.Relu(b.Forward(Functional.Sigmoid(a.Forward(x))))));
}

/// <summary>
/// A compiled model on a device runs its general plan with the same fusions as on the CPU: each activation is the
/// epilogue of its layer's GEMM (bias added, the generated kernel compiled into Gemm.cu's product), and each hidden
/// activation's derivative the epilogue of the product that carries the gradient into it. One node; its training
/// steps match the CPU's.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceProductEpilogueTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceProductEpilogueTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void EachLayerIsOneProductWithItsActivationAsTheEpilogue()
    {
        var model = new DeviceChainNet();
        model.To(Device.Cuda());
        int before = device.Launches;
        device.Ran.Clear();
        var y = model.Call(Tensor.Randn(7, 3).To(Device.Cuda()));
        Assert.Equal(Device.Cuda(), y.Device);
        Assert.Equal("DeviceChainNetBackward", y.GradFn!.Name);
        Assert.Equal(0, device.Launches - before);    // three fused GEMMs, no elementwise launches
        var products = device.Ran.Where(k => k.StartsWith("gemm:", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, products.Count);
        Assert.All(products, k => Assert.Matches("^gemm:nt\\+bias\\+DeviceChainNet_kernel[0-9]+_after_product_at0$", k));
    }

    [Fact]
    public void BackwardFusesEachHiddenDerivativeIntoTheProductThatReachesIt()
    {
        var model = new DeviceChainNet();
        model.To(Device.Cuda());
        var y = model.Call(Tensor.Randn(7, 3).To(Device.Cuda()));
        device.Entries.Clear();
        device.Ran.Clear();
        y.Sum().Backward();

        // The output layer's tanh′ is the one elementwise launch; relu′ and sigmoid′ are epilogues of dZ·W, which read
        // the activation's output as the other matrix.
        Assert.Single(device.Entries, e => e.StartsWith("DeviceChainNet_", StringComparison.Ordinal));
        var gradientProducts = device.Ran.Where(k => k.StartsWith("gemm:nn", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gradientProducts.Count);
        Assert.All(gradientProducts, k => Assert.Matches("^gemm:nn\\+DeviceChainNet_kernel[0-9]+_after_product_at[01]$", k));
        Assert.Equal(3, device.Ran.Count(k => k == "gemm:tn"));   // dW of each layer
    }

    [Fact]
    public void TrainingStepsOnTheDeviceMatchTheCpu()
    {
        RandomGenerator.ManualSeed(5);
        DeviceModuleTests.TrainAndCompare(() => new DeviceChainNet(), Tensor.Randn(40, 3), Tensor.Randn(40, 2), new MSELoss(), momentum: 0);
    }

    [Fact]
    public void TheInputGradientComesBackOnTheDevice()
    {
        var cpu = new DeviceChainNet();
        var onDevice = new DeviceChainNet();
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

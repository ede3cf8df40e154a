using Gradgen.Nn;
using Gradgen.Optim;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Modules on the emulated device: Module.To moves parameters in place, and a training step gives the CPU's parameters.</summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceModuleTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceModuleTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void ToMovesTheSameParametersAndTheirGradientsAndBack()
    {
        var model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
        var before = model.Parameters().ToArray();
        var values = before.Select(p => p.ToArray<float>()).ToArray();
        model.Call(Tensor.Ones(2, 3)).Sum().Backward();
        var grads = before.Select(p => p.Grad!.ToArray<float>()).ToArray();

        Assert.Same(model, model.To("cuda"));
        var after = model.Parameters().ToArray();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Same(before[i], after[i]);
            Assert.Equal(Device.Cuda(), after[i].Device);
            Assert.True(after[i].IsLeaf && after[i].RequiresGrad);
            Assert.Equal(Device.Cuda(), after[i].Grad!.Device);
            Assert.Equal(values[i], after[i].ToArray<float>());
            Assert.Equal(grads[i], after[i].Grad!.ToArray<float>());
        }

        model.To(Device.Cpu);
        Assert.All(model.Parameters(), p => Assert.Equal(Device.Cpu, p.Device));
        Assert.Equal(values[0], before[0].ToArray<float>());
    }

    [Fact]
    public void AModuleOnTheCpuGivenDeviceInputNamesBothDevices()
    {
        var layer = new Linear(3, 2);
        var error = Assert.Throws<InvalidOperationException>(() => layer.Call(Tensor.Ones(1, 3).To("cuda")));
        Assert.Contains("cuda:0", error.Message, StringComparison.Ordinal);
        Assert.Contains("cpu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeedMlpTrainingStepMatchesTheCpu()
    {
        // The seed's 2-2-1 MLP with a sigmoid, MSE and plain SGD: the device step is one GEMM per layer, the
        // generated sigmoid kernels, device reductions for the bias gradients and one update kernel per parameter.
        static Module Build() => new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
        var x = Random(40, 64, 2);
        var y = Random(41, 64, 1);
        TrainAndCompare(Build, x, y, new MSELoss(), momentum: 0);
        Assert.Equal(4 * 3, device.Entries.Count(e => e == "gg_update")); // 4 parameters, 3 steps
        Assert.Contains("gemm:nt+bias", device.Ran);
    }

    [Fact]
    public void ReluCrossEntropyTrainingStepsWithMomentumMatchTheCpu()
    {
        static Module Build() => new Sequential(new Linear(12, 16), new ReLU(), new Linear(16, 5));
        var x = Random(42, 32, 12);
        var labels = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i * 7 % 5)).ToArray());
        TrainAndCompare(Build, x, labels, new CrossEntropyLoss(), momentum: 0.9);
    }

    [Fact]
    public void TheGpuChecksDeviceOperationChecksPassOnTheEmulatedDevice()
    {
        var reported = new Dictionary<string, object>();
        Assert.True(Gradgen.GpuCheck.DeviceOpChecks.Run((key, value) => reported[key] = value));
        Assert.Equal(true, reported["device_ops_passed"]);
    }

    [Fact]
    public void TheGpuChecksTrainingStepChecksPassOnTheEmulatedDevice()
    {
        // The same code as on the GPU, at sizes the emulated device's plain loops finish quickly (here the models are
        // not compiled by the generator: Call runs Forward, as it does on a GPU).
        var reported = new Dictionary<string, object>();
        Assert.True(Gradgen.GpuCheck.MlpChecks.Run((key, value) => reported[key] = value, runs: 1, synchronize: () => { }, seedBatch: 500, mnistBatches: [8]));
        Assert.Equal(true, reported["seed_mlp_check"]);
        Assert.Equal(true, reported["mnist_mlp_8_check"]);
    }

    internal static void TrainAndCompare(Func<Module> build, Tensor x, Tensor target, Loss loss, double momentum)
    {
        var cpu = build();
        var onDevice = build();
        onDevice.LoadStateDict(cpu.StateDict());
        onDevice.To(Device.Cuda());
        var cpuSgd = new Sgd(cpu.Parameters(), lr: 0.1, momentum: momentum);
        var deviceSgd = new Sgd(onDevice.Parameters(), lr: 0.1, momentum: momentum);
        var dx = x.To(Device.Cuda());
        var dt = target.To(Device.Cuda());
        for (int step = 0; step < 3; step++)
        {
            cpuSgd.ZeroGrad();
            deviceSgd.ZeroGrad();
            var lc = loss.Call(cpu.Call(x), target);
            var ld = loss.Call(onDevice.Call(dx), dt);
            Assert.Equal(Device.Cuda(), ld.Device);
            Assert.Equal(lc.Item<float>(), ld.Item<float>(), 4);
            lc.Backward();
            ld.Backward();
            cpuSgd.Step();
            deviceSgd.Step();
        }

        var expected = cpu.Parameters().ToArray();
        var actual = onDevice.Parameters().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(Device.Cuda(), actual[i].Device);
            Close(expected[i], actual[i].To(Device.Cpu));
        }
    }
}

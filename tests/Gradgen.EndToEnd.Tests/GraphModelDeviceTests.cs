using Gradgen.Runtime.Tests.Devices;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The model corpus on a device: every model of GraphModelTests and GraphModelNewModuleTests moved to the emulated
/// device (tests/Gradgen.Runtime.Tests/Devices/EmulatedDevice.cs, linked here) runs <c>Call</c> as its device plan —
/// the graph's generated kernels launched by entry name (the emulator runs their generated C# twins), products,
/// reductions and views as device operations, one node — and agrees with <c>Forward</c> on the CPU in the output
/// and in every gradient, with GraphModelTests' tolerances.
/// </summary>
[Collection(EmulatedDeviceCollection.Name)]
public sealed class GraphModelDeviceTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public GraphModelDeviceTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    private static readonly string[] NewModuleModels = ["LayerNormMlp", "DropoutMlp", "ActivationZoo"];

    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            // The CNNs too: their convolution, pooling and batch norm steps run the device compositions
            // (Nn/DeviceWindows.cs, Functional.BatchNormMoments) with those compositions' gradients.
            foreach (var name in GraphModelTests.ModelNames.Concat(NewModuleModels))
            {
                foreach (var batch in new[] { 1, 7, 64 }) data.Add(name, batch);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CallOnTheDeviceMatchesForwardOnTheCpu(string model, int batch)
    {
        var (m, x, fanIn, rows) = Create(model, batch);
        var eager = GraphModelTests.Run(m, x, compiled: false);

        m.To(Device.Cuda());
        device.Entries.Clear();
        var onDevice = GraphModelTests.Run(m, x.To(Device.Cuda()), compiled: true);

        Assert.Equal($"{model}Backward", onDevice.Node);
        Assert.All(m.Parameters(), p => Assert.Equal(Device.Cuda(), p.Device));
        GraphModelTests.AssertAgree(eager, onDevice, fanIn, rows);
    }

    [Fact]
    public void ABatchNormModelOnTheDeviceUpdatesItsRunningStatisticsAsForwardOnTheCpu()
    {
        // Two identical copies: the device one runs Call (one node) twice in training, then once in evaluation; the
        // CPU one runs the eager Forward. The running mean and variance and num_batches_tracked follow the CPU's, and
        // in evaluation the outputs agree (normalised with those running statistics).
        var (onDevice, x, _, _) = Create("ConvBatchNormNet", 7);
        var (cpu, sameX, _, _) = Create("ConvBatchNormNet", 7);
        onDevice.To(Device.Cuda());
        var dx = x.To(Device.Cuda());
        for (int call = 0; call < 2; call++)
        {
            Assert.Equal("ConvBatchNormNetBackward", onDevice.Call(dx).GradFn!.Name);
            _ = cpu.Forward(sameX);
        }

        var expected = cpu.StateDict();
        foreach (var (name, tensor) in onDevice.StateDict().Where(e => e.Key.Contains("running", StringComparison.Ordinal) || e.Key.Contains("num_batches", StringComparison.Ordinal)))
        {
            Assert.Equal(Device.Cuda(), tensor.Device);
            Assert.Equal(expected[name].ToArray<double>(), tensor.To(Device.Cpu).ToArray<double>(), (a, b) => Math.Abs(a - b) <= 1e-5 * (1 + Math.Abs(a)));
        }

        onDevice.Eval();
        cpu.Eval();
        var evaluated = onDevice.Call(dx).To(Device.Cpu).ToArray<float>();
        var reference = cpu.Forward(sameX).ToArray<float>();
        Assert.Equal(reference, evaluated, (a, b) => Math.Abs(a - b) <= 1e-4 * (1 + Math.Abs(a)));
    }

    [Theory]
    [InlineData("ResidualMlp")]
    [InlineData("ProductEpilogues")]
    [InlineData("LayerNormMlp")]
    [InlineData("SoftmaxAttentionLite")]
    public void AGraphModelLaunchesOnlyItsOwnGeneratedKernels(string model)
    {
        var (m, x, _, _) = Create(model, 7);
        m.To(Device.Cuda());
        device.Entries.Clear();
        var y = m.Call(x.To(Device.Cuda()));
        y.Sum().Backward();

        Assert.Equal(Device.Cuda(), y.Device);

        // Its kernels run as launches of their own or, where the plan folds one into a product, as the epilogue of
        // Gemm.cu's product ("gemm:nt+bias+M_kernel0_after_product_at0"): the first kernel is among them.
        var launched = device.Entries.Where(e => e.StartsWith(model + "_", StringComparison.Ordinal)).ToList();
        var epilogues = device.Ran.Where(k => k.Contains("_after_product_at", StringComparison.Ordinal)).Select(k => k[(k.LastIndexOf('+') + 1)..]).ToList();
        Assert.All(launched, e => Assert.Matches($"^{model}_kernel[0-9]+$", e));
        Assert.All(epilogues, e => Assert.Matches($"^{model}_kernel[0-9]+_after_product_at[01]$", e));
        Assert.Contains($"{model}_kernel0", launched.Concat(epilogues.Select(e => e[..e.IndexOf("_after_product_at", StringComparison.Ordinal)])));
    }

    private static (Gradgen.Nn.Module Model, Tensor Input, int FanIn, int Rows) Create(string model, int batch)
    {
        if (NewModuleModels.Contains(model))
        {
            var (m, x) = GraphModelNewModuleTests.Create(model, batch);
            return (m, x, 32, batch);
        }

        var (module, input, spec) = GraphModelTests.Create(model, batch);
        return (module, input, spec.FanIn, batch * spec.Steps);
    }
}

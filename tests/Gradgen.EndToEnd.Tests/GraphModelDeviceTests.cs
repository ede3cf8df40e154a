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
            // The CNNs too: their convolution and pooling steps run the device compositions (Nn/DeviceWindows.cs) with
            // those compositions' gradients. Batch norm's compiled steps are CPU kernels (below).
            foreach (var name in GraphModelTests.ModelNames.Except(GraphModelTests.CpuOnlyModels).Concat(NewModuleModels))
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

    [Theory]
    [InlineData("ConvBatchNormNet")]
    [InlineData("GlobalPoolConvNet")]
    public void ABatchNormModelOnTheDeviceRunsItsForwardThroughDeviceOperations(string model)
    {
        // Batch norm's compiled steps are CPU kernels: on a device Call runs the eager Forward (batch norm composed of
        // device operations), not the one node. Values and gradients follow the CPU's Forward.
        Assert.Contains(model, GraphModelTests.CpuOnlyModels);
        var (m, x, fanIn, rows) = Create(model, 7);
        var eager = GraphModelTests.Run(m, x, compiled: false);

        m.To(Device.Cuda());
        var onDevice = GraphModelTests.Run(m, x.To(Device.Cuda()), compiled: true);

        Assert.NotEqual($"{model}Backward", onDevice.Node);
        GraphModelTests.AssertAgree(eager, onDevice, fanIn, rows);
    }

    [Theory]
    [InlineData("ResidualMlp")]
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
        Assert.Contains($"{model}_kernel0", device.Entries);
        Assert.All(device.Entries.Where(e => e.StartsWith(model + "_", StringComparison.Ordinal)),
            e => Assert.Matches($"^{model}_kernel[0-9]+$", e));
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

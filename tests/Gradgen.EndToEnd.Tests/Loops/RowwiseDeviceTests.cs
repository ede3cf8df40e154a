using Gradgen.Runtime.Tests.Devices;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of methods over spans on a device (the emulated one here): they launch the row kernels of
/// <c>FRowsCudaSource</c> (the emulator checks each launch against the kernel's signature and runs the CPU overload
/// on host copies), broadcast leading dimensions and convert dtypes as on the CPU, record one graph node, and run a
/// backward again with more tape when a row reports that its tape was full. A method whose rows the CUDA emitter
/// cannot write is refused with a message naming the method, the reason and the way back.
/// </summary>
[Collection(EmulatedDeviceCollection.Name)]
public sealed class RowwiseDeviceTests : IDisposable
{
    private static readonly RowArgument[] OneRow = [RowArgument.Row];

    private readonly EmulatedDevice device = new();

    public RowwiseDeviceTests()
    {
        device.RegisterRows("LogSumExp_rows", OneRow, 0, (t, _) => [LoopCorpus.LogSumExp(t[0])]);
        device.RegisterRows("Softmax_rows", OneRow, 1, (t, _) => [LoopCorpus.Softmax(t[0])]);
        device.RegisterRows("Horner_rows", [RowArgument.Row, RowArgument.Scalar], 0, (t, _) => [LoopCorpus.Horner(t[0], t[1])]);
        device.RegisterRows("SoftmaxCrossEntropy_rows", OneRow, 0, (t, a) => [LoopCorpus.SoftmaxCrossEntropy(t[0], checked((int)a[0]))]);
        device.RegisterRows("SoftmaxCrossEntropy_indexed_rows", [RowArgument.Row, RowArgument.Index], 0, (t, _) => [LoopCorpus.SoftmaxCrossEntropy(t[0], t[1])]);
        device.RegisterRows("Squash_rows", [RowArgument.Row, RowArgument.Row, RowArgument.Scalar, RowArgument.Scalar], 2, (t, _) =>
        {
            var (y, total) = LoopCorpus.Squash(t[0], t[1], t[2], t[3], totalLength: 1);
            return [y, total];
        });
        DeviceBackends.Register(device);
    }

    public void Dispose() => DeviceBackends.Register(null);

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void AValuePerRowIsTheCpusValueAndGradientThroughTheRowKernels(DType dtype)
    {
        // A double method computes in Float64 on the device as on the CPU, whatever the tensor's dtype.
        SameAsCpu(t => LoopCorpus.LogSumExp(t[0]), Random(1, 2, 3, 7).To(dtype));

        Assert.Equal(["LogSumExp_rows_forward", "LogSumExp_rows_backward"], device.Entries);
    }

    [Fact]
    public void AFloatMethodRunsItsFloatRowKernels()
    {
        device.RegisterRows("LogSumExp_rows", OneRow, 0, (t, _) => [LoopCorpusF.LogSumExp(t[0])]);

        SameAsCpu(t => LoopCorpusF.LogSumExp(t[0]), Random(2, 4, 9));

        Assert.Equal(["LogSumExp_rows_forward", "LogSumExp_rows_backward"], device.Entries);
        Assert.All(device.RowLaunches, l => Assert.Contains("float* __restrict__ gg_out", LoopCorpusF.LogSumExpRowsCudaSource));
    }

    [Fact]
    public void ASpanOutputGivesTheCpusRowsAndTheirGradient()
    {
        SameAsCpu(t => LoopCorpus.Softmax(t[0]), Random(3, 4, 6));

        Assert.Equal(["Softmax_rows_forward", "Softmax_rows_backward"], device.Entries);
    }

    [Fact]
    public void LeadingDimensionsBroadcastAcrossRowAndScalarArguments()
    {
        // c is one row for all [3, 4] rows; x has one value per row: the gradient of c sums over all rows.
        SameAsCpu(t => LoopCorpus.Horner(t[0], t[1]), Random(4, 5), Random(5, 3, 4));
        SameAsCpu(t => LoopCorpus.Horner(t[0], t[1]), Random(6, 3, 1, 5), Random(7, 4));
    }

    [Fact]
    public void AnIntArgumentGoesToTheKernelsAndPerRowLabelsAreAnIndexTensor()
    {
        SameAsCpu(t => LoopCorpus.SoftmaxCrossEntropy(t[0], 2), Random(8, 5, 4));
        var labels = Tensor.FromArray(new long[] { 0, 3, 1, 2, 3 });
        SameAsCpu(t => LoopCorpus.SoftmaxCrossEntropy(t[0], t[1]), Random(9, 5, 4), labels);

        Assert.Equal(["SoftmaxCrossEntropy_rows_forward", "SoftmaxCrossEntropy_rows_backward", "SoftmaxCrossEntropy_indexed_rows_forward", "SoftmaxCrossEntropy_indexed_rows_backward"], device.Entries);
    }

    [Fact]
    public void SeveralOutputsAreViewsOfOneNodeOnTheDevice()
    {
        var x = Random(10, 3, 5);
        var w = Random(11, 3, 5);
        var a = Random(12, 3);
        var b = Random(13, 3);
        var inputs = new[] { x, w, a, b };
        var cpu = inputs.Select(t => t.To(DType.Float64).Detach()).ToArray();
        var gpu = inputs.Select(t => t.To(DType.Float64).Detach().To(Device.Cuda())).ToArray();
        foreach (var t in cpu.Concat(gpu))
        {
            t.RequiresGrad = true;
        }

        var (y, total) = LoopCorpus.Squash(cpu[0], cpu[1], cpu[2], cpu[3], totalLength: 1);
        var (yDevice, totalDevice) = LoopCorpus.Squash(gpu[0], gpu[1], gpu[2], gpu[3], totalLength: 1);
        Close(y, yDevice.To(Device.Cpu));
        Close(total, totalDevice.To(Device.Cpu));
        Assert.Equal("SquashBackward", NodeOf(yDevice).Name);
        Assert.Same(NodeOf(yDevice), NodeOf(totalDevice));

        ((y * y).Sum() + (3 * total).Sum()).Backward();
        ((yDevice * yDevice).Sum() + (3 * totalDevice).Sum()).Backward();
        for (int i = 0; i < cpu.Length; i++)
        {
            Close(cpu[i].Grad!, gpu[i].Grad!.To(Device.Cpu));
        }
    }

    /// <summary>An output's node: through its view (Narrow, then View) to the buffer's.</summary>
    private static GradFn NodeOf(Tensor output) => output.GradFn!.NextFunctions[0]!.NextFunctions[0]!;

    [Fact]
    public void ARowWhoseTapeIsFullRunsAgainWithTheCapacityItReported()
    {
        var x = Random(14, 6, 8).To(DType.Float64).To(Device.Cuda());
        x.RequiresGrad = true;
        var value = LoopCorpus.LogSumExp(x);
        device.OverflowNextLaunches = 1;
        device.OverflowBy = 1_000;
        value.Sum().Backward();

        var backward = device.RowLaunches.Where(l => l.Entry == "LogSumExp_rows_backward").ToList();
        Assert.Equal(2, backward.Count);
        Assert.True(backward[1].Capacity >= backward[0].Capacity + 1_000, $"relaunched with {backward[1].Capacity} words after a report of {backward[0].Capacity + 1_000}");

        // The relaunch's gradient is the whole gradient: softmax of each row.
        var expected = LoopCorpus.Softmax(x.Detach().To(Device.Cpu));
        Close(expected, x.Grad!.To(Device.Cpu));
    }

    [Fact]
    public void AMethodThatCallsAnotherSpanMethodIsRefusedNamingTheCallAndTheWayBack()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64).To(Device.Cuda());
        var refused = Assert.Throws<NotSupportedException>(() => LoopCorpus.Norm(x));
        Assert.Contains("Norm", refused.Message);
        Assert.Contains("calls the span function Dot", refused.Message);
        Assert.Contains("To(Device.Cpu)", refused.Message);
        Assert.Equal(3, LoopCorpus.Norm(x.To(Device.Cpu)).ToArray<double>().Length);
    }

    [Fact]
    public void AMethodWithACustomDerivativeIsRefusedOnADevice()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64).To(Device.Cuda());
        var refused = Assert.Throws<NotSupportedException>(() => LoopCorpus.SumOfSquares(x));
        Assert.Contains("SumOfSquares", refused.Message);
        Assert.Contains("SumOfSquaresVjp", refused.Message);
        Assert.Empty(device.Entries);
    }
}

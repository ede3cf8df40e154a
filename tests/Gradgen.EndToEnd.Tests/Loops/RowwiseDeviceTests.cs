using Gradgen.Runtime.Tests.Devices;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of methods over spans on a device (the emulated one here): they launch the row kernels of
/// <c>FRowsCudaSource</c> (the emulator checks each launch against the kernel's signature and runs the CPU overload
/// on host copies), broadcast leading dimensions and convert dtypes as on the CPU, record one graph node, and run a
/// backward again with more tape when a row reports that its tape was full, in chunks of rows where all rows' tapes
/// would not fit one buffer. A method whose rows the CUDA emitter cannot write is refused with a message naming the
/// method, the reason and the way back.
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
        device.RegisterRows("CrossEntropyByLogSumExp_indexed_rows", [RowArgument.Row, RowArgument.Index], 0, (t, _) => [LoopCorpus.CrossEntropyByLogSumExp(t[0], t[1])]);
        device.RegisterRows("MatVecByDot_rows", [RowArgument.Row, RowArgument.Row], 1, (t, _) => [LoopCorpus.MatVecByDot(t[0], t[1], outputLength: 3)]);
        device.RegisterRows("SumOfExps_rows", OneRow, 0, (t, a) => [LoopCorpus.SumOfExps(t[0], checked((int)a[0]))]);
        DeviceBackends.Register(device);
    }

    public void Dispose()
    {
        DeviceBackends.Register(null);
        DeviceRows.WordsPerTape = Array.MaxLength;
    }

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

    // A method that calls other span methods has row kernels too: the callees are device functions of its source.
    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void AMethodThatCallsSpanMethodsRunsItsRowKernels(DType dtype)
    {
        var labels = Tensor.FromArray(new long[] { 4, 0, 2, 1, 3, 3 });
        SameAsCpu(t => LoopCorpus.CrossEntropyByLogSumExp(t[0], t[1]), Random(20, 6, 5).To(dtype), labels);
        SameAsCpu(t => LoopCorpus.MatVecByDot(t[0], t[1], outputLength: 3), Random(21, 2, 4, 12).To(dtype), Random(22, 4));

        Assert.Equal(["CrossEntropyByLogSumExp_indexed_rows_forward", "CrossEntropyByLogSumExp_indexed_rows_backward", "MatVecByDot_rows_forward", "MatVecByDot_rows_backward"], device.Entries);
        Assert.Contains("static __device__ void gg_f1_LogSumExp(", LoopCorpus.CrossEntropyByLogSumExpRowsCudaSource);
        Assert.Contains("static __device__ void gg_f2_Norm(", LoopCorpus.MatVecByDotRowsCudaSource);
    }

    [Fact]
    public void AFloatMethodThatCallsASpanMethodRunsItsFloatRowKernels()
    {
        device.RegisterRows("MatVecByDot_rows", [RowArgument.Row, RowArgument.Row], 1, (t, _) => [LoopCorpusF.MatVecByDot(t[0], t[1], outputLength: 2)]);

        SameAsCpu(t => LoopCorpusF.MatVecByDot(t[0], t[1], outputLength: 2), Random(23, 3, 10), Random(24, 5));

        Assert.Contains("static __device__ void gg_f1_Dot(gg_row_tape& tape, float& gg_result,", LoopCorpusF.MatVecByDotRowsCudaSource);
    }

    [Fact]
    public void ACallersFullTapeRunsItsRowsAgainWithMore()
    {
        var a = Random(25, 5, 12).To(DType.Float64).To(Device.Cuda());
        var x = Random(26, 5, 4).To(DType.Float64).To(Device.Cuda());
        a.RequiresGrad = true;
        x.RequiresGrad = true;
        var y = LoopCorpus.MatVecByDot(a, x, outputLength: 3);
        device.OverflowNextLaunches = 2;
        device.OverflowBy = 50;
        y.Sum().Backward();

        var backward = device.RowLaunches.Where(l => l.Entry == "MatVecByDot_rows_backward").ToList();
        Assert.Equal(3, backward.Count);
        Assert.True(backward[1].Capacity >= backward[0].Capacity + 50 && backward[2].Capacity >= backward[1].Capacity + 50);
        var (ca, cx) = (a.Detach().To(Device.Cpu), x.Detach().To(Device.Cpu));
        ca.RequiresGrad = true;
        cx.RequiresGrad = true;
        LoopCorpus.MatVecByDot(ca, cx, outputLength: 3).Sum().Backward();
        Close(ca.Grad!, a.Grad!.To(Device.Cpu));
        Close(cx.Grad!, x.Grad!.To(Device.Cpu));
    }

    [Fact]
    public void VariablesNamedLikeCFunctionsOrCppKeywordsRunOnTheDevice()
    {
        SameAsCpu(t => LoopCorpus.SumOfExps(t[0], 2), Random(27, 4, 6).To(DType.Float64));

        Assert.Contains("double gg_u_exp = 0", LoopCorpus.SumOfExpsRowsCudaSource);
    }

    // The tape of all rows may be larger than one device buffer holds (2³¹ words): the rows then run in chunks, each
    // with a tape that fits. The limit is made small here.
    [Fact]
    public void RowsWhoseTapesExceedOneBufferRunInChunksThatEachFit()
    {
        var x = Random(28, 10, 8).To(DType.Float64);
        SameAsCpu(t => LoopCorpus.LogSumExp(t[0]), x);
        long capacity = device.RowLaunches.Single(l => l.Entry == "LogSumExp_rows_backward").Capacity;
        device.RowLaunches.Clear();

        DeviceRows.WordsPerTape = 3 * capacity;
        SameAsCpu(t => LoopCorpus.LogSumExp(t[0]), x);

        // The forward needs no tape and runs at once; the backward in chunks of three rows.
        Assert.Equal([("LogSumExp_rows_forward", 0L, 0, 10)], device.RowLaunches.Where(l => l.Entry.EndsWith("_forward", StringComparison.Ordinal)).Select(l => (l.Entry, l.Capacity, l.First, l.Count)));
        Assert.Equal([(0, 3), (3, 3), (6, 3), (9, 1)], device.RowLaunches.Where(l => l.Entry.EndsWith("_backward", StringComparison.Ordinal)).Select(l => (l.First, l.Count)));
    }

    [Fact]
    public void AChunkWhoseTapeIsFullRunsAgainAndTheRestUseTheLargerTape()
    {
        var x = Random(29, 7, 8).To(DType.Float64).To(Device.Cuda());
        x.RequiresGrad = true;
        LoopCorpus.LogSumExp(x).Sum().Backward();
        long capacity = device.RowLaunches.Single(l => l.Entry == "LogSumExp_rows_backward").Capacity;
        device.RowLaunches.Clear();
        x.Grad = null;

        var value = LoopCorpus.LogSumExp(x);
        DeviceRows.WordsPerTape = 4 * capacity;
        device.OverflowNextLaunches = 1;
        device.OverflowBy = capacity;
        value.Sum().Backward();

        // The first chunk (four rows) reports twice its capacity: it runs again with that, in chunks of two rows.
        var backward = device.RowLaunches.Where(l => l.Entry == "LogSumExp_rows_backward").Select(l => (l.Capacity, l.First, l.Count));
        Assert.Equal([(capacity, 0, 4), (2 * capacity, 0, 2), (2 * capacity, 2, 2), (2 * capacity, 4, 2), (2 * capacity, 6, 1)], backward);
        Close(LoopCorpus.Softmax(x.Detach().To(Device.Cpu)), x.Grad!.To(Device.Cpu));
    }

    [Fact]
    public void AGuessAtTheTapeLargerThanOneBufferIsCutToIt()
    {
        var x = Random(31, 4, 8).To(DType.Float64).To(Device.Cuda());
        x.RequiresGrad = true;
        var value = LoopCorpus.LogSumExp(x);
        DeviceRows.WordsPerTape = 10;
        value.Sum().Backward();

        Assert.Equal([(10L, 0, 1), (10L, 1, 1), (10L, 2, 1), (10L, 3, 1)], device.RowLaunches.Where(l => l.Entry == "LogSumExp_rows_backward").Select(l => (l.Capacity, l.First, l.Count)));
        Close(LoopCorpus.Softmax(x.Detach().To(Device.Cpu)), x.Grad!.To(Device.Cpu));
    }

    [Fact]
    public void ARowWhoseTapeAloneExceedsOneBufferIsAnErrorNamingBoth()
    {
        var x = Random(30, 4, 8).To(DType.Float64).To(Device.Cuda());
        x.RequiresGrad = true;
        var value = LoopCorpus.LogSumExp(x);
        DeviceRows.WordsPerTape = 10;
        device.OverflowNextLaunches = 1;
        device.OverflowBy = 5;

        var error = Assert.Throws<InvalidOperationException>(() => value.Sum().Backward());
        Assert.Contains("LogSumExp: one of its rows needs a tape of 15 words, more than one device buffer holds (10 words)", error.Message);
    }

    [Fact]
    public void AMethodThatCallsASpanMethodWithACustomDerivativeIsRefusedNamingBoth()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64).To(Device.Cuda());
        var refused = Assert.Throws<NotSupportedException>(() => LoopCorpus.RootSumOfSquares(x));
        Assert.Contains("RootSumOfSquares", refused.Message);
        Assert.Contains("calls the span function SumOfSquares (its derivative is the C# method SumOfSquaresVjp", refused.Message);
        Assert.Contains("To(Device.Cpu)", refused.Message);
        Assert.Equal(3, LoopCorpus.RootSumOfSquares(x.To(Device.Cpu)).ToArray<double>().Length);
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

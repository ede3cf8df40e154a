using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// Every device operation of the runtime against the CPU, through the emulated device: values, the gradients of
/// autograd on the device, what ran (views copy nothing, transposed operands reach the GEMM as they are) and errors.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceOpsTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceOpsTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void ArithmeticBroadcastsWithGradientsSummedBackOnTheDevice()
    {
        var a = Random(1, 3, 4);
        var row = Random(2, 4);
        var column = Random(3, 3, 1);
        SameAsCpu(t => t[0] + t[1], a, row);
        SameAsCpu(t => t[0] - t[1], column, row);
        SameAsCpu(t => t[0] * t[1], a, column);
        SameAsCpu(t => t[0] / (t[1].Abs() + 1), row, a);
        Assert.Contains("reduce:Sum", device.Ran);
    }

    [Fact]
    public void ScalarsOnEitherSideTakeOnePass()
    {
        var x = Random(4, 2, 5);
        SameAsCpu(t => ((t[0] + 2) * 3) - 1, x);
        SameAsCpu(t => (2 - t[0]) / 4, x);
        SameAsCpu(t => 3 / (t[0].Abs() + 1), x);
        device.Ran.Clear();
        var d = x.To(Device.Cuda());
        _ = d * 2.5;
        Assert.Equal(["map:Affine"], device.Ran);
    }

    [Fact]
    public void IntegerOperandsArePromotedToFloat32()
    {
        var ints = Tensor.FromArray(new[] { 1, -2, 3 });
        var x = Random(5, 3);
        SameAsCpu(t => t[0] * t[1], x, ints);
        SameAsCpu(t => t[0] + t[0].Gt(0), x);
    }

    [Fact]
    public void UnaryFunctionsAndTheirGradients()
    {
        var x = Random(6, 4, 5);
        SameAsCpu(t => t[0].Relu(), x);
        SameAsCpu(t => t[0].Abs(), x);
        SameAsCpu(t => t[0].Pow(3.0), x);
        SameAsCpu(t => t[0].Clamp(-0.5, 1), x);
        SameAsCpu(t => t[0].Sigmoid() + t[0].Tanh() + t[0].Exp() + t[0].Cos(), x);
        SameAsCpu(t => (t[0].Abs() + 1).Log() + (t[0].Abs() + 1).Sqrt(), x);
        SameAsCpu(t => -t[0], x);
        SameAsCpu(t => t[0].Sigmoid() * 2, Tensor.Zeros(0, 4));
    }

    [Fact]
    public void MaximumMinimumComparisonsAndWhere()
    {
        var a = Random(7, 3, 4);
        var b = Tensor.FromArray(new float[] { 0, 0.5f, -1, 2 });
        SameAsCpu(t => t[0].Maximum(t[1]), a, b);
        SameAsCpu(t => t[0].Minimum(t[1]), a, b);
        var ties = Tensor.FromArray(new float[] { 1, 2, 3 });
        SameAsCpu(t => t[0].Maximum(t[1]), ties, ties);
        SameAsCpu(t => t[0] > t[1], a, b);
        SameAsCpu(t => t[0] <= 0.25, a);
        SameAsCpu(t => t[0].Eq(t[1]), ties, Tensor.FromArray(new float[] { 1, 0, 3 }));
        SameAsCpu(t => Tensor.Where(t[0] > t[1], t[0], t[1] * 2), a, b);
    }

    [Fact]
    public void ViewsAreMetadataOnTheDeviceAndContiguousCopiesWithTheStridedKernel()
    {
        var x = Random(8, 2, 3, 4).To(Device.Cuda());
        device.Ran.Clear();
        Tensor[] views = [x.Reshape(6, 4), x.View(-1), x.Transpose(0, 2), x.Permute(2, 0, 1), x.Unsqueeze(1), x.Unsqueeze(0).Squeeze(),
            x.Flatten(1), x[1], x[.., 1..3], x.Narrow(2, 1, 2), x.Select(1, 0), x.Expand(5, 2, 3, 4), x.Reshape(6, 4).T];
        Assert.Empty(device.Ran);
        foreach (var v in views)
        {
            Assert.Same(x.storage, v.storage);
        }

        var t = x.Transpose(0, 2).Contiguous();
        Assert.NotSame(x.storage, t.storage);
        Assert.Equal(["copy"], device.Ran);
        Close(x.To(Device.Cpu).Transpose(0, 2).Contiguous(), t.To(Device.Cpu));
    }

    [Fact]
    public void OperationsOnViewsAndTheirGradients()
    {
        var x = Random(9, 3, 4);
        SameAsCpu(t => t[0].T * 2, x);
        SameAsCpu(t => t[0][1..3, ..].Exp(), x);
        SameAsCpu(t => t[0].Select(1, 2).Sigmoid(), x);
        SameAsCpu(t => t[0].Transpose(0, 1).Reshape(12) + 1, x);
        SameAsCpu(t => t[0].Unsqueeze(0).Expand(2, 3, 4) * t[0], x);
        SameAsCpu(t => t[0].Narrow(1, 1, 2).Contiguous(), x);
        SameAsCpu(t => t[0].Slice(1, 1, 4, 2).Permute(1, 0).Unsqueeze(-1).Squeeze(2) * 3, x);
        SameAsCpu(t => Tensor.Cat([t[0], t[0] * 2], 1), x);
        SameAsCpu(t => Tensor.Stack([t[0], t[0].Relu()]), x);
    }

    [Fact]
    public void ReductionsOverOneDimensionWithKeepDim()
    {
        var x = Random(10, 3, 5, 2);
        foreach (int dim in new[] { 0, 1, -1 })
        {
            SameAsCpu(t => t[0].Sum(dim), x);
            SameAsCpu(t => t[0].Sum(dim, keepDim: true), x);
            SameAsCpu(t => t[0].Mean(dim, keepDim: true), x);
            SameAsCpu(t => t[0].Max(dim), x);
            SameAsCpu(t => t[0].LogSumExp(dim), x);
            SameAsCpu(t => t[0].Min(dim, keepDim: true).Values, x);
            SameAsCpu(t => t[0].ArgMax(dim), x);
            SameAsCpu(t => t[0].ArgMax(dim, keepDim: true), x);
        }

        SameAsCpu(t => t[0].Sum(), x);
        SameAsCpu(t => t[0].Mean(), x);
        SameAsCpu(t => t[0].Max(), x);
        SameAsCpu(t => t[0].Min(), x);
        SameAsCpu(t => t[0].ArgMax(), x);
        SameAsCpu(t => t[0].Transpose(0, 2).Sum(1), x);
    }

    [Fact]
    public void MatMulRunsTheGemmWithTransposedOperandsAsTheyAre()
    {
        var a = Random(11, 4, 3);
        var b = Random(12, 3, 5);
        SameAsCpu(t => t[0].MatMul(t[1]), a, b);
        SameAsCpu(t => t[1].T.MatMul(t[0].T), a, b);
        device.Ran.Clear();
        using (Autograd.NoGrad())
        {
            _ = b.To(Device.Cuda()).T.MatMul(a.To(Device.Cuda()).T);
        }

        Assert.Equal(["gemm:tt"], device.Ran);
        SameAsCpu(t => t[0].MatMul(t[1]), Random(13, 2, 4, 3), Random(14, 3, 5));
        SameAsCpu(t => t[0].MatMul(t[1]), Random(15, 2, 1, 4, 3), Random(16, 3, 3, 2));
        SameAsCpu(t => t[0].MatMul(t[1]), Random(17, 3), Random(18, 3, 2));
        SameAsCpu(t => t[0].MatMul(t[1]), Random(19, 3), Random(20, 3));
    }

    [Fact]
    public void LinearFusesTheBiasAndItsBackwardCopiesNothing()
    {
        var x = Random(21, 6, 3);
        var w = Random(22, 4, 3);
        var bias = Random(23, 4);
        SameAsCpu(t => Nn.Functional.Linear(t[0], t[1], t[2]), x, w, bias);
        SameAsCpu(t => Nn.Functional.Linear(t[0], t[1]), Random(24, 2, 5, 3), w);
        SameAsCpu(t => Nn.Functional.Linear(t[0], t[1], t[2]), Tensor.Zeros(0, 3), w, bias);
        SameAsCpu(t => Nn.Functional.Linear(t[0], t[1], t[2]), Tensor.Zeros(2, 0), Tensor.Zeros(4, 0), bias);
        var dx = x.To(Device.Cuda());
        dx.RequiresGrad = true;
        var dw = w.To(Device.Cuda());
        dw.RequiresGrad = true;
        var db = bias.To(Device.Cuda());
        db.RequiresGrad = true;
        var y = Nn.Functional.Linear(dx, dw, db);
        Assert.Equal("AddmmBackward", y.GradFn!.Name);
        device.Ran.Clear();
        y.Backward(Tensor.OnesLike(y));
        Assert.Equal(["gemm:nn", "gemm:tn", "reduce:Sum"], device.Ran.Where(k => k != "map:Affine").ToArray()[^3..]);
        Assert.DoesNotContain("copy", device.Ran);
    }

    [Fact]
    public void SoftmaxLogSoftmaxAndLosses()
    {
        var logits = Random(25, 5, 4);
        SameAsCpu(t => Nn.Functional.Softmax(t[0], 1), logits);
        SameAsCpu(t => Nn.Functional.LogSoftmax(t[0], -1), logits);
        SameAsCpu(t => Nn.Functional.Softmax(t[0], 0), logits);
        var target = Tensor.FromArray(new long[] { 0, 3, 1, 1, 2 });
        SameAsCpu(t => Nn.Functional.CrossEntropy(t[0], t[1]), logits, target);
        SameAsCpu(t => Nn.Functional.MseLoss(t[0], t[1]), logits, Random(26, 5, 4));
        SameAsCpu(t => t[0].IndexSelect(0, Tensor.FromArray(new long[] { 4, 0, 4 })) * 2, logits);
        SameAsCpu(t => Nn.Functional.CrossEntropy(t[0], Nn.Functional.Softmax(t[1], 1)), logits, Random(28, 5, 4));
        SameAsCpu(t => new Nn.MSELoss(Nn.Reduction.Sum).Forward(t[0], t[1]), logits, Random(27, 5, 4));
    }

    [Fact]
    public void InPlaceOperationsFillAndCopyFromWriteTheDeviceTensor()
    {
        var x = Random(28, 3, 4).To(Device.Cuda());
        var cpu = x.To(Device.Cpu);
        x.AddInPlace(Tensor.FromArray(new float[] { 1, 2, 3, 4 }).To(Device.Cuda()));
        cpu.AddInPlace(Tensor.FromArray(new float[] { 1, 2, 3, 4 }));
        x.MulInPlace(2);
        cpu.MulInPlace(2);
        Close(cpu, x.To(Device.Cpu));
        x[1].Fill(7);
        cpu[1].Fill(7);
        Close(cpu, x.To(Device.Cpu));
        x.T.CopyFrom(Tensor.Ones(4, 3));
        Close(Tensor.Ones(3, 4), x.To(Device.Cpu));
        Assert.Equal(12f, x.Sum().Item<float>());
        Assert.Equal(Enumerable.Repeat(1f, 12), x.ToArray<float>());
    }

    [Fact]
    public void MixingDevicesNamesBothDevices()
    {
        var onDevice = Random(29, 2, 3).To(Device.Cuda());
        var onCpu = Random(30, 3, 2);
        foreach (var action in new Action[]
        {
            () => onDevice.MatMul(onCpu),
            () => onDevice.Maximum(onCpu.T),
            () => Tensor.Where(onDevice > 0, onDevice, onCpu.T),
            () => Nn.Functional.Linear(onDevice, onCpu.T),
            () => _ = onDevice.T > onCpu,
        })
        {
            var error = Assert.Throws<InvalidOperationException>(action);
            Assert.Contains("cuda:0", error.Message, StringComparison.Ordinal);
            Assert.Contains("cpu", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WhatHasNoDeviceKernelSaysSoNamingTheOperationAndDevice()
    {
        var x = Random(31, 3).To(Device.Cuda());
        var cpuOnly = Assert.Throws<NotSupportedException>(() => Tensor.ApplyElementwise("CpuOnly", DType.Float32, [x], (_, _) => { }, (_, _, _, _) => { }));
        Assert.Contains("CpuOnly", cpuOnly.Message, StringComparison.Ordinal);
        Assert.Contains("cuda:0", cpuOnly.Message, StringComparison.Ordinal);
        var bce = Assert.Throws<NotSupportedException>(() => Tensor.ApplyElementwise("NoCuda", [x], (_, _) => { }, (_, _, _, _) => { }, null, DType.Float32));
        Assert.Contains("NoCuda", bce.Message, StringComparison.Ordinal);
        Assert.Contains("cuda:0", bce.Message, StringComparison.Ordinal);
    }
}

using Gradgen.Nn;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// Every public tensor operation on the emulated device, for every dtype, against the CPU: where the CPU accepts the
/// dtype, the device gives the same values, dtype, shape and gradients (floating inputs require grad); where the CPU
/// rejects it, the device rejects it with the same exception type. One case per (operation, dtype), so that an
/// operation or dtype without a device path shows up by name.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceDTypeTableTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceDTypeTableTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    /// <summary>The operations: a name, the function, and the shapes of its inputs (made in the case's dtype).</summary>
    private static readonly (string Name, Func<Tensor[], Tensor> F, int[][] Shapes)[] Operations =
    [
        // Arithmetic with broadcasting, with C# scalars on either side, and unary minus.
        ("a + b", t => t[0] + t[1], [[3, 4], [4]]),
        ("a - b", t => t[0] - t[1], [[3, 1], [4]]),
        ("a * b", t => t[0] * t[1], [[3, 4], [3, 1]]),
        ("a / b", t => t[0] / t[1], [[3, 4], [4]]),
        ("a + 2 (long)", t => t[0] + 2L, [[3, 4]]),
        ("2 - a (long)", t => 2L - t[0], [[3, 4]]),
        ("a * 3 (long)", t => t[0] * 3L, [[3, 4]]),
        ("a * 2.5", t => t[0] * 2.5, [[3, 4]]),
        ("a / 2", t => t[0] / 2.0, [[3, 4]]),
        ("3 / a", t => 3.0 / t[0], [[3, 4]]),
        ("-a", t => -t[0], [[3, 4]]),
        ("Add Sub Mul Div (methods)", t => t[0].Add(t[1]).Mul(t[0].Sub(t[1])).Div(t[1] + 5L), [[2, 3], [3]]),

        // Unary math.
        ("Exp", t => t[0].Exp(), [[3, 4]]),
        ("Log", t => t[0].Log(), [[3, 4]]),
        ("Sin", t => t[0].Sin(), [[3, 4]]),
        ("Cos", t => t[0].Cos(), [[3, 4]]),
        ("Tan", t => t[0].Tan(), [[3, 4]]),
        ("Tanh", t => t[0].Tanh(), [[3, 4]]),
        ("Sqrt", t => t[0].Sqrt(), [[3, 4]]),
        ("Sigmoid", t => t[0].Sigmoid(), [[3, 4]]),
        ("Relu", t => t[0].Relu(), [[3, 4]]),
        ("Abs", t => t[0].Abs(), [[3, 4]]),
        ("Neg", t => t[0].Neg(), [[3, 4]]),
        ("Pow(2.0)", t => t[0].Pow(2.0), [[3, 4]]),
        ("Pow(3L)", t => t[0].Pow(3L), [[3, 4]]),
        ("Pow(0.5)", t => t[0].Pow(0.5), [[3, 4]]),
        ("Clamp(-1, 1.5)", t => t[0].Clamp(-1, 1.5), [[3, 4]]),
        ("Clamp(min: 0.5)", t => t[0].Clamp(min: 0.5), [[3, 4]]),

        // Binary functions.
        ("Maximum", t => t[0].Maximum(t[1]), [[3, 4], [4]]),
        ("Minimum", t => t[0].Minimum(t[1]), [[3, 4], [3, 1]]),
        ("Pow(Tensor)", t => t[0].Abs().Pow(t[1]), [[3, 4], [4]]),

        // Comparisons (Bool results) and Where.
        ("a > b", t => t[0] > t[1], [[3, 4], [4]]),
        ("a < b", t => t[0] < t[1], [[3, 4], [4]]),
        ("a >= b", t => t[0] >= t[1], [[3, 4], [4]]),
        ("a <= b", t => t[0] <= t[1], [[3, 4], [4]]),
        ("Eq", t => t[0].Eq(t[1]), [[3, 4], [4]]),
        ("Ne", t => t[0].Ne(t[1]), [[3, 4], [4]]),
        ("a > 0.5", t => t[0] > 0.5, [[3, 4]]),
        ("Gt Lt Ge Le (methods)", t => t[0].Gt(t[1]).Eq(t[0].Le(t[1])).Ne(t[0].Lt(t[1]).Eq(t[0].Ge(t[1]))), [[3, 4], [4]]),
        ("Where(a > b, a, b)", t => Tensor.Where(t[0] > t[1], t[0], t[1]), [[3, 4], [4]]),
        ("Where(mask, a, zeros + 0.5)", t => t[0].Where(t[0] > 0, Tensor.ZerosLike(t[0]) + 0.5), [[3, 4]]),

        // Reductions.
        ("Sum()", t => t[0].Sum(), [[3, 4]]),
        ("Sum(0)", t => t[0].Sum(0), [[3, 4]]),
        ("Sum(1, keepDim)", t => t[0].Sum(1, keepDim: true), [[3, 4]]),
        ("Mean()", t => t[0].Mean(), [[3, 4]]),
        ("Mean(1)", t => t[0].Mean(1), [[3, 4]]),
        ("Max()", t => t[0].Max(), [[3, 4]]),
        ("Min()", t => t[0].Min(), [[3, 4]]),
        ("Max(1)", t => t[0].Max(1), [[3, 4]]),
        ("Max(0, keepDim) with ties", t => (t[0] * 0L).Max(0, keepDim: true), [[3, 4]]),
        ("LogSumExp(1)", t => t[0].LogSumExp(1), [[3, 4]]),
        ("LogSumExp(0, keepDim)", t => Tensor.LogSumExp(t[0], 0, keepDim: true), [[3, 4]]),
        ("Min(0, keepDim).Values", t => t[0].Min(0, keepDim: true).Values, [[3, 4]]),
        ("ArgMax()", t => t[0].ArgMax(), [[3, 4]]),
        ("ArgMax(1)", t => t[0].ArgMax(1), [[3, 4]]),
        ("ArgMin(0)", t => t[0].ArgMin(0), [[3, 4]]),

        // Products.
        ("MatMul 2-D", t => t[0].MatMul(t[1]), [[3, 4], [4, 5]]),
        ("MatMul batched, transposed", t => t[0].MatMul(t[1].Transpose(-1, -2)), [[2, 3, 4], [5, 4]]),
        ("MatMul vector", t => t[0].MatMul(t[1]), [[3, 4], [4]]),
        ("Linear", t => Functional.Linear(t[0], t[1], t[2]), [[3, 4], [5, 4], [5]]),

        // Neural-network functions and losses.
        ("Softmax", t => Functional.Softmax(t[0], 1), [[3, 4]]),
        ("LogSoftmax", t => Functional.LogSoftmax(t[0], 0), [[3, 4]]),
        ("MseLoss", t => Functional.MseLoss(t[0], t[1]), [[3, 4], [3, 4]]),
        ("MseLoss sum", t => Functional.MseLoss(t[0], t[1], Reduction.Sum), [[3, 4], [3, 4]]),
        ("CrossEntropy(indices)", t => Functional.CrossEntropy(t[0], Tensor.FromArray(new long[] { 2, 0, 3 }).To(t[0].Device)), [[3, 4]]),
        ("CrossEntropy(probabilities)", t => Functional.CrossEntropy(t[0], Functional.Softmax(t[1].To(t[0].DType.IsFloating() ? t[0].DType : DType.Float32), 1)), [[3, 4], [3, 4]]),
        ("BinaryCrossEntropyWithLogits", t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1].Sigmoid()), [[3, 4], [3, 4]]),
        ("Gelu", t => Functional.Gelu(t[0]), [[3, 4]]),
        ("Gelu tanh", t => Functional.Gelu(t[0], "tanh"), [[3, 4]]),
        ("Silu", t => Functional.Silu(t[0]), [[3, 4]]),
        ("LeakyRelu", t => Functional.LeakyRelu(t[0], 0.2), [[3, 4]]),
        ("Elu", t => Functional.Elu(t[0], 1.5), [[3, 4]]),
        ("Softplus", t => Functional.Softplus(t[0], 2, 1), [[3, 4]]),
        ("LayerNorm", t => Functional.LayerNorm(t[0], [4], t[1], t[2]), [[3, 4], [4], [4]]),
        ("LayerNorm over two dimensions, no affine", t => Functional.LayerNorm(t[0], [3, 4]), [[2, 3, 4]]),
        ("BatchNorm training", t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), [[4, 3, 2], [3], [3]]),
        ("BatchNorm evaluation with running statistics", t => Functional.BatchNorm(t[0], t[1].Detach(), (t[2].Abs() + 0.5).Detach().To(t[0].DType), t[1], null), [[4, 3], [3], [3]]),
        ("Conv2d with bias, stride and padding", t => Functional.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1), [[2, 3, 5, 6], [4, 3, 3, 2], [4]]),
        ("Conv2d grouped and dilated, no bias", t => Functional.Conv2d(t[0], t[1], null, padding: 2, dilation: 2, groups: 2), [[2, 4, 5, 5], [6, 2, 3, 3]]),
        ("Conv2d of an unbatched image, 1×1", t => Functional.Conv2d(t[0], t[1], t[2]), [[3, 4, 4], [2, 3, 1, 1], [2]]),
        ("MaxPool2d with padding and stride", t => Functional.MaxPool2d(t[0], 3, stride: 2, padding: 1), [[2, 3, 5, 6]]),
        ("MaxPool2d dilated, overlapping", t => Functional.MaxPool2d(t[0], 2, stride: 1, dilation: 2), [[1, 2, 5, 5]]),
        ("AvgPool2d padded, ceil mode, padding not counted", t => Functional.AvgPool2d(t[0], 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true), [[2, 3, 6, 5]]),
        ("AvgPool2d with a divisor override", t => Functional.AvgPool2d(t[0], 2, divisorOverride: 3), [[1, 2, 4, 6]]),
        ("AdaptiveAvgPool2d to uneven cells", t => Functional.AdaptiveAvgPool2d(t[0], 3, 2), [[2, 3, 5, 7]]),
        ("Dropout (eval, p = 1)", t => Functional.Dropout(t[0], 0.3, training: false) + Functional.Dropout(t[0], 1), [[3, 4]]),
        ("BinaryCrossEntropyWithLogits none", t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1].Sigmoid(), Reduction.None), [[3, 4], [3, 4]]),

        // Indexing.
        ("Gather", t => t[0].Gather(1, Tensor.FromArray(new long[,] { { 0, 3 }, { 1, 1 }, { 2, 0 } }).To(t[0].Device)), [[3, 4]]),
        ("Gather with an index smaller in the other dimension", t => t[0].Gather(0, Tensor.FromArray(new long[,] { { 2, 0 }, { 1, 2 } }).To(t[0].Device)), [[3, 4]]),
        ("Gather of a 0-d tensor", t => t[0].Sum().Gather(0, Tensor.FromArray(new long[] { 0, -1, 0 }).To(t[0].Device)), [[3, 4]]),
        ("IndexSelect", t => t[0].IndexSelect(1, Tensor.FromArray(new long[] { 3, 0, 3 }).To(t[0].Device)), [[3, 4]]),
        ("MaskedSelect (x[mask])", t => t[0][t[1] > 0], [[3, 4], [4]]),

        // Views, copies and conversions.
        ("Transpose().Contiguous()", t => t[0].Transpose(0, 1).Contiguous(), [[3, 4]]),
        ("Permute, Reshape, Flatten, View", t => t[0].Permute(2, 0, 1).Reshape(4, 6).Flatten().View(2, 12), [[2, 3, 4]]),
        ("Narrow, Select, Slice", t => t[0].Narrow(1, 1, 2).Select(0, 1) + t[0][1..3, 0], [[3, 4]]),
        ("Unsqueeze, Expand, Squeeze", t => t[0].Unsqueeze(0).Expand(2, 3, 4).Squeeze(), [[3, 4]]),
        ("ExpandAs", t => t[0].ExpandAs(t[1]), [[3, 1], [2, 3, 4]]),
        ("Cat", t => Tensor.Cat([t[0], t[1]], 1), [[3, 4], [3, 2]]),
        ("Stack", t => Tensor.Stack([t[0], t[1]]), [[3, 4], [3, 4]]),
        ("Clone", t => t[0].Clone(), [[3, 4]]),
        ("To(Float64)", t => t[0].To(DType.Float64), [[3, 4]]),
        ("To(Float32)", t => t[0].To(DType.Float32), [[3, 4]]),
        ("To(Int64)", t => t[0].To(DType.Int64), [[3, 4]]),
        ("To(Bool)", t => t[0].To(DType.Bool), [[3, 4]]),
        ("ZerosLike, OnesLike, FullLike", t => Tensor.ZerosLike(t[0]) + Tensor.OnesLike(t[0]) + Tensor.FullLike(t[0], 2), [[3, 4]]),
        ("a strided copy of 10 dimensions", t => t[0].Reshape(2, 1, 2, 1, 2, 1, 3, 1, 1, 1).Permute(9, 8, 7, 6, 5, 4, 3, 2, 1, 0).Contiguous(), [[24]]),
        ("a strided copy of 9 dimensions that do not merge", t => t[0].Reshape(2, 2, 2, 2, 2, 2, 2, 2, 2).Permute(8, 7, 6, 5, 4, 3, 2, 1, 0).Contiguous() * 1L, [[512]]),

        // In place (on copies, so that autograd's leaves stay untouched).
        ("AddInPlace", t => t[0].Detach().Clone().AddInPlace(t[1].Detach()), [[3, 4], [4]]),
        ("SubInPlace MulInPlace", t => t[0].Detach().Clone().SubInPlace(t[1].Detach()).MulInPlace(t[1].Detach()), [[3, 4], [4]]),
        ("DivInPlace", t => t[0].Detach().Clone().DivInPlace(t[1].Detach()), [[3, 4], [4]]),
        ("CopyFrom (broadcast, converting)", t => t[0].Detach().Clone().CopyFrom(t[1].Detach().To(DType.Float64)), [[3, 4], [4]]),
        ("Fill", t => t[0].Detach().Clone().Fill(3), [[3, 4]]),
        ("Zero", t => t[0].Detach().Clone().Zero(), [[3, 4]]),
    ];

    private static readonly DType[] DTypesUnderTest = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool];

    public static TheoryData<string, DType> Cases()
    {
        var data = new TheoryData<string, DType>();
        foreach (var (name, _, _) in Operations)
        {
            foreach (var dtype in DTypesUnderTest)
            {
                data.Add(name, dtype);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheDeviceMatchesTheCpu(string operation, DType dtype)
    {
        var (_, f, shapes) = Operations.Single(o => o.Name == operation);
        var inputs = shapes.Select((shape, i) => Input(dtype, 100 + i, shape)).ToArray();
        Exception? cpuError = null;
        try
        {
            _ = f(inputs.Select(t => t.Clone()).ToArray());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            cpuError = e;
        }

        if (cpuError is not null)
        {
            // What the CPU rejects for this dtype, the device rejects the same way.
            var deviceError = Record.Exception(() => f(inputs.Select(t => t.To(Device.Cuda())).ToArray()));
            Assert.NotNull(deviceError);
            Assert.IsType(cpuError.GetType(), deviceError, exactMatch: false);
            return;
        }

        SameAsCpu(f, inputs);
    }

    [Fact]
    public void EveryOperationRunsOnTheDeviceForSomeDType()
    {
        // A guard on the table itself: an operation that every dtype rejects on the CPU is not tested at all.
        foreach (var (name, f, shapes) in Operations)
        {
            Assert.Contains(DTypesUnderTest, dtype =>
            {
                try
                {
                    _ = f(shapes.Select((shape, i) => Input(dtype, 100 + i, shape)).ToArray());
                    return true;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
                {
                    return false;
                }
            });
        }
    }

    [Fact]
    public void EveryPublicTensorOperationIsInTheTable()
    {
        // Each public method of Tensor and Functional that computes a tensor from tensors must be named by an operation
        // of the table (a word of its name), so that a new one cannot be added without a device check. Creation from
        // host data, autograd plumbing and the fused-kernel entry points (tested in DeviceGeneratedFunctionTests) aside,
        // and ApplyRowwise, the row functions' entry point, which has CPU kernels only so far and refuses a device
        // tensor (EndToEnd Loops/RowwiseDeviceTests).
        string[] notOperations =
        [
            "Arange", "Linspace", "FromArray", "FromSpan", "FromMemory", "FromNumericsTensor", "Full", "Ones", "Zeros", "Rand",
            "Randn", "Scalar", "Detach", "ApplyElementwise", "DropoutMask", "ApplyRowwise",
        ];
        var words = Operations.SelectMany(o => o.Name.Split(' ', '(', ')', ',', '.', '[', ']')).ToHashSet(StringComparer.Ordinal);
        var methods = typeof(Tensor).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Concat(typeof(Functional).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && (m.ReturnType == typeof(Tensor) || m.ReturnType == typeof((Tensor, Tensor))))
            .Select(m => m.Name)
            .Distinct()
            .Where(n => !notOperations.Contains(n));
        Assert.All(methods, name => Assert.Contains(name, words));
    }

    [Fact]
    public void Float64AndIntegerKernelsRunInTheirOwnDType()
    {
        var x = Input(DType.Float64, 1, 3, 4).To(Device.Cuda());
        var i = Input(DType.Int64, 2, 3, 4).To(Device.Cuda());
        device.RanTyped.Clear();
        _ = x.Clamp(-1, 1) + x.MatMul(x.T).Sum() + i.Sum() + (i * i).Max() + i.MatMul(i.T).Sum();
        Assert.Contains("map:Clamp:Float64", device.RanTyped);
        Assert.Contains("gemm:nt:Float64", device.RanTyped);
        Assert.Contains("sum:Int64", device.RanTyped);
        Assert.Contains("map:Multiply:Int64", device.RanTyped);
        Assert.Contains("reduce:Max:Int64", device.RanTyped);
        Assert.Contains("gemm:nt:Int64", device.RanTyped);
        Assert.DoesNotContain(device.RanTyped, k => k.EndsWith(":Float32", StringComparison.Ordinal));
    }

    [Fact]
    public void SgdUpdatesFloat64ParametersOnTheDevice()
    {
        var x = Input(DType.Float64, 3, 5, 4);
        var y = Input(DType.Float64, 4, 5, 3);
        foreach (var (momentum, nesterov) in new[] { (0.0, false), (0.9, false), (0.9, true) })
        {
            var cpu = Input(DType.Float64, 5, 4, 3);
            var gpu = cpu.To(Device.Cuda());
            cpu.RequiresGrad = true;
            gpu.RequiresGrad = true;
            var sgdCpu = new Optim.Sgd([cpu], lr: 0.1, momentum: momentum, weightDecay: 0.01, nesterov: nesterov);
            var sgdGpu = new Optim.Sgd([gpu], lr: 0.1, momentum: momentum, weightDecay: 0.01, nesterov: nesterov);
            for (int step = 0; step < 3; step++)
            {
                sgdCpu.ZeroGrad();
                sgdGpu.ZeroGrad();
                Functional.MseLoss(x.MatMul(cpu), y).Backward();
                Functional.MseLoss(x.To(Device.Cuda()).MatMul(gpu), y.To(Device.Cuda())).Backward();
                sgdCpu.Step();
                sgdGpu.Step();
            }

            Assert.Equal(DType.Float64, gpu.DType);
            Close(cpu.Detach(), gpu.Detach().To(Device.Cpu));
        }
    }

    [Fact]
    public void SafetensorsSavesDeviceTensorsOfEveryDTypeAsTheirHostCopies()
    {
        var cpu = DTypesUnderTest.ToDictionary(d => d.ToString(), d => Input(d, 7, 3, 4).T);
        var gpu = cpu.ToDictionary(e => e.Key, e => e.Value.To(Device.Cuda()).Transpose(0, 1).Transpose(0, 1));
        Assert.Equal(Safetensors.Serialize(cpu), Safetensors.Serialize(gpu));
    }

    /// <summary>Reproducible inputs of a dtype: floats in [−2, 2), integers in [−3, 3], Bool about half true.</summary>
    private static Tensor Input(DType dtype, int seed, params int[] shape)
    {
        var x = Random(seed, shape);
        return dtype switch
        {
            DType.Float32 => x,
            DType.Float64 => x.To(DType.Float64),
            DType.Bool => (x > 0).To(DType.Bool),
            _ => (x * 1.75).To(dtype),
        };
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// A stand-in accelerator for machines without a GPU: device memory is host memory, and a kernel launch by entry name
/// runs the CPU tensor overload of the same function on host copies of the buffers (its backward through CPU
/// autograd), in the buffers' dtype. It exercises every device path of the runtime (storage, copies, printing,
/// dispatch, dtype rules, autograd) exactly as the CUDA backend is driven, and checks that the entry launched is the
/// one of the buffers' element type (<c>F_forward</c> of a float source for Float32, <c>F_forward_f64</c> for
/// Float64); the CUDA kernels themselves are checked by tests/Gradgen.Cuda.Tests and the GPU check.
/// </summary>
internal sealed partial class EmulatedDevice : IDeviceBackend
{
    private readonly Dictionary<string, Func<Tensor[], Tensor>> functions = new(StringComparer.Ordinal)
    {
        ["Add"] = t => ElementwiseFunctions.Add(t[0], t[1]),
        ["Sub"] = t => ElementwiseFunctions.Sub(t[0], t[1]),
        ["Mul"] = t => ElementwiseFunctions.Mul(t[0], t[1]),
        ["Div"] = t => ElementwiseFunctions.Div(t[0], t[1]),
        ["Neg"] = t => ElementwiseFunctions.Neg(t[0]),
        ["Sin"] = t => ElementwiseFunctions.Sin(t[0]),
        ["Exp"] = t => ElementwiseFunctions.Exp(t[0]),
        ["Log"] = t => ElementwiseFunctions.Log(t[0]),
        ["Cos"] = t => ElementwiseFunctions.Cos(t[0]),
        ["Tan"] = t => ElementwiseFunctions.Tan(t[0]),
        ["Tanh"] = t => ElementwiseFunctions.Tanh(t[0]),
        ["Sqrt"] = t => ElementwiseFunctions.Sqrt(t[0]),
        ["Sigmoid"] = t => ElementwiseFunctions.Sigmoid(t[0]),
        ["Relu"] = t => ElementwiseFunctions.Relu(t[0]),
        ["Abs"] = t => ElementwiseFunctions.Abs(t[0]),
        ["Pow"] = t => ElementwiseFunctions.Pow(t[0], t[1]),
        ["Square"] = t => ElementwiseFunctions.Square(t[0]),
        ["Maximum"] = t => ElementwiseFunctions.Maximum(t[0], t[1]),
        ["Minimum"] = t => ElementwiseFunctions.Minimum(t[0], t[1]),
        ["Clamp"] = t => ElementwiseFunctions.Clamp(t[0], t[1], t[2]),
        ["Where"] = t => ElementwiseFunctions.Where(t[0], t[1], t[2]),
        ["GeluErf"] = t => ElementwiseFunctions.GeluErf(t[0]),
        ["GeluTanh"] = t => ElementwiseFunctions.GeluTanh(t[0]),
        ["Silu"] = t => ElementwiseFunctions.Silu(t[0]),
        ["LeakyRelu"] = t => ElementwiseFunctions.LeakyRelu(t[0], t[1]),
        ["Elu"] = t => ElementwiseFunctions.Elu(t[0], t[1]),
        ["Softplus"] = t => ElementwiseFunctions.Softplus(t[0], t[1], t[2]),
    };

    public int Launches { get; private set; }

    /// <summary>The entries of generated kernels launched, in order (<c>Sin_forward_f64</c>).</summary>
    public List<string> Entries { get; } = [];

    /// <summary>The sources of the optimizer update kernels launched, in order.</summary>
    public List<string> UpdateSources { get; } = [];

    public DeviceType Type => DeviceType.Cuda;

    /// <summary>Lets the device run a test's own <c>[Differentiable]</c> function by its name: its CPU tensor overload.</summary>
    public void Register(string name, Func<Tensor[], Tensor> function) => functions[name] = function;

    public IDeviceBuffer Allocate(Device device, DType dtype, int length) => new Buffer(device, dtype, length);

    public void CopyFromHost<T>(ReadOnlySpan<T> source, IDeviceBuffer destination)
        where T : unmanaged => MemoryMarshal.AsBytes(source).CopyTo(((Buffer)destination).Bytes);

    public void CopyToHost<T>(IDeviceBuffer source, Span<T> destination)
        where T : unmanaged => ((Buffer)source).Bytes[..(destination.Length * Unsafe.SizeOf<T>())].CopyTo(MemoryMarshal.AsBytes(destination));

    public void Fill(IDeviceBuffer buffer, DType dtype, double value)
    {
        var b = (Buffer)buffer;
        Assert.Equal(dtype, b.DType);
        for (int i = 0; i < b.Length; i++)
        {
            b.Set(i, value);
        }
    }

    public void Sum(DType dtype, IDeviceBuffer source, IDeviceBuffer destination)
    {
        Record("sum", dtype);
        Buffer s = (Buffer)source, d = (Buffer)destination;
        Assert.Equal(dtype, s.DType);
        Assert.Equal(dtype, d.DType);
        switch (dtype)
        {
            case DType.Float32: d.As<float>()[0] = s.Floats.Sum(); break;
            case DType.Float64: d.As<double>()[0] = s.As<double>().ToArray().Sum(); break;
            case DType.Int64: d.As<long>()[0] = s.As<long>().ToArray().Aggregate(0L, (x, y) => unchecked(x + y)); break;
            default: throw new InvalidOperationException($"the whole-buffer sum runs over Float32, Float64 and Int64, not {dtype}");
        }
    }

    public void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, int count)
    {
        var arrays = SameShapeBuffers(buffers, count);

        // The entry must exist and take the buffers' element type: a Float64 tensor launched on a float kernel fails here.
        string element = arrays[0].DType == DType.Float64 ? "double" : "float";
        Assert.Contains($"extern \"C\" __global__ void {entry}(const {element}* ", source, StringComparison.Ordinal);
        Launches++;
        Entries.Add(entry);
        string name = entry.EndsWith("_f64", StringComparison.Ordinal) || entry.EndsWith("_f32", StringComparison.Ordinal) ? entry[..^4] : entry;
        if (Gradgen.Nn.CompiledGraph.CpuTwins.TryGetValue(entry, out var twin))
        {
            // A compiled model graph's kernel: its generated C# twin over the same buffers (inputs…, outputs…).
            int inputs = arrays.Length - twin.Outputs;
            var outputs = arrays[inputs..].Select(b => Tensor.Zeros([count], b.DType)).ToArray();
            twin.Run(arrays[..inputs].Select(ToTensor).ToArray(), outputs);
            for (int o = 0; o < outputs.Length; o++)
            {
                Write(outputs[o], arrays[inputs + o]);
            }
        }
        else if (name.EndsWith("_forward", StringComparison.Ordinal) && functions.TryGetValue(name[..^8], out var forward))
        {
            var inputs = arrays[..^1].Select(ToTensor).ToArray();
            using (Autograd.NoGrad())
            {
                Write(forward(inputs), arrays[^1]);
            }
        }
        else if (name.EndsWith("_backward", StringComparison.Ordinal) && functions.TryGetValue(name[..^9], out var function))
        {
            // inputs…, gradOutput, gradients…: the gradients of the CPU overload's autograd.
            int k = (arrays.Length - 1) / 2;
            var inputs = arrays[..k].Select(b => Leaf(ToTensor(b))).ToArray();
            using (Autograd.EnableGrad())
            {
                // A launch from the device's backward pass runs while the engine has recording off.
                function(inputs).Backward(ToTensor(arrays[k]));
            }

            for (int i = 0; i < k; i++)
            {
                Write(inputs[i].Grad ?? Tensor.ZerosLike(inputs[i]), arrays[k + 1 + i]);
            }
        }
        else
        {
            throw new KeyNotFoundException($"The emulated device has no kernel {entry}.");
        }
    }

    /// <summary>An elementwise launch's buffers: all <paramref name="count"/> long and of one element type.</summary>
    private static Buffer[] SameShapeBuffers(ReadOnlySpan<IDeviceBuffer> buffers, int count)
    {
        var arrays = new Buffer[buffers.Length];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = (Buffer)buffers[i];
            Assert.Equal(count, arrays[i].Length);
            Assert.Equal(arrays[0].DType, arrays[i].DType);
        }

        return arrays;
    }

    /// <summary>
    /// An optimizer's update kernel: the launch must match its source's signature (the gradient, then one pointer per
    /// buffer the rule uses, then a double per scalar), and runs the trace the source was printed from, with the
    /// launched scalars, on host copies.
    /// </summary>
    public void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<double> scalars, int count)
    {
        var arrays = SameShapeBuffers(buffers, count);

        string element = arrays[0].DType == DType.Float64 ? "double" : "float";
        Assert.Contains($"extern \"C\" __global__ void {entry}(const {element}* g", source, StringComparison.Ordinal);
        Assert.True(Gradgen.Optim.DeviceUpdate.Traces.TryGetValue(source, out var trace), $"{entry} is not an update kernel the runtime traced");
        Assert.Equal(trace.Scalars.Count, scalars.Length);
        Launches++;
        Entries.Add(entry);
        UpdateSources.Add(source);
        Record("update", arrays[0].DType);

        // The buffers in the trace's order (parameter, gradient, states), each where the kernel takes it.
        int next = 1;
        var used = new Buffer?[Gradgen.Optim.UpdateTrace.Buffers];
        used[Gradgen.Optim.UpdateTrace.Gradient] = arrays[0];
        for (int b = 0; b < used.Length; b++)
        {
            if (b != Gradgen.Optim.UpdateTrace.Gradient && trace.Uses(b))
            {
                used[b] = arrays[next++];
            }
        }

        Assert.Equal(arrays.Length, next);
        double[] values = scalars.ToArray();
        if (element == "double")
        {
            var copies = used.Select(b => b?.As<double>().ToArray()).ToArray();
            trace.Evaluate(copies, values, count);
            for (int b = 0; b < used.Length; b++) copies[b]?.CopyTo(used[b]!.As<double>());
        }
        else
        {
            var copies = used.Select(b => b?.As<float>().ToArray()).ToArray();
            trace.Evaluate(copies, values, count);
            for (int b = 0; b < used.Length; b++) copies[b]?.CopyTo(used[b]!.As<float>());
        }
    }

    /// <summary>A CPU tensor holding a copy of a Float32 or Float64 buffer.</summary>
    private static Tensor ToTensor(Buffer b) =>
        b.DType == DType.Float64 ? Tensor.FromArray(b.As<double>().ToArray()) : Tensor.FromArray(b.As<float>().ToArray());

    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Writes a CPU tensor's elements (of the buffer's dtype) into a buffer.</summary>
    private static void Write(Tensor t, Buffer b)
    {
        Assert.Equal(b.DType, t.DType);
        if (b.DType == DType.Float64)
        {
            t.Reshape(-1).ToArray<double>().CopyTo(b.As<double>());
        }
        else
        {
            t.Reshape(-1).ToArray<float>().CopyTo(b.As<float>());
        }
    }

    private delegate void Kernel(float[][] buffers);

    /// <summary>Device memory: an array of 4-byte words (two per 8-byte element), so that one allocation serves every dtype's view.</summary>
    private sealed class Buffer(Device device, DType dtype, int length) : IDeviceBuffer
    {
        private readonly float[] floats = new float[length * (dtype is DType.Float64 or DType.Int64 ? 2 : 1)];

        public Device Device { get; } = device;

        public int Length { get; } = length;

        public DType DType { get; } = dtype;

        /// <summary>The elements of a Float32 buffer, what Fill, Sum and the derivative kernels of compiled models see.</summary>
        public float[] Floats => DType == DType.Float32 ? floats : throw new InvalidOperationException($"a Float32 kernel was given a {DType} buffer");

        public Span<byte> Bytes => MemoryMarshal.AsBytes(floats.AsSpan());

        /// <summary>The elements as <typeparamref name="T"/>, which must be the buffer's element type.</summary>
        public Span<T> As<T>()
            where T : unmanaged
        {
            Assert.Equal(DType, DTypes.Of<T>());
            return MemoryMarshal.Cast<float, T>(floats.AsSpan())[..Length];
        }

        /// <summary>The bytes of element <paramref name="i"/>.</summary>
        public Span<byte> Element(int i)
        {
            int size = DType.ElementSize();
            return Bytes.Slice(i * size, size);
        }

        /// <summary>Element <paramref name="i"/> of an integer or Bool buffer, exactly.</summary>
        public long GetInteger(int i) => DType switch
        {
            DType.Int32 => MemoryMarshal.Cast<float, int>(floats.AsSpan())[i],
            DType.Int64 => MemoryMarshal.Cast<float, long>(floats.AsSpan())[i],
            DType.Bool => MemoryMarshal.Cast<float, bool>(floats.AsSpan())[i] ? 1 : 0,
            _ => throw new InvalidOperationException($"an integer kernel was given a {DType} buffer"),
        };

        /// <summary>Writes element <paramref name="i"/> of an integer buffer, wrapping as C#'s unchecked conversions.</summary>
        public void SetInteger(int i, long value)
        {
            switch (DType)
            {
                case DType.Int32: MemoryMarshal.Cast<float, int>(floats.AsSpan())[i] = unchecked((int)value); break;
                case DType.Int64: MemoryMarshal.Cast<float, long>(floats.AsSpan())[i] = value; break;
                default: throw new InvalidOperationException($"an integer kernel was given a {DType} buffer");
            }
        }

        /// <summary>Element <paramref name="i"/> as a double, read as the buffer's dtype.</summary>
        public double Get(int i) => DType switch
        {
            DType.Float32 => floats[i],
            DType.Float64 => MemoryMarshal.Cast<float, double>(floats.AsSpan())[i],
            DType.Int32 => MemoryMarshal.Cast<float, int>(floats.AsSpan())[i],
            DType.Int64 => MemoryMarshal.Cast<float, long>(floats.AsSpan())[i],
            _ => MemoryMarshal.Cast<float, bool>(floats.AsSpan())[i] ? 1 : 0,
        };

        /// <summary>Writes element <paramref name="i"/>, converted as <c>Tensor.To(DType)</c> converts (toward zero for integers).</summary>
        public void Set(int i, double value)
        {
            switch (DType)
            {
                case DType.Float32: floats[i] = (float)value; break;
                case DType.Float64: MemoryMarshal.Cast<float, double>(floats.AsSpan())[i] = value; break;
                case DType.Int32: MemoryMarshal.Cast<float, int>(floats.AsSpan())[i] = (int)value; break;
                case DType.Int64: MemoryMarshal.Cast<float, long>(floats.AsSpan())[i] = (long)value; break;
                default: MemoryMarshal.Cast<float, bool>(floats.AsSpan())[i] = value != 0; break;
            }
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// A stand-in accelerator for machines without a GPU: device memory is host memory, and a kernel launch by entry name
/// runs the generated CPU kernel of the same function. It exercises every device path of the runtime (storage, copies,
/// printing, dispatch, autograd) exactly as the CUDA backend is driven; the CUDA kernels themselves are checked by
/// tests/Gradgen.Cuda.Tests and the GPU check.
/// </summary>
internal sealed partial class EmulatedDevice : IDeviceBackend
{
    private delegate void Kernel(float[][] buffers);

    private static readonly Dictionary<string, Kernel> Kernels = new(StringComparer.Ordinal)
    {
        ["Add_forward"] = b => ElementwiseFunctions.Add(b[0], b[1], b[2]),
        ["Add_backward"] = b => ElementwiseFunctions.AddBackward(b[0], b[1], b[2], b[3], b[4]),
        ["Sub_forward"] = b => ElementwiseFunctions.Sub(b[0], b[1], b[2]),
        ["Sub_backward"] = b => ElementwiseFunctions.SubBackward(b[0], b[1], b[2], b[3], b[4]),
        ["Mul_forward"] = b => ElementwiseFunctions.Mul(b[0], b[1], b[2]),
        ["Mul_backward"] = b => ElementwiseFunctions.MulBackward(b[0], b[1], b[2], b[3], b[4]),
        ["Div_forward"] = b => ElementwiseFunctions.Div(b[0], b[1], b[2]),
        ["Div_backward"] = b => ElementwiseFunctions.DivBackward(b[0], b[1], b[2], b[3], b[4]),
        ["Neg_forward"] = b => ElementwiseFunctions.Neg(b[0], b[1]),
        ["Neg_backward"] = b => ElementwiseFunctions.NegBackward(b[0], b[1], b[2]),
        ["Sin_forward"] = b => ElementwiseFunctions.Sin(b[0], b[1]),
        ["Sin_backward"] = b => ElementwiseFunctions.SinBackward(b[0], b[1], b[2]),
        ["Exp_forward"] = b => ElementwiseFunctions.Exp(b[0], b[1]),
        ["Exp_backward"] = b => ElementwiseFunctions.ExpBackward(b[0], b[1], b[2]),
        ["Log_forward"] = b => ElementwiseFunctions.Log(b[0], b[1]),
        ["Log_backward"] = b => ElementwiseFunctions.LogBackward(b[0], b[1], b[2]),
        ["Cos_forward"] = b => ElementwiseFunctions.Cos(b[0], b[1]),
        ["Cos_backward"] = b => ElementwiseFunctions.CosBackward(b[0], b[1], b[2]),
        ["Tanh_forward"] = b => ElementwiseFunctions.Tanh(b[0], b[1]),
        ["Tanh_backward"] = b => ElementwiseFunctions.TanhBackward(b[0], b[1], b[2]),
        ["Sqrt_forward"] = b => ElementwiseFunctions.Sqrt(b[0], b[1]),
        ["Sqrt_backward"] = b => ElementwiseFunctions.SqrtBackward(b[0], b[1], b[2]),
        ["Sigmoid_forward"] = b => ElementwiseFunctions.Sigmoid(b[0], b[1]),
        ["Sigmoid_backward"] = b => ElementwiseFunctions.SigmoidBackward(b[0], b[1], b[2]),
        ["Relu_forward"] = b => ElementwiseFunctions.Relu(b[0], b[1]),
        ["Relu_backward"] = b => ElementwiseFunctions.ReluBackward(b[0], b[1], b[2]),
        ["Abs_forward"] = b => ElementwiseFunctions.Abs(b[0], b[1]),
        ["Abs_backward"] = b => ElementwiseFunctions.AbsBackward(b[0], b[1], b[2]),
    };

    public int Launches { get; private set; }

    public DeviceType Type => DeviceType.Cuda;

    public IDeviceBuffer Allocate(Device device, DType dtype, int length) => new Buffer(device, dtype, length);

    public void CopyFromHost<T>(ReadOnlySpan<T> source, IDeviceBuffer destination)
        where T : unmanaged => MemoryMarshal.AsBytes(source).CopyTo(((Buffer)destination).Bytes);

    public void CopyToHost<T>(IDeviceBuffer source, Span<T> destination)
        where T : unmanaged => ((Buffer)source).Bytes[..(destination.Length * Unsafe.SizeOf<T>())].CopyTo(MemoryMarshal.AsBytes(destination));

    public void Fill(IDeviceBuffer buffer, float value) => ((Buffer)buffer).Floats.AsSpan().Fill(value);

    public void Sum(IDeviceBuffer source, IDeviceBuffer destination) => ((Buffer)destination).Floats[0] = ((Buffer)source).Floats.Sum();

    public void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, int count)
    {
        Assert.Contains("extern \"C\" __global__ void " + entry + "(", source, StringComparison.Ordinal);
        var arrays = new float[buffers.Length][];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = ((Buffer)buffers[i]).Floats;
            Assert.Equal(count, arrays[i].Length);
        }

        Launches++;
        (Kernels.TryGetValue(entry, out var kernel) ? kernel : ActivationDerivative(entry))(arrays);
    }

    /// <summary>
    /// A compiled model's generated derivative kernel <c>{Model}{Activation}Derivative_forward(y, g, result)</c>: g·act′
    /// from the activation's output, written here from the formulas (sigmoid y(1 − y), tanh 1 − y², relu y &gt; 0).
    /// </summary>
    private static Kernel ActivationDerivative(string entry)
    {
        Func<float, float> derivative = entry switch
        {
            _ when entry.EndsWith("SigmoidDerivative_forward", StringComparison.Ordinal) => y => y * (1 - y),
            _ when entry.EndsWith("TanhDerivative_forward", StringComparison.Ordinal) => y => 1 - (y * y),
            _ when entry.EndsWith("ReluDerivative_forward", StringComparison.Ordinal) => y => y > 0 ? 1 : 0,
            _ => throw new KeyNotFoundException($"The emulated device has no kernel {entry}."),
        };
        return b =>
        {
            for (int i = 0; i < b[2].Length; i++)
            {
                b[2][i] = b[1][i] * derivative(b[0][i]);
            }
        };
    }

    /// <summary>Device memory: an array of 4-byte words (two per 8-byte element), so that one allocation serves every dtype's view.</summary>
    private sealed class Buffer(Device device, DType dtype, int length) : IDeviceBuffer
    {
        private readonly float[] floats = new float[length * (dtype is DType.Float64 or DType.Int64 ? 2 : 1)];

        public Device Device { get; } = device;

        public int Length { get; } = length;

        public DType DType { get; } = dtype;

        /// <summary>The elements as float32, what the kernels see (they are Float32 kernels).</summary>
        public float[] Floats => DType == DType.Float32 ? floats : throw new InvalidOperationException($"a Float32 kernel was given a {DType} buffer");

        public Span<byte> Bytes => MemoryMarshal.AsBytes(floats.AsSpan());

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

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen;

public partial class Tensor
{
    static Tensor Finish(Tensor t, Device? device, bool requiresGrad, string op)
    {
        // Creation happens on the CPU; a GPU tensor is the copy (PyTorch creates it there directly, with the same result).
        if (device is { } d && d.Type != DeviceType.Cpu)
        {
            DeviceBackends.For(d, op); // names the operation when no backend is registered
            t = t.To(d);
        }

        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    static int[] CheckShape(int[] shape, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        CheckedNumel(shape, op);
        return (int[])shape.Clone();
    }

    /// <summary>A Float32 tensor of zeros (PyTorch's <c>torch.zeros(10, 20)</c>).</summary>
    /// <param name="shape">The size of each dimension.</param>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of zeros.</summary>
    /// <param name="shape">The size of each dimension.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Zeros(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false) =>
        Finish(Empty(dtype, CheckShape(shape, "Zeros"), zeroed: true), device, requiresGrad, "Zeros");

    /// <summary>A Float32 tensor of ones.</summary>
    /// <param name="shape">The size of each dimension.</param>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    /// <param name="shape">The size of each dimension.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Ones(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false) =>
        Full(shape, 1, dtype, device, requiresGrad);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    /// <param name="shape">The size of each dimension.</param>
    /// <param name="value">The value of every element (converted to <paramref name="dtype"/>).</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        var t = Empty(dtype, CheckShape(shape, "Full"));
        t.FillUnchecked(value);
        return Finish(t, device, requiresGrad, "Full");
    }

    /// <summary>Zeros with the shape (and, unless given, the dtype) of <paramref name="like"/>.</summary>
    /// <param name="like">The tensor whose shape to copy.</param>
    /// <param name="dtype">The element type; default: that of <paramref name="like"/>.</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor ZerosLike(Tensor like, DType? dtype = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(like);
        if (like.Device.Type != DeviceType.Cpu) return FullLike(like, 0, dtype, requiresGrad);
        return Finish(Empty(dtype ?? like.DType, like.shape, zeroed: true), null, requiresGrad, "ZerosLike");
    }

    /// <summary>Ones with the shape (and, unless given, the dtype) of <paramref name="like"/>.</summary>
    /// <param name="like">The tensor whose shape to copy.</param>
    /// <param name="dtype">The element type; default: that of <paramref name="like"/>.</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor OnesLike(Tensor like, DType? dtype = null, bool requiresGrad = false) => FullLike(like, 1, dtype, requiresGrad);

    /// <summary>A tensor of <paramref name="value"/> with the shape (and, unless given, the dtype) of <paramref name="like"/>.</summary>
    /// <param name="like">The tensor whose shape to copy.</param>
    /// <param name="value">The value of every element.</param>
    /// <param name="dtype">The element type; default: that of <paramref name="like"/>.</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FullLike(Tensor like, double value, DType? dtype = null, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(like);
        if (like.Device.Type != DeviceType.Cpu)
        {
            return Finish(FullOn(like.Device, dtype ?? like.DType, like.shape, value), null, requiresGrad, "FullLike");
        }

        var t = Empty(dtype ?? like.DType, like.shape);
        t.FillUnchecked(value);
        return Finish(t, null, requiresGrad, "FullLike");
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/> (PyTorch's <c>torch.tensor(3.0)</c>).</summary>
    /// <param name="value">The value.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Empty(dtype, []);
        t.FillUnchecked(value);
        return Finish(t, null, requiresGrad, "Scalar");
    }

    /// <summary>A 0-d tensor for a C# scalar in <c>x + 5</c>: a wrapped number for type promotion, of the dtype it will be used as.</summary>
    internal static Tensor WrapScalar(double value, bool isInteger, Tensor other)
    {
        DType dt = isInteger ? (other.DType == DType.Bool ? DType.Int64 : other.DType) : (other.DType.IsFloating() ? other.DType : DTypes.Default);
        var t = Empty(dt, []);
        t.FillUnchecked(value);
        t.isWrappedNumber = true;
        return t;
    }

    /// <summary>
    /// <paramref name="steps"/> values evenly spaced from <paramref name="start"/> to <paramref name="end"/>, both included
    /// (PyTorch's <c>torch.linspace</c>).
    /// </summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The last value.</param>
    /// <param name="steps">How many values; at least 0.</param>
    /// <param name="dtype">The element type (Float32 by default).</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), $"Linspace: steps must be non-negative, got {steps}.");
        // As PyTorch: the first half counts up from start, the second half down from end, so both ends are exact;
        // Float32 values are computed in float arithmetic, as PyTorch's kernel does, so they match it bit for bit.
        int half = steps / 2;
        if (dtype == DType.Float32)
        {
            var f = new float[steps];
            float fs = (float)start, fe = (float)end, fstep = steps > 1 ? (fe - fs) / (steps - 1) : 0;
            for (int i = 0; i < steps; i++) f[i] = steps == 1 ? fs : i < half ? fs + fstep * i : fe - fstep * (steps - 1 - i);
            return Finish(new Tensor(new Storage<float>(f), [steps]), device, requiresGrad, "Linspace");
        }
        var v = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) v[i] = steps == 1 ? start : i < half ? start + step * i : end - step * (steps - 1 - i);
        return Finish(FromDoubles(v, [steps], dtype), device, requiresGrad, "Linspace");
    }

    /// <summary>The integers 0, 1, …, <paramref name="end"/> − 1 as Int64 (PyTorch's <c>torch.arange(end)</c>).</summary>
    /// <param name="end">One past the last value.</param>
    /// <param name="dtype">The element type (Int64 by default).</param>
    public static Tensor Arange(long end, DType dtype = DType.Int64) => Arange(0, end, 1, dtype);

    /// <summary>start, start + step, … while below <paramref name="end"/> (above it for a negative step), as Int64 by default.</summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The bound, excluded.</param>
    /// <param name="step">The difference between neighbours; not zero.</param>
    /// <param name="dtype">The element type (Int64 by default).</param>
    public static Tensor Arange(long start, long end, long step = 1, DType dtype = DType.Int64) => ArangeCore(start, end, step, dtype);

    /// <summary>start, start + step, … while below <paramref name="end"/> (above it for a negative step), as Float32 by default.</summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The bound, excluded.</param>
    /// <param name="step">The difference between neighbours; not zero.</param>
    /// <param name="dtype">The element type (Float32 by default).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Finish(ArangeCore(start, end, step, dtype), null, requiresGrad, "Arange");

    static Tensor ArangeCore(double start, double end, double step, DType dtype)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException("Arange: step must be non-zero.", nameof(step));
        if (!double.IsFinite(start) || !double.IsFinite(end)) throw new ArgumentException($"Arange: start ({start}) and end ({end}) must be finite.");
        if ((end - start) / step < 0)
            throw new ArgumentException($"Arange: the step {step} does not lead from {start} towards {end}.", nameof(step));
        double count = Math.Ceiling((end - start) / step);
        if (count > Array.MaxLength) throw new ArgumentException($"Arange: {count} elements are more than one tensor can hold.");
        int n = (int)count;
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return FromDoubles(v, [n], dtype);
    }

    static Tensor FromDoubles(double[] values, int[] shape, DType dtype)
    {
        var src = new Tensor(new Storage<double>(values), shape);
        return dtype == DType.Float64 ? src : src.ToDTypeData(dtype);
    }

    /// <summary>A Float32 tensor of values uniform in [0, 1) from <see cref="Random"/> (PyTorch's <c>torch.rand</c>).</summary>
    /// <param name="shape">The size of each dimension.</param>
    public static Tensor Rand(params int[] shape) => Rand(shape, DType.Float32);

    /// <summary>A tensor of values uniform in [0, 1) from <see cref="Random"/>.</summary>
    /// <param name="shape">The size of each dimension.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Rand(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false)
    {
        shape = CheckShape(shape, "Rand");
        RequireFloating(dtype, "Rand");
        var t = Empty(dtype, shape);
        if (dtype == DType.Float32) Gradgen.RandomGenerator.FillUniform(t.StorageSpan<float>());
        else Gradgen.RandomGenerator.FillUniform(t.StorageSpan<double>());
        return Finish(t, device, requiresGrad, "Rand");
    }

    /// <summary>A Float32 tensor of standard normal values from <see cref="Random"/> (PyTorch's <c>torch.randn</c>).</summary>
    /// <param name="shape">The size of each dimension.</param>
    public static Tensor Randn(params int[] shape) => Randn(shape, DType.Float32);

    /// <summary>A tensor of standard normal values from <see cref="Random"/>.</summary>
    /// <param name="shape">The size of each dimension.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor Randn(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false)
    {
        shape = CheckShape(shape, "Randn");
        RequireFloating(dtype, "Randn");
        var v = new double[CheckedNumel(shape, "Randn")];
        Gradgen.RandomGenerator.FillNormal(v);
        return Finish(FromDoubles(v, shape, dtype), device, requiresGrad, "Randn");
    }

    static void RequireFloating(DType dtype, string op)
    {
        if (!dtype.IsFloating()) throw new ArgumentException($"{op}: dtype must be Float32 or Float64, got {dtype}.", nameof(dtype));
    }

    static Tensor FromCopy<T>(ReadOnlySpan<T> data, int[] shape, DType? dtype, Device? device, bool requiresGrad, string op) where T : unmanaged
    {
        var src = new Tensor(new Storage<T>(data.ToArray()), shape);
        var t = dtype is { } d && d != src.DType ? src.ToDTypeData(d) : src;
        return Finish(t, device, requiresGrad, op);
    }

    static int[] ShapeOf(Array a)
    {
        var s = new int[a.Rank];
        for (int i = 0; i < s.Length; i++) s[i] = a.GetLength(i);
        return s;
    }

    static Tensor FromMultiDim<T>(Array data, DType? dtype, Device? device, bool requiresGrad) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var span = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length);
        return FromCopy(span, ShapeOf(data), dtype, device, requiresGrad, "FromArray");
    }

    /// <summary>A 1-D tensor with a copy of <paramref name="data"/> (Float32 unless <paramref name="dtype"/> says otherwise).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(float[] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        FromCopy<float>(data ?? throw new ArgumentNullException(nameof(data)), [data.Length], dtype, device, requiresGrad, "FromArray");

    /// <summary>A 1-D tensor with a copy of <paramref name="data"/> (Float64 unless <paramref name="dtype"/> says otherwise).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(double[] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        FromCopy<double>(data ?? throw new ArgumentNullException(nameof(data)), [data.Length], dtype, device, requiresGrad, "FromArray");

    /// <summary>A 1-D tensor with a copy of <paramref name="data"/> (Int32 unless <paramref name="dtype"/> says otherwise).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Int32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it (floating dtypes only).</param>
    public static Tensor FromArray(int[] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        FromCopy<int>(data ?? throw new ArgumentNullException(nameof(data)), [data.Length], dtype, device, requiresGrad, "FromArray");

    /// <summary>A 1-D tensor with a copy of <paramref name="data"/> (Int64 unless <paramref name="dtype"/> says otherwise).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Int64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it (floating dtypes only).</param>
    public static Tensor FromArray(long[] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        FromCopy<long>(data ?? throw new ArgumentNullException(nameof(data)), [data.Length], dtype, device, requiresGrad, "FromArray");

    /// <summary>A 1-D tensor with a copy of <paramref name="data"/> (Bool unless <paramref name="dtype"/> says otherwise).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Bool.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    public static Tensor FromArray(bool[] data, DType? dtype = null, Device? device = null) =>
        FromCopy<bool>(data ?? throw new ArgumentNullException(nameof(data)), [data.Length], dtype, device, false, "FromArray");

    /// <summary>A 2-D tensor with a copy of <paramref name="data"/> (row-major, as C# stores it).</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(float[,] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) => FromMultiDim<float>(data, dtype, device, requiresGrad);

    /// <summary>A 2-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(double[,] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) => FromMultiDim<double>(data, dtype, device, requiresGrad);

    /// <summary>A 2-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Int32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    public static Tensor FromArray(int[,] data, DType? dtype = null, Device? device = null) => FromMultiDim<int>(data, dtype, device, false);

    /// <summary>A 2-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Int64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    public static Tensor FromArray(long[,] data, DType? dtype = null, Device? device = null) => FromMultiDim<long>(data, dtype, device, false);

    /// <summary>A 2-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Bool.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    public static Tensor FromArray(bool[,] data, DType? dtype = null, Device? device = null) => FromMultiDim<bool>(data, dtype, device, false);

    /// <summary>A 3-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(float[,,] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) => FromMultiDim<float>(data, dtype, device, requiresGrad);

    /// <summary>A 3-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Float64.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    public static Tensor FromArray(double[,,] data, DType? dtype = null, Device? device = null, bool requiresGrad = false) => FromMultiDim<double>(data, dtype, device, requiresGrad);

    /// <summary>A 3-D tensor with a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The values.</param>
    /// <param name="dtype">Convert to this dtype; default: Int32.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    public static Tensor FromArray(int[,,] data, DType? dtype = null, Device? device = null) => FromMultiDim<int>(data, dtype, device, false);

    /// <summary>
    /// A tensor with a copy of <paramref name="data"/> in the given shape (default: 1-D). The dtype follows
    /// <typeparamref name="T"/> (float, double, int, long or bool).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="data">The values in row-major order.</param>
    /// <param name="shape">The shape; its element count must equal the span's length.</param>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        DTypes.Of<T>();
        shape = shape is null || shape.Length == 0 ? [data.Length] : CheckShape(shape, "FromSpan");
        if (CheckedNumel(shape, "FromSpan") != data.Length)
            throw new ArgumentException($"FromSpan: shape {Shape.Format(shape)} has {CheckedNumel(shape, "FromSpan")} elements but the span has {data.Length}.", nameof(shape));
        return FromCopy(data, shape, null, null, false, "FromSpan");
    }

    /// <summary>
    /// A tensor over <paramref name="memory"/> without copying: writes through the tensor are seen in the memory and
    /// the other way round (PyTorch's <c>torch.from_numpy</c>). The caller keeps the memory alive and unchanged in
    /// length while the tensor is used.
    /// </summary>
    /// <typeparam name="T">The element type (float, double, int, long or bool).</typeparam>
    /// <param name="memory">The elements, row-major.</param>
    /// <param name="shape">The shape (default: 1-D); its element count must equal the memory's length.</param>
    public static Tensor FromMemory<T>(Memory<T> memory, params int[] shape) where T : unmanaged
    {
        DTypes.Of<T>();
        shape = shape is null || shape.Length == 0 ? [memory.Length] : CheckShape(shape, "FromMemory");
        if (CheckedNumel(shape, "FromMemory") != memory.Length)
            throw new ArgumentException($"FromMemory: shape {Shape.Format(shape)} has {CheckedNumel(shape, "FromMemory")} elements but the memory has {memory.Length}.", nameof(shape));
        return new Tensor(new Storage<T>(memory), shape);
    }
}

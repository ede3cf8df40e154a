using System.Numerics;

namespace Gradgen.Optim;

/// <summary>
/// The arithmetic an optimizer's update rule is written in. The rule is written once against this interface and
/// instantiated three ways: <see cref="SimdLanes{TVec, TSimd, T}"/> (a SIMD vector of elements) and <see cref="Lane{T}"/> (one element,
/// for the tail) make the CPU's fused pass; <see cref="TensorValue"/> (whole tensors, each operation a tensor operation)
/// runs the same rule on accelerators and on strided parameters through the existing device kernels.
/// </summary>
internal interface IUpdateValue<TSelf>
    where TSelf : struct, IUpdateValue<TSelf>
{
    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf operator +(TSelf a, double s);

    static abstract TSelf operator *(TSelf a, double s);

    static abstract TSelf operator /(TSelf a, double s);

    static abstract TSelf Sqrt(TSelf a);

    static abstract TSelf Max(TSelf a, TSelf b);
}

/// <summary>
/// A SIMD vector of parameter elements, of the width <typeparamref name="TSimd"/> gives (Vector512 where the host
/// accelerates it: the update is memory-bound, and the wider loads and stores took 0.6× the time of Vector256 ones on the
/// 2-core host, docs/benchmarks.md §6.4); scalars are converted to the element type (as PyTorch's CPU kernels do).
/// </summary>
internal readonly struct SimdLanes<TVec, TSimd, T>(TVec value) : IUpdateValue<SimdLanes<TVec, TSimd, T>>
    where TVec : struct
    where TSimd : struct, Kernels.ISimd<TVec, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly TVec Value = value;

    public static SimdLanes<TVec, TSimd, T> operator +(SimdLanes<TVec, TSimd, T> a, SimdLanes<TVec, TSimd, T> b) => new(TSimd.Add(a.Value, b.Value));

    public static SimdLanes<TVec, TSimd, T> operator -(SimdLanes<TVec, TSimd, T> a, SimdLanes<TVec, TSimd, T> b) => new(TSimd.Subtract(a.Value, b.Value));

    public static SimdLanes<TVec, TSimd, T> operator *(SimdLanes<TVec, TSimd, T> a, SimdLanes<TVec, TSimd, T> b) => new(TSimd.Multiply(a.Value, b.Value));

    public static SimdLanes<TVec, TSimd, T> operator /(SimdLanes<TVec, TSimd, T> a, SimdLanes<TVec, TSimd, T> b) => new(TSimd.Divide(a.Value, b.Value));

    public static SimdLanes<TVec, TSimd, T> operator -(SimdLanes<TVec, TSimd, T> a) => new(TSimd.Negate(a.Value));

    public static SimdLanes<TVec, TSimd, T> operator +(SimdLanes<TVec, TSimd, T> a, double s) => new(TSimd.Add(a.Value, TSimd.Create(T.CreateTruncating(s))));

    public static SimdLanes<TVec, TSimd, T> operator *(SimdLanes<TVec, TSimd, T> a, double s) => new(TSimd.Multiply(a.Value, TSimd.Create(T.CreateTruncating(s))));

    public static SimdLanes<TVec, TSimd, T> operator /(SimdLanes<TVec, TSimd, T> a, double s) => new(TSimd.Divide(a.Value, TSimd.Create(T.CreateTruncating(s))));

    public static SimdLanes<TVec, TSimd, T> Sqrt(SimdLanes<TVec, TSimd, T> a) => new(TSimd.Sqrt(a.Value));

    // The vector Max propagates NaN as torch.maximum does.
    public static SimdLanes<TVec, TSimd, T> Max(SimdLanes<TVec, TSimd, T> a, SimdLanes<TVec, TSimd, T> b) => new(TSimd.Max(a.Value, b.Value));
}

/// <summary>One parameter element (the tail of the fused pass).</summary>
internal readonly struct Lane<T>(T value) : IUpdateValue<Lane<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T Value = value;

    public static Lane<T> operator +(Lane<T> a, Lane<T> b) => new(a.Value + b.Value);

    public static Lane<T> operator -(Lane<T> a, Lane<T> b) => new(a.Value - b.Value);

    public static Lane<T> operator *(Lane<T> a, Lane<T> b) => new(a.Value * b.Value);

    public static Lane<T> operator /(Lane<T> a, Lane<T> b) => new(a.Value / b.Value);

    public static Lane<T> operator -(Lane<T> a) => new(-a.Value);

    public static Lane<T> operator +(Lane<T> a, double s) => new(a.Value + T.CreateTruncating(s));

    public static Lane<T> operator *(Lane<T> a, double s) => new(a.Value * T.CreateTruncating(s));

    public static Lane<T> operator /(Lane<T> a, double s) => new(a.Value / T.CreateTruncating(s));

    public static Lane<T> Sqrt(Lane<T> a) => new(T.Sqrt(a.Value));

    public static Lane<T> Max(Lane<T> a, Lane<T> b) => new(T.Max(a.Value, b.Value));
}

/// <summary>A whole tensor: each operation is one tensor operation (device kernels on an accelerator), without autograd.</summary>
internal readonly struct TensorValue(Tensor value) : IUpdateValue<TensorValue>
{
    public readonly Tensor Value = value;

    public static TensorValue operator +(TensorValue a, TensorValue b) => new(a.Value + b.Value);

    public static TensorValue operator -(TensorValue a, TensorValue b) => new(a.Value - b.Value);

    public static TensorValue operator *(TensorValue a, TensorValue b) => new(a.Value * b.Value);

    public static TensorValue operator /(TensorValue a, TensorValue b) => new(a.Value / b.Value);

    public static TensorValue operator -(TensorValue a) => new(-a.Value);

    public static TensorValue operator +(TensorValue a, double s) => new(a.Value + s);

    public static TensorValue operator *(TensorValue a, double s) => new(a.Value * s);

    public static TensorValue operator /(TensorValue a, double s) => new(a.Value / s);

    public static TensorValue Sqrt(TensorValue a) => new(a.Value.Sqrt());

    public static TensorValue Max(TensorValue a, TensorValue b) => new(a.Value.Maximum(b.Value));
}

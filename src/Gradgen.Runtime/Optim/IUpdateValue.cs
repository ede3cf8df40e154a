using System.Numerics;

namespace Gradgen.Optim;

/// <summary>
/// The arithmetic an optimizer's update rule is written in. The rule is written once against this interface and
/// instantiated three ways: <see cref="Lanes{T}"/> (a SIMD vector of elements) and <see cref="Lane{T}"/> (one element,
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

/// <summary>A SIMD vector of parameter elements; scalars are converted to the element type (as PyTorch's CPU kernels do).</summary>
internal readonly struct Lanes<T>(Vector<T> value) : IUpdateValue<Lanes<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly Vector<T> Value = value;

    public static Lanes<T> operator +(Lanes<T> a, Lanes<T> b) => new(a.Value + b.Value);

    public static Lanes<T> operator -(Lanes<T> a, Lanes<T> b) => new(a.Value - b.Value);

    public static Lanes<T> operator *(Lanes<T> a, Lanes<T> b) => new(a.Value * b.Value);

    public static Lanes<T> operator /(Lanes<T> a, Lanes<T> b) => new(a.Value / b.Value);

    public static Lanes<T> operator -(Lanes<T> a) => new(-a.Value);

    public static Lanes<T> operator +(Lanes<T> a, double s) => new(a.Value + new Vector<T>(T.CreateTruncating(s)));

    public static Lanes<T> operator *(Lanes<T> a, double s) => new(a.Value * T.CreateTruncating(s));

    public static Lanes<T> operator /(Lanes<T> a, double s) => new(a.Value / T.CreateTruncating(s));

    public static Lanes<T> Sqrt(Lanes<T> a) => new(Vector.SquareRoot(a.Value));

    // Vector.Max propagates NaN as torch.maximum does.
    public static Lanes<T> Max(Lanes<T> a, Lanes<T> b) => new(Vector.Max(a.Value, b.Value));
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

using System.Runtime.CompilerServices;

namespace Gradgen;

/// <summary>
/// An elementwise function of one tensor, forward only: its derivative is the generated backward kernel of a
/// <c>[Differentiable]</c> one-liner (<see cref="Gradient"/>, DESIGN.md 10: no derivative outside the rule table). Implementations are
/// structs (parameters such as an exponent are fields), so the JIT specialises and inlines every call; broadcasting,
/// strided iteration, dtype promotion and the graph node are handled once by <see cref="ElementwiseOp"/>.
/// </summary>
internal interface IUnaryOp
{
    /// <summary>The operation's name (<c>Sin</c>); its graph node is <c>SinBackward</c>.</summary>
    string Name { get; }

    /// <summary>Whether Int32/Int64 inputs keep their dtype (Abs, Neg, Relu, Clamp); otherwise they are promoted to Float32.</summary>
    bool KeepsIntegers { get; }

    /// <summary>The generated kernel of the operation's derivative (null where only integer tensors take this struct), run with x and then <see cref="Constants"/> as operands.</summary>
    ElementwiseGradient? Gradient { get; }

    /// <summary>The scalar arguments (an exponent, clamp bounds) as the constant operands of <see cref="Gradient"/>.</summary>
    double[] Constants { get; }

    float Forward(float x);
    double Forward(double x);
    int Forward(int x);
    long Forward(long x);
}

/// <summary>An elementwise function of two broadcast tensors, forward only (its derivative is <see cref="Gradient"/>); see <see cref="IUnaryOp"/>.</summary>
internal interface IBinaryOp
{
    /// <summary>The operation's name (<c>Mul</c>); its graph node is <c>MulBackward</c>.</summary>
    string Name { get; }

    /// <summary>Whether integer inputs keep an integer result dtype (Add, Sub, Mul, Maximum, Minimum); otherwise they are promoted to Float32.</summary>
    bool KeepsIntegers { get; }

    /// <summary>The generated kernel of the operation's derivative, run with a and b as operands.</summary>
    ElementwiseGradient Gradient { get; }

    float Forward(float a, float b);
    double Forward(double a, double b);
    int Forward(int a, int b);
    long Forward(long a, long b);
}

/// <summary>An elementwise comparison of two broadcast tensors with a Bool result.</summary>
internal interface ICompareOp
{
    string Name { get; }
    bool Invoke(float a, float b);
    bool Invoke(double a, double b);
    bool Invoke(int a, int b);
    bool Invoke(long a, long b);
}

/// <summary>Runs <see cref="IUnaryOp"/>, <see cref="IBinaryOp"/> and <see cref="ICompareOp"/> over tensors and records their graph nodes.</summary>
internal static class ElementwiseOp
{
    public static Tensor Unary<TOp>(Tensor x, TOp op) where TOp : struct, IUnaryOp
    {
        if (x.Device.Type != DeviceType.Cpu) return DeviceMap.Unary(x, op);

        DType dt = ResultType(x.DType, op.KeepsIntegers);
        var src = dt == x.DType ? x : x.ToDTypeData(dt);
        var r = Tensor.Empty(dt, x.shape);
        // Unary minus of a contiguous float tensor: SIMD; everything else: the strided loops.
        if (!VectorArithmetic.TryForward<TOp>(src, src, r))
        {
            switch (dt)
            {
                case DType.Float32: Map.Run<float, float, UnaryForward<float, TOp>>(src, r, new() { Op = op }); break;
                case DType.Float64: Map.Run<double, double, UnaryForward<double, TOp>>(src, r, new() { Op = op }); break;
                case DType.Int32: Map.Run<int, int, UnaryForward<int, TOp>>(src, r, new() { Op = op }); break;
                default: Map.Run<long, long, UnaryForward<long, TOp>>(src, r, new() { Op = op }); break;
            }
        }
        if (op.Gradient is { } gradient && Autograd.Recording(x))
        {
            var constants = op.Constants;
            var inputs = new Tensor?[1 + constants.Length];
            var operands = new Tensor[inputs.Length];
            inputs[0] = x;
            operands[0] = src;
            for (int i = 0; i < constants.Length; i++) operands[i + 1] = Tensor.Full([], constants[i], dt);
            gradient.Record(op.Name, r, inputs, operands);
        }

        return r;
    }

    public static Tensor Binary<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        if (a.Device.Type != DeviceType.Cpu || b.Device.Type != DeviceType.Cpu) return DeviceBinary.Run(a, b, op.Name, op.KeepsIntegers);
        return BinaryCore(a, b, op);
    }

    static Tensor BinaryCore<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        int[] shape = BroadcastShapes(a.shape, b.shape, op.Name);
        DType dt = ResultType(DTypes.ResultType(a, b), op.KeepsIntegers);
        var ca = a.DType == dt ? a : a.ToDTypeData(dt);
        var cb = b.DType == dt ? b : b.ToDTypeData(dt);
        var r = Tensor.Empty(dt, shape);
        // + − * / of contiguous float tensors of one layout, or with a scalar: SIMD; everything else: the strided loops.
        if (!VectorArithmetic.TryForward<TOp>(ca, cb, r))
        {
            switch (dt)
            {
                case DType.Float32: Map.Run<float, float, float, BinaryForward<float, TOp>>(ca, cb, r, new() { Op = op }); break;
                case DType.Float64: Map.Run<double, double, double, BinaryForward<double, TOp>>(ca, cb, r, new() { Op = op }); break;
                case DType.Int32: Map.Run<int, int, int, BinaryForward<int, TOp>>(ca, cb, r, new() { Op = op }); break;
                default: Map.Run<long, long, long, BinaryForward<long, TOp>>(ca, cb, r, new() { Op = op }); break;
            }
        }
        if (Autograd.Recording(a, b)) op.Gradient.Record(op.Name, r, [a, b], [ca, cb]);
        return r;
    }

    public static Tensor Compare<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, ICompareOp
    {
        if (a.Device.Type != DeviceType.Cpu || b.Device.Type != DeviceType.Cpu) return DeviceMap.Compare(a, b, op.Name);
        int[] shape = BroadcastShapes(a.shape, b.shape, op.Name);
        DType dt = DTypes.ResultType(a, b);
        if (dt == DType.Bool) dt = DType.Int32;
        var ca = a.DType == dt ? a : a.ToDTypeData(dt);
        var cb = b.DType == dt ? b : b.ToDTypeData(dt);
        var r = Tensor.Empty(DType.Bool, shape);
        switch (dt)
        {
            case DType.Float32: Map.Run<float, float, bool, CompareKernel<float, TOp>>(ca, cb, r, new() { Op = op }); break;
            case DType.Float64: Map.Run<double, double, bool, CompareKernel<double, TOp>>(ca, cb, r, new() { Op = op }); break;
            case DType.Int32: Map.Run<int, int, bool, CompareKernel<int, TOp>>(ca, cb, r, new() { Op = op }); break;
            default: Map.Run<long, long, bool, CompareKernel<long, TOp>>(ca, cb, r, new() { Op = op }); break;
        }
        return r;
    }

    /// <summary>
    /// The dtype an elementwise operation computes in (on the CPU and on a device): the operands' promoted dtype when it
    /// is floating or the operation keeps integers (Bool then counts as Int64), else the default Float32.
    /// </summary>
    public static DType ResultType(DType promoted, bool keepsIntegers) =>
        promoted.IsFloating() ? promoted : keepsIntegers ? (promoted == DType.Bool ? DType.Int64 : promoted) : DTypes.Default;

    /// <summary>NumPy's broadcasting of two shapes, with an error naming the operation, the shapes and the first clash.</summary>
    public static int[] BroadcastShapes(int[] a, int[] b, string op)
    {
        if (a.AsSpan().SequenceEqual(b)) return a;
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int ia = i - (n - a.Length), ib = i - (n - b.Length);
            int da = ia < 0 ? 1 : a[ia], db = ib < 0 ? 1 : b[ib];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Shape.Format(a)} and {Shape.Format(b)} cannot be broadcast (dimension {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Sums a broadcast gradient back to the shape of the input it flows to.</summary>
    public static Tensor SumToShape(Tensor g, int[] shape)
    {
        if (g.shape.AsSpan().SequenceEqual(shape)) return g;
        int lead = g.shape.Length - shape.Length;
        var keep = new int[g.shape.Length];
        for (int i = 0; i < g.shape.Length; i++) keep[i] = i < lead ? 1 : shape[i - lead];
        return Reductions.SumToKeptShape(g, keep).Reshape(shape);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T As<TFrom, T>(TFrom x) => Unsafe.As<TFrom, T>(ref x);
}

internal struct UnaryForward<T, TOp> : IFunc1<T, T> where TOp : struct, IUnaryOp
{
    public TOp Op;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x)
    {
        if (typeof(T) == typeof(float)) return ElementwiseOp.As<float, T>(Op.Forward(ElementwiseOp.As<T, float>(x)));
        if (typeof(T) == typeof(double)) return ElementwiseOp.As<double, T>(Op.Forward(ElementwiseOp.As<T, double>(x)));
        if (typeof(T) == typeof(int)) return ElementwiseOp.As<int, T>(Op.Forward(ElementwiseOp.As<T, int>(x)));
        return ElementwiseOp.As<long, T>(Op.Forward(ElementwiseOp.As<T, long>(x)));
    }
}

internal struct BinaryForward<T, TOp> : IFunc2<T, T, T> where TOp : struct, IBinaryOp
{
    public TOp Op;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T a, T b)
    {
        if (typeof(T) == typeof(float)) return ElementwiseOp.As<float, T>(Op.Forward(ElementwiseOp.As<T, float>(a), ElementwiseOp.As<T, float>(b)));
        if (typeof(T) == typeof(double)) return ElementwiseOp.As<double, T>(Op.Forward(ElementwiseOp.As<T, double>(a), ElementwiseOp.As<T, double>(b)));
        if (typeof(T) == typeof(int)) return ElementwiseOp.As<int, T>(Op.Forward(ElementwiseOp.As<T, int>(a), ElementwiseOp.As<T, int>(b)));
        return ElementwiseOp.As<long, T>(Op.Forward(ElementwiseOp.As<T, long>(a), ElementwiseOp.As<T, long>(b)));
    }
}

internal struct CompareKernel<T, TOp> : IFunc2<T, T, bool> where TOp : struct, ICompareOp
{
    public TOp Op;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Invoke(T a, T b)
    {
        if (typeof(T) == typeof(float)) return Op.Invoke(ElementwiseOp.As<T, float>(a), ElementwiseOp.As<T, float>(b));
        if (typeof(T) == typeof(double)) return Op.Invoke(ElementwiseOp.As<T, double>(a), ElementwiseOp.As<T, double>(b));
        if (typeof(T) == typeof(int)) return Op.Invoke(ElementwiseOp.As<T, int>(a), ElementwiseOp.As<T, int>(b));
        return Op.Invoke(ElementwiseOp.As<T, long>(a), ElementwiseOp.As<T, long>(b));
    }
}

using System.Runtime.CompilerServices;

namespace Gradgen;

/// <summary>
/// An elementwise function of one tensor with its derivative: the unit that tensor operations are made of, and the
/// shape that the generator's <c>[Differentiable]</c> tensor overloads plug into (DESIGN.md 4). Implementations are
/// structs (parameters such as an exponent are fields), so the JIT specialises and inlines every call; broadcasting,
/// strided iteration, dtype promotion and the graph node are handled once by <see cref="ElementwiseOp"/>.
/// </summary>
internal interface IUnaryOp
{
    /// <summary>The operation's name (<c>Sin</c>); its graph node is <c>SinBackward</c>.</summary>
    string Name { get; }

    /// <summary>Whether Int32/Int64 inputs keep their dtype (Abs, Neg, Relu, Clamp); otherwise they are promoted to Float32.</summary>
    bool KeepsIntegers { get; }

    /// <summary>Whether <see cref="Backward(float, float, float)"/> reads x (else x is not saved).</summary>
    bool UsesInput { get; }

    /// <summary>Whether <see cref="Backward(float, float, float)"/> reads y (else y is not saved).</summary>
    bool UsesOutput { get; }

    float Forward(float x);
    double Forward(double x);
    int Forward(int x);
    long Forward(long x);

    /// <summary>g · ∂y/∂x at x, where y is the forward result.</summary>
    float Backward(float x, float y, float g);
    double Backward(double x, double y, double g);
}

/// <summary>An elementwise function of two broadcast tensors with its partial derivatives; see <see cref="IUnaryOp"/>.</summary>
internal interface IBinaryOp
{
    /// <summary>The operation's name (<c>Mul</c>); its graph node is <c>MulBackward</c>.</summary>
    string Name { get; }

    /// <summary>Whether integer inputs keep an integer result dtype (Add, Sub, Mul, Maximum, Minimum); otherwise they are promoted to Float32.</summary>
    bool KeepsIntegers { get; }

    /// <summary>∂y/∂a is 1: the gradient of a is g (summed to a's shape), no kernel runs.</summary>
    bool IdentityGradA { get; }

    /// <summary>∂y/∂b is 1.</summary>
    bool IdentityGradB { get; }

    /// <summary>Whether the backward reads a and b (else nothing is saved).</summary>
    bool UsesInputs { get; }

    /// <summary>Whether the backward reads y.</summary>
    bool UsesOutput { get; }

    float Forward(float a, float b);
    double Forward(double a, double b);
    int Forward(int a, int b);
    long Forward(long a, long b);

    /// <summary>g · ∂y/∂a</summary>
    float GradA(float a, float b, float y, float g);
    double GradA(double a, double b, double y, double g);

    /// <summary>g · ∂y/∂b</summary>
    float GradB(float a, float b, float y, float g);
    double GradB(double a, double b, double y, double g);
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

        if (op.Name == "Neg" && x.DType.IsFloating() && x.numel >= Kernels.Elementwise.ParallelThreshold) return ElementwiseFunctions.Neg(x);

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
        if (Autograd.Recording(x)) r.WithHistory(new UnaryBackward<TOp>(op, x, r));
        return r;
    }

    public static Tensor Binary<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        if (a.Device.Type != DeviceType.Cpu || b.Device.Type != DeviceType.Cpu) return DeviceBinary.Run(a, b, op.Name, op.KeepsIntegers);
        if (UseGeneratedKernels(a, b)) return GeneratedArithmetic(a, b, op.Name) ?? BinaryCore(a, b, op);
        return BinaryCore(a, b, op);
    }

    /// <summary>
    /// Large float tensors of one shape and dtype take the generated kernels of the arithmetic one-liners (SIMD, all
    /// cores, one fused backward for both inputs); small ones, scalars, integers and broadcasts keep the loops below,
    /// whose fixed cost is lower and which implement PyTorch's type promotion.
    /// </summary>
    static bool UseGeneratedKernels(Tensor a, Tensor b) =>
        a.numel >= Kernels.Elementwise.ParallelThreshold && a.DType == b.DType && a.DType.IsFloating()
        && !a.isWrappedNumber && !b.isWrappedNumber && a.shape.AsSpan().SequenceEqual(b.shape);

    static Tensor? GeneratedArithmetic(Tensor a, Tensor b, string name) => name switch
    {
        "Add" => ElementwiseFunctions.Add(a, b),
        "Sub" => ElementwiseFunctions.Sub(a, b),
        "Mul" => ElementwiseFunctions.Mul(a, b),
        "Div" => ElementwiseFunctions.Div(a, b),
        _ => null,
    };

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
        if (Autograd.Recording(a, b)) r.WithHistory(new BinaryBackward<TOp>(op, a, b, ca, cb, r));
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

internal struct UnaryGrad<T, TOp> : IFunc3<T, T> where TOp : struct, IUnaryOp
{
    public TOp Op;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x, T y, T g)
    {
        if (typeof(T) == typeof(float))
            return ElementwiseOp.As<float, T>(Op.Backward(ElementwiseOp.As<T, float>(x), ElementwiseOp.As<T, float>(y), ElementwiseOp.As<T, float>(g)));
        return ElementwiseOp.As<double, T>(Op.Backward(ElementwiseOp.As<T, double>(x), ElementwiseOp.As<T, double>(y), ElementwiseOp.As<T, double>(g)));
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

internal struct BinaryGrad<T, TOp> : IFunc4<T, T> where TOp : struct, IBinaryOp
{
    public TOp Op;
    public bool ForB;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T a, T b, T y, T g)
    {
        if (typeof(T) == typeof(float))
        {
            float fa = ElementwiseOp.As<T, float>(a), fb = ElementwiseOp.As<T, float>(b), fy = ElementwiseOp.As<T, float>(y), fg = ElementwiseOp.As<T, float>(g);
            return ElementwiseOp.As<float, T>(ForB ? Op.GradB(fa, fb, fy, fg) : Op.GradA(fa, fb, fy, fg));
        }
        double da = ElementwiseOp.As<T, double>(a), db = ElementwiseOp.As<T, double>(b), dy = ElementwiseOp.As<T, double>(y), dg = ElementwiseOp.As<T, double>(g);
        return ElementwiseOp.As<double, T>(ForB ? Op.GradB(da, db, dy, dg) : Op.GradA(da, db, dy, dg));
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

/// <summary>The graph node of every <see cref="IUnaryOp"/>: <c>{Name}Backward</c>.</summary>
internal sealed class UnaryBackward<TOp> : GradFn where TOp : struct, IUnaryOp
{
    readonly TOp op;
    SavedTensor x, y;
    readonly bool hasX, hasY;
    string? name;

    public UnaryBackward(TOp op, Tensor x, Tensor y)
    {
        this.op = op;
        SetInputs(x);
        if (hasX = op.UsesInput) this.x = Save(x);
        if (hasY = op.UsesOutput) this.y = Save(y);
    }

    public override string Name => name ??= op.Name + "Backward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xv = hasX ? x.Get(this) : grad;
        var yv = hasY ? y.Get(this) : grad;
        var r = Tensor.Empty(grad.DType, grad.shape);
        if (!VectorArithmetic.TryGrad<TOp>(xv, yv, grad, r, forB: false))
        {
            if (grad.DType == DType.Float32) Map.Run<float, float, UnaryGrad<float, TOp>>(xv, yv, grad, r, new() { Op = op });
            else Map.Run<double, double, UnaryGrad<double, TOp>>(xv, yv, grad, r, new() { Op = op });
        }
        inputGrads[0] = r;
    }

    internal override void ReleaseSaved()
    {
        x.Release();
        y.Release();
    }
}

/// <summary>The graph node of every <see cref="IBinaryOp"/>: <c>{Name}Backward</c>; gradients are summed back to each input's shape and dtype.</summary>
internal sealed class BinaryBackward<TOp> : GradFn where TOp : struct, IBinaryOp
{
    readonly TOp op;
    SavedTensor a, b, y;
    readonly int[] shapeA, shapeB;
    readonly DType dtypeA, dtypeB;
    string? name;

    public BinaryBackward(TOp op, Tensor a, Tensor b, Tensor ca, Tensor cb, Tensor y)
    {
        this.op = op;
        SetInputs([a, b]);
        shapeA = a.shape;
        shapeB = b.shape;
        dtypeA = a.DType;
        dtypeB = b.DType;
        bool needsKernel = (Needs(0) && !op.IdentityGradA) || (Needs(1) && !op.IdentityGradB);
        if (needsKernel && op.UsesInputs)
        {
            this.a = Save(ca);
            this.b = Save(cb);
        }
        if (needsKernel && op.UsesOutput) this.y = Save(y);
    }

    public override string Name => name ??= op.Name + "Backward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        if (Needs(0)) inputGrads[0] = Finish(op.IdentityGradA ? grad : Kernel(grad, false), shapeA, dtypeA);
        if (Needs(1)) inputGrads[1] = Finish(op.IdentityGradB ? grad : Kernel(grad, true), shapeB, dtypeB);
    }

    Tensor Kernel(Tensor grad, bool forB)
    {
        var av = op.UsesInputs ? a.Get(this) : grad;
        var bv = op.UsesInputs ? b.Get(this) : grad;
        var yv = op.UsesOutput ? y.Get(this) : grad;
        var r = Tensor.Empty(grad.DType, grad.shape);
        if (!VectorArithmetic.TryGrad<TOp>(av, bv, grad, r, forB))
        {
            if (grad.DType == DType.Float32) Map.Run<float, float, BinaryGrad<float, TOp>>(av, bv, yv, grad, r, new() { Op = op, ForB = forB });
            else Map.Run<double, double, BinaryGrad<double, TOp>>(av, bv, yv, grad, r, new() { Op = op, ForB = forB });
        }
        return r;
    }

    static Tensor Finish(Tensor g, int[] shape, DType dtype)
    {
        g = ElementwiseOp.SumToShape(g, shape);
        return g.DType == dtype ? g : g.ToDTypeData(dtype);
    }

    internal override void ReleaseSaved()
    {
        a.Release();
        b.Release();
        y.Release();
    }
}

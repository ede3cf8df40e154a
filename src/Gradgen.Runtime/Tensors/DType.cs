namespace Gradgen;

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<see cref="float"/>), the default.</summary>
    Float32,
    /// <summary>64-bit IEEE float (<see cref="double"/>).</summary>
    Float64,
    /// <summary>32-bit signed integer (<see cref="int"/>).</summary>
    Int32,
    /// <summary>64-bit signed integer (<see cref="long"/>).</summary>
    Int64,
    /// <summary>Boolean (<see cref="bool"/>).</summary>
    Bool,
}

/// <summary>Facts about <see cref="DType"/> values and PyTorch's type promotion.</summary>
internal static class DTypes
{
    /// <summary>The dtype of floating-point results computed from integer inputs (PyTorch's default dtype).</summary>
    public const DType Default = DType.Float32;

    public static bool IsFloating(this DType d) => d is DType.Float32 or DType.Float64;

    public static bool IsIntegral(this DType d) => d is DType.Int32 or DType.Int64;

    public static int ElementSize(this DType d) => d switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        _ => 1,
    };

    /// <summary>The CLR type that stores elements of <paramref name="d"/>.</summary>
    public static Type ClrType(this DType d) => d switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        _ => typeof(bool),
    };

    /// <summary>The dtype stored as <typeparamref name="T"/>; throws for other types.</summary>
    public static DType Of<T>()
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"Tensors hold float, double, int, long or bool elements, not {typeof(T).Name}.");
    }

    static int Rank(DType d) => d switch
    {
        DType.Bool => 0,
        DType.Int32 => 1,
        DType.Int64 => 2,
        DType.Float32 => 3,
        _ => 4,
    };

    /// <summary>PyTorch's <c>promote_types</c> for the dtypes Gradgen has: Bool &lt; Int32 &lt; Int64 &lt; Float32 &lt; Float64.</summary>
    public static DType Promote(DType a, DType b) => Rank(a) >= Rank(b) ? a : b;

    static int Category(DType d) => d.IsFloating() ? 2 : d.IsIntegral() ? 1 : 0;

    /// <summary>PyTorch's <c>combine_categories</c>: the higher-priority dtype wins unless the lower one is of a higher category.</summary>
    public static DType? Combine(DType? higher, DType? lower)
    {
        if (higher is null) return lower;
        if (lower is null) return higher;
        if (higher.Value.IsFloating()) return higher;
        if (higher.Value == DType.Bool || Category(lower.Value) > Category(higher.Value)) return Promote(higher.Value, lower.Value);
        return higher;
    }

    /// <summary>
    /// PyTorch's <c>result_type</c> for two operands: tensors with dimensions take precedence over zero-dimensional
    /// tensors, which take precedence over scalars (wrapped numbers), unless the lower-priority operand is of a higher
    /// category (bool &lt; integer &lt; floating).
    /// </summary>
    public static DType ResultType(Tensor a, Tensor b)
    {
        DType? dim = null, zero = null, wrapped = null;
        Add(a, ref dim, ref zero, ref wrapped);
        Add(b, ref dim, ref zero, ref wrapped);
        return Combine(dim, Combine(zero, wrapped)) ?? Default;
    }

    /// <summary><see cref="ResultType(Tensor, Tensor)"/> over any number of operands.</summary>
    public static DType ResultType(ReadOnlySpan<Tensor> operands)
    {
        DType? dim = null, zero = null, wrapped = null;
        foreach (var t in operands) Add(t, ref dim, ref zero, ref wrapped);
        return Combine(dim, Combine(zero, wrapped)) ?? Default;
    }

    static void Add(Tensor t, ref DType? dim, ref DType? zero, ref DType? wrapped)
    {
        ref DType? slot = ref t.isWrappedNumber ? ref wrapped : ref t.shape.Length == 0 ? ref zero : ref dim;
        slot = slot is null ? t.DType : Promote(slot.Value, t.DType);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Kernels;

/// <summary>
/// An elementwise function that <see cref="Gemm.Multiply{TEpilogue}(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, ReadOnlySpan{float})"/>
/// applies to each element of C on its final write, while the tile is still in registers: the way a fused kernel
/// puts an activation (ReLU, sigmoid, …) after a matrix product without a second pass over memory.
/// </summary>
/// <remarks>
/// Implement it with a struct; the matrix product is generic over it, so the JIT specialises and inlines every call.
/// The three overloads must compute the same function: full tiles use the vector ones and the ragged edges of C
/// the scalar one. A generated kernel whose body is written once against <c>ISimd&lt;TVec, float&gt;</c> implements
/// each overload by calling that body with the matching vector type.
/// </remarks>
public interface IGemmEpilogue
{
    /// <summary>The function of one element.</summary>
    static abstract float Apply(float value);

    /// <summary>The function of 8 elements.</summary>
    static abstract Vector256<float> Apply(Vector256<float> value);

    /// <summary>The function of 16 elements.</summary>
    static abstract Vector512<float> Apply(Vector512<float> value);
}

/// <summary>The epilogue that leaves values as they are: a plain matrix product.</summary>
public readonly struct IdentityEpilogue : IGemmEpilogue
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> value) => value;
}

/// <summary>The rectified linear unit, max(x, 0), as a matrix-product epilogue (NaN stays NaN).</summary>
public readonly struct ReluEpilogue : IGemmEpilogue
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float value) => value < 0f ? 0f : value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> value)
        => Vector256.ConditionalSelect(Vector256.LessThan(value, Vector256<float>.Zero), Vector256<float>.Zero, value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> value)
        => Vector512.ConditionalSelect(Vector512.LessThan(value, Vector512<float>.Zero), Vector512<float>.Zero, value);
}

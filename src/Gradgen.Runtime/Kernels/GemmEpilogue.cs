using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Kernels;

/// <summary>
/// An elementwise function that <see cref="Gemm.Multiply{TEpilogue}(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, ReadOnlySpan{float})"/>
/// applies to each element of C on its final write, while the tile is still in registers: the way a fused kernel
/// puts an activation (ReLU, sigmoid, …) after a matrix product without a second pass over memory. An epilogue that
/// <see cref="ReadsOther"/> is a function of the element and of the element at the same position of a second matrix
/// of C's shape: the way a backward pass multiplies the gradient dY·W by the activation's derivative, read from the
/// activation's output Y, as the gradient is written.
/// </summary>
/// <remarks>
/// Implement it with a struct; the matrix product is generic over it, so the JIT specialises and inlines every call.
/// An epilogue implements the three one-argument overloads, or <see cref="ReadsOther"/> and the three two-argument
/// ones; the others keep their defaults (the value unchanged). The three overloads of a kind must compute the same
/// function: full tiles use the vector ones and the ragged edges of C the scalar one. A generated kernel whose body is
/// written once against <c>ISimd&lt;TVec, float&gt;</c> implements each overload by calling that body with the
/// matching vector type.
/// </remarks>
public interface IGemmEpilogue
{
    /// <summary>Whether the function reads a second matrix (the two-argument overloads) instead of the element alone.</summary>
    static virtual bool ReadsOther => false;

    /// <summary>The function of one element.</summary>
    /// <param name="value">The element of C.</param>
    /// <returns>What is stored.</returns>
    static virtual float Apply(float value) => value;

    /// <summary>The function of 8 elements.</summary>
    /// <param name="value">The elements of C.</param>
    /// <returns>What is stored.</returns>
    static virtual Vector256<float> Apply(Vector256<float> value) => value;

    /// <summary>The function of 16 elements.</summary>
    /// <param name="value">The elements of C.</param>
    /// <returns>What is stored.</returns>
    static virtual Vector512<float> Apply(Vector512<float> value) => value;

    /// <summary>The function of one element and the element of the other matrix at its position.</summary>
    /// <param name="value">The element of C.</param>
    /// <param name="other">The other matrix's element.</param>
    /// <returns>What is stored.</returns>
    static virtual float Apply(float value, float other) => value;

    /// <summary>The function of 8 elements and the other matrix's 8 at their positions.</summary>
    /// <param name="value">The elements of C.</param>
    /// <param name="other">The other matrix's elements.</param>
    /// <returns>What is stored.</returns>
    static virtual Vector256<float> Apply(Vector256<float> value, Vector256<float> other) => value;

    /// <summary>The function of 16 elements and the other matrix's 16 at their positions.</summary>
    /// <param name="value">The elements of C.</param>
    /// <param name="other">The other matrix's elements.</param>
    /// <returns>What is stored.</returns>
    static virtual Vector512<float> Apply(Vector512<float> value, Vector512<float> other) => value;
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

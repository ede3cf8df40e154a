namespace Gradgen.Kernels;

/// <summary>
/// Adds up the lanes of a vector: how a generated loop that sums over SIMD vectors (see <c>docs/differentiable.md</c>,
/// "Vectorised loops") folds its vector accumulator into the scalar one after the last whole vector.
/// </summary>
/// <remarks>Generated code calls this once per loop, not per iteration; user code has no reason to.</remarks>
public static class LaneSums
{
    /// <summary>The sum of the lanes of <paramref name="lanes"/>, lane 0 first.</summary>
    /// <typeparam name="TSimd">The SIMD implementation of <typeparamref name="TVec"/>.</typeparam>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="lanes">The vector accumulator.</param>
    /// <returns>lanes[0] + lanes[1] + … in that order.</returns>
    public static T Sum<TSimd, TVec, T>(TVec lanes)
        where TSimd : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        Span<T> values = stackalloc T[TSimd.Count];
        TSimd.Store(lanes, values, 0);
        T total = values[0];
        for (int lane = 1; lane < values.Length; lane++)
        {
            total = Scalar<T>.Add(total, values[lane]);
        }

        return total;
    }
}

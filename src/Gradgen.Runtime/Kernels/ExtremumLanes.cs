using System.Runtime.CompilerServices;

namespace Gradgen.Kernels;

/// <summary>
/// Which running extremum a generated loop keeps (docs/differentiable.md, "Running maxima and minima"), and so how
/// <see cref="ExtremumLanes.Fold"/> folds the lanes of its vectorised forward loop.
/// </summary>
public enum RunningExtremumRule
{
    /// <summary><c>m = Math.Max(m, e)</c>: NaN makes the value NaN, equal candidates are counted as ties.</summary>
    Max,

    /// <summary><c>m = Math.Min(m, e)</c>: NaN makes the value NaN, equal candidates are counted as ties.</summary>
    Min,

    /// <summary><c>if (e &gt; m) m = e;</c>: of equal candidates the first stays; NaN never replaces.</summary>
    FirstMax,

    /// <summary><c>if (e &gt;= m) m = e;</c>: of equal candidates the last replaces; NaN never replaces.</summary>
    LastMax,

    /// <summary><c>if (e &lt; m) m = e;</c>: of equal candidates the first stays; NaN never replaces.</summary>
    FirstMin,

    /// <summary><c>if (e &lt;= m) m = e;</c>: of equal candidates the last replaces; NaN never replaces.</summary>
    LastMin,
}

/// <summary>
/// The lanes of a running extremum's vectorised forward loop, folded into the state the scalar loop keeps: the value,
/// the iteration of its last change and the number of ties since then. Generated code calls this once per block of
/// whole vectors (at most <see cref="BlockVectors"/>), never per iteration; user code has no reason to.
/// </summary>
/// <remarks>
/// Each lane holds, for the candidates of its own positions in the block: the extremum (<c>top</c>), the number of the
/// vector in the block where it was last replaced (<c>at</c>, −1 while never), and for <see cref="RunningExtremumRule.Max"/>
/// and <see cref="RunningExtremumRule.Min"/> how many candidates compared equal to it (<c>count</c>). Vector numbers and
/// counts are held as the element type, exact integers below 2²⁴ even in float, hence the block size.
/// Comparisons are the scalar loop's (−0 equals +0), so the result is the scalar loop's bit for bit.
/// </remarks>
public static class ExtremumLanes
{
    /// <summary>The most vectors in one block: vector numbers and counts stay exact in float lanes.</summary>
    public const int BlockVectors = 1 << 20;

    /// <summary>Whether any lane of <paramref name="top"/> is NaN: then the scalar loop must run the block.</summary>
    /// <typeparam name="TSimd">The SIMD implementation of <typeparamref name="TVec"/>.</typeparam>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="top">The lanes' extrema.</param>
    /// <returns>True when a lane is NaN.</returns>
    public static bool HasNaN<TSimd, TVec, T>(TVec top)
        where TSimd : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        Span<T> values = stackalloc T[TSimd.Count];
        TSimd.Store(top, values, 0);
        foreach (T value in values)
        {
            if (double.IsNaN(AsDouble(value)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Updates the state of a <c>Math.Max</c>/<c>Math.Min</c> loop as if it had run the block's iterations one by one:
    /// <paramref name="value"/>, <paramref name="changedAt"/> (1 + the iteration of the last change, counted from the
    /// loop's first) and <paramref name="ties"/> (candidates equal to the value since that change).
    /// </summary>
    /// <typeparam name="TSimd">The SIMD implementation of <typeparamref name="TVec"/>.</typeparam>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="rule"><see cref="RunningExtremumRule.Max"/> or <see cref="RunningExtremumRule.Min"/>.</param>
    /// <param name="top">Each lane's extremum (no NaN: see <see cref="HasNaN"/>).</param>
    /// <param name="at">The vector of the block where each lane last changed, −1 where it never did.</param>
    /// <param name="count">The candidates of each lane equal to its extremum.</param>
    /// <param name="start">The iteration of the block's first candidate, counted from the loop's first.</param>
    /// <param name="value">The running value before the block; after it on return.</param>
    /// <param name="changedAt">1 + the iteration of the last change (0: none yet); updated.</param>
    /// <param name="ties">The ties since the last change; updated.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rule"/> is a branch form (see <see cref="FoldBranch"/>).</exception>
    public static void Fold<TSimd, TVec, T>(RunningExtremumRule rule, TVec top, TVec at, TVec count, int start, ref T value, ref int changedAt, ref int ties)
        where TSimd : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        if (rule is not (RunningExtremumRule.Max or RunningExtremumRule.Min))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "Fold takes the Math.Max/Math.Min forms, which count ties; the branch forms go to FoldBranch.");
        }

        int lanes = TSimd.Count;
        Span<T> tops = stackalloc T[lanes];
        Span<T> ats = stackalloc T[lanes];
        Span<T> counts = stackalloc T[lanes];
        TSimd.Store(top, tops, 0);
        TSimd.Store(at, ats, 0);
        TSimd.Store(count, counts, 0);
        bool isMax = rule == RunningExtremumRule.Max;

        // The block's extremum; lanes start at ±∞, which compares as a candidate of ±∞ would: count and all.
        int best = 0;
        for (int lane = 1; lane < lanes; lane++)
        {
            if (isMax ? AsDouble(tops[lane]) > AsDouble(tops[best]) : AsDouble(tops[lane]) < AsDouble(tops[best]))
            {
                best = lane;
            }
        }

        double extremum = AsDouble(tops[best]);
        double current = AsDouble(value);

        // Math.Max/Min over every lane: the same value as the scalar fold (they order −0 below +0).
        int first = int.MaxValue;
        int equal = 0;
        T folded = value;
        for (int lane = 0; lane < lanes; lane++)
        {
            folded = isMax ? Scalar<T>.Max(folded, tops[lane]) : Scalar<T>.Min(folded, tops[lane]);
            if (AsDouble(tops[lane]) == extremum)
            {
                equal += (int)AsDouble(counts[lane]);
                first = Math.Min(first, Iteration(ats, start, lane));
            }
        }

        if (isMax ? extremum > current : extremum < current)
        {
            // The last change is the first candidate equal to the block's extremum; the others equal to it tie.
            changedAt = first + 1;
            ties = equal - 1;
        }
        else if (extremum == current)
        {
            ties += equal;
        }

        value = folded;
    }

    /// <summary>
    /// Updates the state of an <c>if (e &gt; m) m = e;</c> loop (or <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c>) as if it
    /// had run the block's iterations one by one: <paramref name="value"/> and <paramref name="changedAt"/> (1 + the
    /// iteration of the last assignment, counted from the loop's first). Only that iteration passes a gradient, so
    /// this form keeps no ties.
    /// </summary>
    /// <typeparam name="TSimd">The SIMD implementation of <typeparamref name="TVec"/>.</typeparam>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="rule">One of the branch forms: <see cref="RunningExtremumRule.FirstMax"/>, <see cref="RunningExtremumRule.LastMax"/>, <see cref="RunningExtremumRule.FirstMin"/>, <see cref="RunningExtremumRule.LastMin"/>.</param>
    /// <param name="top">Each lane's extremum.</param>
    /// <param name="at">The vector of the block where each lane last changed, −1 where it never did.</param>
    /// <param name="start">The iteration of the block's first candidate, counted from the loop's first.</param>
    /// <param name="value">The running value before the block; after it on return.</param>
    /// <param name="changedAt">1 + the iteration of the last assignment (0: none yet); updated.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rule"/> is <see cref="RunningExtremumRule.Max"/> or <see cref="RunningExtremumRule.Min"/> (see <see cref="Fold"/>).</exception>
    public static void FoldBranch<TSimd, TVec, T>(RunningExtremumRule rule, TVec top, TVec at, int start, ref T value, ref int changedAt)
        where TSimd : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        if (rule is RunningExtremumRule.Max or RunningExtremumRule.Min)
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "FoldBranch takes the if forms; Math.Max/Math.Min count ties and go to Fold.");
        }

        int lanes = TSimd.Count;
        Span<T> tops = stackalloc T[lanes];
        Span<T> ats = stackalloc T[lanes];
        TSimd.Store(top, tops, 0);
        TSimd.Store(at, ats, 0);
        bool isMax = rule is RunningExtremumRule.FirstMax or RunningExtremumRule.LastMax;
        bool Beyond(double a, double b) => isMax ? a > b : a < b;

        // The block's extremum; a lane that never changed holds its starting ±∞, not a candidate.
        int best = -1;
        for (int lane = 0; lane < lanes; lane++)
        {
            if (AsDouble(ats[lane]) >= 0 && (best < 0 || Beyond(AsDouble(tops[lane]), AsDouble(tops[best]))))
            {
                best = lane;
            }
        }

        if (best < 0)
        {
            return;
        }

        double extremum = AsDouble(tops[best]);
        double current = AsDouble(value);
        bool keepsLast = rule is RunningExtremumRule.LastMax or RunningExtremumRule.LastMin;
        if (!Beyond(extremum, current) && !(extremum == current && keepsLast))
        {
            return;
        }

        // The replacing candidate: the first (e > m) or the last (e >= m) equal to the block's extremum, with its own bits.
        int chosen = -1;
        for (int lane = 0; lane < lanes; lane++)
        {
            if (AsDouble(ats[lane]) >= 0 && AsDouble(tops[lane]) == extremum
                && (chosen < 0 || (keepsLast ? Iteration(ats, start, lane) > Iteration(ats, start, chosen) : Iteration(ats, start, lane) < Iteration(ats, start, chosen))))
            {
                chosen = lane;
            }
        }

        value = tops[chosen];
        changedAt = Iteration(ats, start, chosen) + 1;
    }

    /// <summary>The iteration of a lane's recorded candidate: its vector's number in the block, times the lanes, plus the lane.</summary>
    private static int Iteration<T>(ReadOnlySpan<T> ats, int start, int lane)
        where T : unmanaged => start + ((int)AsDouble(ats[lane]) * ats.Length) + lane;

    private static double AsDouble<T>(T value)
        where T : unmanaged =>
        typeof(T) == typeof(float) ? Unsafe.BitCast<T, float>(value) : Unsafe.BitCast<T, double>(value);
}

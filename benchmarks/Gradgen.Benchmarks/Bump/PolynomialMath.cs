using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Benchmarks.Bump;

/// <summary>
/// Cephes-style single-precision sin/cos and exp on <see cref="Vector512{T}"/>, written to be inlined into a fused
/// loop and to stay within the vector registers (no calls, no widening to double): the code a generated kernel can
/// emit. Constants are those of Cephes' sinf/cosf/expf (S. L. Moshier); the range reductions use FMA.
/// </summary>
public static class PolynomialMath
{
    const float FourOverPi = 1.27323954473516f;
    const float Dp1 = 0.78515625f;
    const float Dp2 = 2.4187564849853515625e-4f;
    const float Dp3 = 3.77489497744594108e-8f;

    const float Cos0 = 2.443315711809948e-5f;
    const float Cos1 = -1.388731625493765e-3f;
    const float Cos2 = 4.166664568298827e-2f;

    const float Sin0 = -1.9515295891e-4f;
    const float Sin1 = 8.3321608736e-3f;
    const float Sin2 = -1.6666654611e-1f;

    const float ExpHi = 88.3762626647949f;
    const float ExpLo = -87.3365447504f; // smallest argument whose result is a normal float
    const float Log2E = 1.44269504088896341f;
    const float Ln2Hi = 0.693359375f;
    const float Ln2Lo = -2.12194440e-4f;
    const float Exp0 = 1.9875691500e-4f;
    const float Exp1 = 1.3981999507e-3f;
    const float Exp2 = 8.3334519073e-3f;
    const float Exp3 = 4.1665795894e-2f;
    const float Exp4 = 1.6666665459e-1f;
    const float Exp5 = 5.0000001201e-1f;

    /// <summary>sin and cos of each lane. Accurate to a few ulp for |x| up to about 8192.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCos(Vector512<float> x, out Vector512<float> sin, out Vector512<float> cos)
    {
        Vector512<float> signMask = Vector512.Create(-0.0f);
        Vector512<float> sinSign = x & signMask;
        Vector512<float> ax = Vector512.Abs(x);

        // Octant: j = (int)(|x|·4/π) rounded up to even, so that the reduced argument lies in [−π/4, π/4].
        Vector512<int> j = Vector512.ConvertToInt32(ax * FourOverPi);
        j = (j + Vector512<int>.One) & Vector512.Create(~1);
        Vector512<float> y = Vector512.ConvertToSingle(j);

        // Cody–Waite: r = |x| − j·π/4 in three parts.
        Vector512<float> r = Vector512.FusedMultiplyAdd(y, Vector512.Create(-Dp1), ax);
        r = Vector512.FusedMultiplyAdd(y, Vector512.Create(-Dp2), r);
        r = Vector512.FusedMultiplyAdd(y, Vector512.Create(-Dp3), r);

        // Octant bits: bit 2 flips the sign of sin, bit 1 swaps the polynomials; cos's sign comes from (j − 2).
        Vector512<float> sinFlip = Vector512.ShiftLeft(j & Vector512.Create(4), 29).AsSingle();
        Vector512<float> usePolySin = Vector512.Equals(j & Vector512.Create(2), Vector512<int>.Zero).AsSingle();
        Vector512<float> cosSign = Vector512.ShiftLeft(Vector512.AndNot(Vector512.Create(4), j - Vector512.Create(2)), 29).AsSingle();
        sinSign ^= sinFlip;

        Vector512<float> z = r * r;
        Vector512<float> pc = Vector512.FusedMultiplyAdd(Vector512.Create(Cos0), z, Vector512.Create(Cos1));
        pc = Vector512.FusedMultiplyAdd(pc, z, Vector512.Create(Cos2));
        pc = Vector512.FusedMultiplyAdd(pc, z * z, Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), Vector512<float>.One));

        Vector512<float> ps = Vector512.FusedMultiplyAdd(Vector512.Create(Sin0), z, Vector512.Create(Sin1));
        ps = Vector512.FusedMultiplyAdd(ps, z, Vector512.Create(Sin2));
        ps = Vector512.FusedMultiplyAdd(ps * z, r, r);

        sin = Vector512.ConditionalSelect(usePolySin, ps, pc) ^ sinSign;
        cos = Vector512.ConditionalSelect(usePolySin, pc, ps) ^ cosSign;
    }

    /// <summary>e^x of each lane; arguments below about −87.3 give 2^−126·(…) instead of subnormals, above 88.4 clamp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLo)), Vector512.Create(ExpHi));

        // x = n·ln2 + r, |r| ≤ ln2/2.
        Vector512<float> n = Vector512.Round(x * Log2E);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);

        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(Exp0), r, Vector512.Create(Exp1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(Exp2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(Exp3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(Exp4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(Exp5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);

        // 2^n built in the exponent field.
        Vector512<float> scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Kernels;

/// <summary>
/// Exact reduction of a large float argument by π/2 (Payne–Hanek in 64-bit integers), for the few lanes of sin, cos
/// and tan beyond <see cref="VectorMath{TVec, TOps}.TrigReductionLimit"/>. The method of ARM's optimized-routines
/// (<c>reduce_large</c> in <c>math/sinf.c</c>, also glibc's sinf): a 32×96-bit product of the mantissa with the
/// bits of 2/π that matter for the exponent gives x·2/π mod 4 exactly in 2.62 fixed point; the result has at most
/// 29 leading zero bits after the point (measured here too: no float above 2¹⁸ lies closer than 2⁻²⁹·²
/// to a multiple of π/2), so its double has 33 correct bits, more than float needs.
/// </summary>
internal static class TrigLargeReduction
{
    /// <summary>π/2·2⁻⁶² (0x3C1921FB54442D18): scales the 2.62 fixed-point fraction to radians.</summary>
    private const double PiOver2Times2ToMinus62 = 3.4061215800865545e-19;

    /// <summary>
    /// Entry i holds the 32 bits of 2/π from bit 8i − 24 after the binary point (zeros before it): 192 bits in all,
    /// 96 bytes of static data, read only on this cold path.
    /// </summary>
    private static ReadOnlySpan<uint> TwoOverPiBits =>
    [
        0x0000_00a2, 0x0000_a2f9, 0x00a2_f983, 0xa2f9_836e, 0xf983_6e4e, 0x836e_4e44, 0x6e4e_4415, 0x4e44_1529,
        0x4415_29fc, 0x1529_fc27, 0x29fc_2757, 0xfc27_57d1, 0x2757_d1f5, 0x57d1_f534, 0xd1f5_34dd, 0xf534_ddc0,
        0x34dd_c0db, 0xddc0_db62, 0xc0db_6295, 0xdb62_9599, 0x6295_993c, 0x9599_3c43, 0x993c_4390, 0x3c43_9041,
    ];

    /// <summary>
    /// Reduces the float with bits <paramref name="bits"/> (positive, finite, at least 2) to r in [−π/4, π/4] and
    /// the quadrant q (its low two bits count) with x = q·π/2 + r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Reduce(uint bits, out uint quadrant)
    {
        // The exponent's upper bits pick the window of 2/π, its low three bits pre-shift the mantissa.
        ref uint window = ref Unsafe.Add(ref MemoryMarshal.GetReference(TwoOverPiBits), (int)((bits >> 26) & 15));
        int shift = (int)((bits >> 23) & 7);
        uint mantissa = ((bits & 0x00ff_ffff) | 0x0080_0000) << shift;

        // Bits above 2² are multiples of 4 (whole turns) and are dropped: the first product only needs its low word.
        ulong fixedPoint = (ulong)(mantissa * window) << 32;
        fixedPoint |= ((ulong)mantissa * Unsafe.Add(ref window, 8)) >> 32;
        fixedPoint += (ulong)mantissa * Unsafe.Add(ref window, 4);

        // Round to the nearest quadrant; the rest is the signed fraction in 2.62 fixed point.
        ulong n = (fixedPoint + (1UL << 61)) >> 62;
        fixedPoint -= n << 62;
        quadrant = (uint)n;
        return (long)fixedPoint * PiOver2Times2ToMinus62;
    }
}

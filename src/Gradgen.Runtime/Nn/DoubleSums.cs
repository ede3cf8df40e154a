using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Nn;

/// <summary>
/// Sums over a Float32 or Float64 span accumulated in double precision, a vector of doubles at a time: independent
/// lanes instead of one chain of dependent additions, which held a channel's statistics to one element per addition
/// latency.
/// </summary>
internal static class DoubleSums
{
    /// <summary>Elements consumed per step: two vectors of doubles (one vector of floats).</summary>
    static int Step => 2 * Vector<double>.Count;

    /// <summary>Σ v.</summary>
    public static double Sum<T>(ReadOnlySpan<T> v)
        where T : unmanaged, INumber<T>
    {
        Vector<double> a = Vector<double>.Zero, b = Vector<double>.Zero;
        int i = 0;
        for (; i <= v.Length - Step; i += Step)
        {
            Load(v, i, out var lo, out var hi);
            a += lo;
            b += hi;
        }

        double sum = Vector.Sum(a + b);
        for (; i < v.Length; i++)
        {
            sum += double.CreateTruncating(v[i]);
        }

        return sum;
    }

    /// <summary>Σ (v − <paramref name="mean"/>)².</summary>
    public static double SquaredDeviations<T>(ReadOnlySpan<T> v, double mean)
        where T : unmanaged, INumber<T>
    {
        Vector<double> a = Vector<double>.Zero, b = Vector<double>.Zero, m = new(mean);
        int i = 0;
        for (; i <= v.Length - Step; i += Step)
        {
            Load(v, i, out var lo, out var hi);
            lo -= m;
            hi -= m;
            a += lo * lo;
            b += hi * hi;
        }

        double sum = Vector.Sum(a + b);
        for (; i < v.Length; i++)
        {
            double d = double.CreateTruncating(v[i]) - mean;
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Σ g and Σ g·(x − <paramref name="mean"/>), over spans of one length.</summary>
    public static (double G, double GX) GradientSums<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, double mean)
        where T : unmanaged, INumber<T>
    {
        Vector<double> sg = Vector<double>.Zero, sgx = Vector<double>.Zero, m = new(mean);
        int i = 0;
        for (; i <= g.Length - Step; i += Step)
        {
            Load(g, i, out var glo, out var ghi);
            Load(x, i, out var xlo, out var xhi);
            sg += glo + ghi;
            sgx += (glo * (xlo - m)) + (ghi * (xhi - m));
        }

        double sumG = Vector.Sum(sg), sumGX = Vector.Sum(sgx);
        for (; i < g.Length; i++)
        {
            double gv = double.CreateTruncating(g[i]);
            sumG += gv;
            sumGX += gv * (double.CreateTruncating(x[i]) - mean);
        }

        return (sumG, sumGX);
    }

    /// <summary>The <see cref="Step"/> elements from <paramref name="i"/> on, as two vectors of doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Load<T>(ReadOnlySpan<T> v, int i, out Vector<double> lo, out Vector<double> hi)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(new Vector<float>(MemoryMarshal.Cast<T, float>(v)[i..]), out lo, out hi);
        }
        else
        {
            var d = MemoryMarshal.Cast<T, double>(v);
            lo = new Vector<double>(d[i..]);
            hi = new Vector<double>(d[(i + Vector<double>.Count)..]);
        }
    }
}

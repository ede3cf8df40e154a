using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>
/// The reference issue 4 measures the compiled seed MLP against: one training step of the 2-2-1 sigmoid perceptron
/// (MSE, SGD) written by hand as a single Vector512 loop over the rows — forward, loss, backward and the gradient sums
/// in one pass, the BCL's vector exp, the rows split over the threads with <see cref="Parallel.For(int, int, Action{int})"/>,
/// then the update of the nine parameters. No tensors, no graph: the floor a library's training step can approach.
/// Parameters: w (hidden weight, [2, 2] row-major), b (hidden bias), v (output weight, [1, 2]), c (output bias).
/// </summary>
public sealed class HandFusedMlp221
{
    const int Parameters = 9;    // w00 w01 w10 w11 b0 b1 v0 v1 c

    readonly float[] x, target, p = new float[Parameters];
    readonly int threads;
    readonly float learningRate;
    readonly float[][] sums;
    readonly double[] losses;

    /// <summary>The problem: x row-major [n, 2], the target [n], the starting parameters and the thread count.</summary>
    public HandFusedMlp221(float[] x, float[] target, float[] w, float[] b, float[] v, float c, float learningRate, int threads)
    {
        this.x = x;
        this.target = target;
        w.CopyTo(p, 0);
        b.CopyTo(p, 4);
        v.CopyTo(p, 6);
        p[8] = c;
        this.learningRate = learningRate;
        this.threads = threads;
        sums = Enumerable.Range(0, threads).Select(_ => new float[Parameters]).ToArray();
        losses = new double[threads];
    }

    /// <summary>One step; returns the loss before the update.</summary>
    public float Step()
    {
        int n = target.Length;
        if (threads == 1)
        {
            Rows(0, 0, n);
        }
        else
        {
            Parallel.For(0, threads, t => Rows(t, (int)((long)n * t / threads) & ~15, t == threads - 1 ? n : (int)((long)n * (t + 1) / threads) & ~15));
        }

        double loss = 0;
        for (int k = 0; k < Parameters; k++)
        {
            float g = 0;
            foreach (var s in sums)
            {
                g += s[k];
            }

            p[k] -= learningRate * g;
        }

        foreach (double l in losses)
        {
            loss += l;
        }

        return (float)(loss / n);
    }

    void Rows(int thread, int start, int end)
    {
        float scale = 2f / target.Length;
        var g = Vector512<float>.Zero;
        Vector512<float> gw00 = g, gw01 = g, gw10 = g, gw11 = g, gb0 = g, gb1 = g, gv0 = g, gv1 = g, gc = g, loss = g;
        var w00 = Vector512.Create(p[0]);
        var w01 = Vector512.Create(p[1]);
        var w10 = Vector512.Create(p[2]);
        var w11 = Vector512.Create(p[3]);
        var b0 = Vector512.Create(p[4]);
        var b1 = Vector512.Create(p[5]);
        var v0 = Vector512.Create(p[6]);
        var v1 = Vector512.Create(p[7]);
        var c = Vector512.Create(p[8]);
        var one = Vector512<float>.One;
        var two = Vector512.Create(scale);
        ref float xs = ref x[0];
        ref float ts = ref target[0];
        int r = start;
        for (; r <= end - 16; r += 16)
        {
            // Two features per row: the 64-bit lanes narrowed give the first, shifted the second.
            var lo = Vector512.LoadUnsafe(ref xs, (nuint)(2 * r)).AsUInt64();
            var hi = Vector512.LoadUnsafe(ref xs, (nuint)((2 * r) + 16)).AsUInt64();
            var x0 = Vector512.Narrow(lo, hi).AsSingle();
            var x1 = Vector512.Narrow(lo >>> 32, hi >>> 32).AsSingle();
            var h0 = one / (one + Vector512.Exp(-Vector512.FusedMultiplyAdd(w01, x1, Vector512.FusedMultiplyAdd(w00, x0, b0))));
            var h1 = one / (one + Vector512.Exp(-Vector512.FusedMultiplyAdd(w11, x1, Vector512.FusedMultiplyAdd(w10, x0, b1))));
            var d = Vector512.FusedMultiplyAdd(v1, h1, Vector512.FusedMultiplyAdd(v0, h0, c)) - Vector512.LoadUnsafe(ref ts, (nuint)r);
            loss = Vector512.FusedMultiplyAdd(d, d, loss);
            var gy = two * d;
            gv0 = Vector512.FusedMultiplyAdd(gy, h0, gv0);
            gv1 = Vector512.FusedMultiplyAdd(gy, h1, gv1);
            gc += gy;
            var gz0 = gy * v0 * h0 * (one - h0);
            var gz1 = gy * v1 * h1 * (one - h1);
            gw00 = Vector512.FusedMultiplyAdd(gz0, x0, gw00);
            gw01 = Vector512.FusedMultiplyAdd(gz0, x1, gw01);
            gw10 = Vector512.FusedMultiplyAdd(gz1, x0, gw10);
            gw11 = Vector512.FusedMultiplyAdd(gz1, x1, gw11);
            gb0 += gz0;
            gb1 += gz1;
        }

        var s = sums[thread];
        s[0] = Vector512.Sum(gw00);
        s[1] = Vector512.Sum(gw01);
        s[2] = Vector512.Sum(gw10);
        s[3] = Vector512.Sum(gw11);
        s[4] = Vector512.Sum(gb0);
        s[5] = Vector512.Sum(gb1);
        s[6] = Vector512.Sum(gv0);
        s[7] = Vector512.Sum(gv1);
        s[8] = Vector512.Sum(gc);
        double l = Vector512.Sum(loss);
        for (; r < end; r++)
        {
            l += Row(s, x[2 * r], x[(2 * r) + 1], target[r], scale);
        }

        losses[thread] = l;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    float Row(float[] s, float x0, float x1, float t, float scale)
    {
        float h0 = 1 / (1 + MathF.Exp(-((p[0] * x0) + (p[1] * x1) + p[4])));
        float h1 = 1 / (1 + MathF.Exp(-((p[2] * x0) + (p[3] * x1) + p[5])));
        float d = (p[6] * h0) + (p[7] * h1) + p[8] - t;
        float gy = scale * d;
        float gz0 = gy * p[6] * h0 * (1 - h0), gz1 = gy * p[7] * h1 * (1 - h1);
        s[0] += gz0 * x0;
        s[1] += gz0 * x1;
        s[2] += gz1 * x0;
        s[3] += gz1 * x1;
        s[4] += gz0;
        s[5] += gz1;
        s[6] += gy * h0;
        s[7] += gy * h1;
        s[8] += gy;
        return d * d;
    }
}

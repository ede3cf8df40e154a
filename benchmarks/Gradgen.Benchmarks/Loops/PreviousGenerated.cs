using Gradgen.Kernels;

namespace Gradgen.Benchmarks.Loops;

/// <summary>
/// The "before" of docs/benchmarks.md §10: what the generator emitted for <see cref="LoopFunctions.LogSumExp"/> and
/// <see cref="LoopFunctions.SoftmaxCrossEntropy"/> before running maxima stopped being taped and loops were vectorised
/// (main at ca574fa), kept here so that both run side by side in one benchmark run. Scalar loops; the running maximum's
/// old value is pushed every iteration and its derivative evaluated for every element on the way back.
/// </summary>
public static class PreviousGenerated
{
    public static float LogSumExpWithGradient(ReadOnlySpan<float> x, Span<float> dx)
    {
        dx.Clear();
        float max = TapedMaximum(x, out var tape, out float sum);
        try
        {
            float result = max + Scalar<float>.Log(sum);
            float dmax = 1f;
            float dsum = 1f / sum;
            dmax = ExpSumBackward(x, max, dsum, dx, dmax, tape);
            MaximumBackward(x, dmax, dx, tape);
            return result;
        }
        finally
        {
            tape.Return();
        }
    }

    public static float SoftmaxCrossEntropyWithGradient(ReadOnlySpan<float> logits, int label, Span<float> dlogits)
    {
        dlogits.Clear();
        float max = TapedMaximum(logits, out var tape, out float sum);
        try
        {
            float result = Scalar<float>.Log(sum) + max - logits[label];
            float dmax = 1f;
            float dsum = 1f / sum;
            dlogits[label] += -1f;
            dmax = ExpSumBackward(logits, max, dsum, dlogits, dmax, tape);
            MaximumBackward(logits, dmax, dlogits, tape);
            return result;
        }
        finally
        {
            tape.Return();
        }
    }

    // Forward sweep: max = Max(max, x[i]) pushing the old max every iteration, then sum += exp(x[i] − max).
    static float TapedMaximum(ReadOnlySpan<float> x, out ReverseTape tape, out float sum)
    {
        tape = ReverseTape.Rent();
        float max = float.NegativeInfinity;
        int i = 0;
        int first1 = i;
        int iterations1 = 0;
        while (i < x.Length)
        {
            tape.Push<float>(max);
            max = Scalar<float>.Max(max, x[i]);
            iterations1++;
            i += 1;
        }

        tape.Push(first1);
        tape.Push(iterations1);
        float total = 0f;
        int i2 = 0;
        int first2 = i2;
        int iterations2 = 0;
        while (i2 < x.Length)
        {
            total = Scalar<float>.Exp(x[i2] - max) + total;
            iterations2++;
            i2 += 1;
        }

        tape.Push(first2);
        tape.Push(iterations2);
        sum = total;
        return max;
    }

    static float ExpSumBackward(ReadOnlySpan<float> x, float max, float dsum, Span<float> dx, float dmax, ReverseTape tape)
    {
        int iterations3 = tape.Pop<int>();
        int first3 = tape.Pop<int>();
        for (int i2 = first3 + iterations3 - 1; iterations3 > 0; iterations3--, i2 -= 1)
        {
            float g = dsum;
            dsum = 0;
            float v5 = Scalar<float>.Exp(x[i2] - max) * g;
            dx[i2] += v5;
            dmax += -v5;
            dsum += g;
        }

        return dmax;
    }

    static void MaximumBackward(ReadOnlySpan<float> x, float dmax, Span<float> dx, ReverseTape tape)
    {
        int iterations4 = tape.Pop<int>();
        int first4 = tape.Pop<int>();
        for (int i = first4 + iterations4 - 1; iterations4 > 0; iterations4--, i -= 1)
        {
            float g = dmax;
            dmax = 0;
            float max = tape.Pop<float>();
            float v5 = g * 0.5f;
            float v6 = Scalar<float>.Equal(max, x[i]);
            dmax += Scalar<float>.Select(v6, v5, Scalar<float>.Select(Scalar<float>.GreaterThan(x[i], max), 0f, g));
            dx[i] += Scalar<float>.Select(v6, v5, Scalar<float>.Select(Scalar<float>.GreaterThan(max, x[i]), 0f, g));
        }
    }
}

namespace Gradgen.Benchmarks.Loops;

/// <summary>The adjoints a person writes for the same functions: the practical limit of a scalar loop.</summary>
public static class HandWrittenAdjoints
{
    /// <summary>log-sum-exp and its gradient softmax(x).</summary>
    public static float LogSumExp(ReadOnlySpan<float> x, Span<float> dx)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += MathF.Exp(x[i] - max);
        }

        float inverse = 1 / sum;
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] = MathF.Exp(x[i] - max) * inverse;
        }

        return max + MathF.Log(sum);
    }

    /// <summary>Softmax cross-entropy and its gradient softmax(x) − onehot(label).</summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, int label, Span<float> dlogits)
    {
        float value = LogSumExp(logits, dlogits) - logits[label];
        dlogits[label] -= 1;
        return value;
    }
}

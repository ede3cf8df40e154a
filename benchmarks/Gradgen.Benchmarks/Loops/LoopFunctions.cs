namespace Gradgen.Benchmarks.Loops;

/// <summary>The loop functions of issue 11's benchmarks, as a user writes them; the generator adds …WithGradient.</summary>
public static partial class LoopFunctions
{
    /// <summary>log Σ exp(xᵢ), two passes: the maximum, then the shifted sum.</summary>
    [Differentiable]
    public static float LogSumExp(ReadOnlySpan<float> x)
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

        return max + MathF.Log(sum);
    }

    /// <summary>−log softmax(logits)[label].</summary>
    [Differentiable]
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, int label)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            max = MathF.Max(max, logits[i]);
        }

        float sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += MathF.Exp(logits[i] - max);
        }

        return MathF.Log(sum) + max - logits[label];
    }

    /// <summary>h = tanh(w·h + u·xₜ + b) over the sequence; the last state.</summary>
    [Differentiable]
    public static float Rnn(ReadOnlySpan<float> xs, float w, float u, float b)
    {
        float h = 0;
        for (int t = 0; t < xs.Length; t++)
        {
            h = MathF.Tanh(w * h + u * xs[t] + b);
        }

        return h;
    }
}

namespace Gradgen.Nn;

/// <summary>PyTorch's <c>torch.nn.utils</c> for training loops: gradient clipping.</summary>
public static class Utils
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their total norm (the
    /// <paramref name="normType"/>-norm of all gradient elements together) is at most <paramref name="maxNorm"/>
    /// (PyTorch's <c>clip_grad_norm_</c>): every gradient is multiplied by min(1, maxNorm / (total + 1e-6)).
    /// Parameters without a gradient are skipped.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest total norm.</param>
    /// <param name="normType">The norm's order p (p &gt; 0), or <see cref="double.PositiveInfinity"/> for the largest magnitude.</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite instead of scaling by it.</param>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentException"><paramref name="normType"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The total norm is not finite and <paramref name="errorIfNonfinite"/> is set.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0))
        {
            throw new ArgumentException($"ClipGradNorm: normType must be positive (or infinity), got {normType}.", nameof(normType));
        }

        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToArray();
        if (grads.Length == 0)
        {
            return 0;
        }

        using var _ = Autograd.Pause();
        double total = 0;
        foreach (var g in grads)
        {
            // Each gradient's norm in float64, then the norm of the norms, as PyTorch's per-tensor then stacked norms.
            var a = g.Detach().To(DType.Float64).Abs();
            double norm = double.IsPositiveInfinity(normType) ? a.Max().Item<double>() : Math.Pow(a.Pow(normType).Sum().Item<double>(), 1 / normType);
            total = double.IsPositiveInfinity(normType) ? Math.Max(total, norm) : total + Math.Pow(norm, normType);
        }

        if (!double.IsPositiveInfinity(normType))
        {
            total = Math.Pow(total, 1 / normType);
        }

        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new InvalidOperationException($"The total norm of order {normType} for gradients from `parameters` is non-finite ({total}), so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false.");
        }

        double coefficient = Math.Min(maxNorm / (total + 1e-6), 1.0);
        foreach (var g in grads)
        {
            g.MulInPlace(coefficient);
        }

        return total;
    }

    /// <summary>Clamps every gradient element of <paramref name="parameters"/> into [−clipValue, clipValue] in place (PyTorch's <c>clip_grad_value_</c>).</summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="clipValue">The largest magnitude, ≥ 0.</param>
    /// <exception cref="ArgumentException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0))
        {
            throw new ArgumentException($"ClipGradValue: clipValue must be non-negative, got {clipValue}.", nameof(clipValue));
        }

        using var _ = Autograd.Pause();
        foreach (var p in parameters)
        {
            p.grad?.CopyFrom(p.grad.Clamp(-clipValue, clipValue));
        }
    }
}

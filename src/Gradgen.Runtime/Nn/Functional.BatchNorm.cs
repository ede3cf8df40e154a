namespace Gradgen.Nn;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation (PyTorch's <c>F.batch_norm</c>) of an input [N, C, *] over every dimension but the channel
    /// dimension 1: y = (x − mean)/√(var + eps)·weight + bias. When <paramref name="training"/>, mean and var are the
    /// batch's statistics (the biased variance), and the running statistics, when given, are updated in place to
    /// (1 − momentum)·running + momentum·batch with the unbiased variance; otherwise the running statistics are used.
    /// On the CPU one fused operation recorded as <c>NativeBatchNormBackward</c> (gradients of the input, weight and
    /// bias); on other devices composed of recorded operations.
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor [N, C] or [N, C, *].</param>
    /// <param name="runningMean">The running mean [C] of the input's dtype, or null (then <paramref name="training"/> must be true).</param>
    /// <param name="runningVar">The running variance [C] of the input's dtype, or null (then <paramref name="training"/> must be true).</param>
    /// <param name="weight">The scale [C], or null.</param>
    /// <param name="bias">The shift [C], or null.</param>
    /// <param name="training">Normalise with the batch's statistics (and update the running ones) rather than the running ones.</param>
    /// <param name="momentum">The weight of the batch in the running statistics' update.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <exception cref="ArgumentException">The input has fewer than 2 dimensions, is not floating-point, has a single value per channel in training, or a statistic, weight or bias does not have C elements or the input's dtype; the message names the shapes.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        CheckBatchNorm(input, runningMean, runningVar, weight, bias, training);
        return input.Device.Type == DeviceType.Cpu
            ? BatchNormKernel.Run(input, runningMean, runningVar, weight, bias, training, momentum, eps)
            : BatchNormComposite(input, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /// <summary>Throws, naming the shapes, where <see cref="BatchNorm"/>'s arguments do not fit.</summary>
    internal static void CheckBatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Ndim < 2)
            throw new ArgumentException($"BatchNorm: expected an input [N, C] or [N, C, *] with at least 2 dimensions, got shape {input.ShapeString}.", nameof(input));
        if (!input.DType.IsFloating())
            throw new ArgumentException($"BatchNorm: the input has dtype {input.DType}; it must be Float32 or Float64.", nameof(input));
        int c = input.shape[1];
        CheckChannelTensor(runningMean, "running_mean", c, input, nameof(runningMean));
        CheckChannelTensor(runningVar, "running_var", c, input, nameof(runningVar));
        CheckChannelTensor(weight, "weight", c, input, nameof(weight));
        CheckChannelTensor(bias, "bias", c, input, nameof(bias));
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException("BatchNorm: without training, the running mean and variance are needed (they are null).", nameof(training));
        if (training && input.numel / Math.Max(c, 1) <= 1)
            throw new ArgumentException($"BatchNorm: expected more than 1 value per channel when training, got input of shape {input.ShapeString}.", nameof(input));
    }

    static void CheckChannelTensor(Tensor? t, string name, int channels, Tensor input, string parameter)
    {
        if (t is null) return;
        if (t.Ndim != 1 || t.shape[0] != channels)
            throw new ArgumentException($"BatchNorm: {name} has shape {t.ShapeString}, but the input of shape {input.ShapeString} has {channels} channels (dimension 1); expected [{channels}].", parameter);
        if (t.DType != input.DType)
            throw new ArgumentException($"BatchNorm: {name} has dtype {t.DType} and the input {input.DType}; they must be the same.", parameter);
        if (t.Device != input.Device)
            throw new ArgumentException($"BatchNorm: {name} is on {t.Device} and the input on {input.Device}; they must be on the same device.", parameter);
    }

    /// <summary>
    /// Batch normalisation from recorded operations (any device): the input as [N, C, S], the per-channel mean and
    /// biased variance of <see cref="BatchNormMoments"/>, (x − mean)/√(var + eps)·weight + bias.
    /// </summary>
    internal static Tensor BatchNormComposite(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double momentum, double eps)
    {
        int n = input.shape[0], c = input.shape[1];
        var x = input.Reshape(n, c, input.numel / Math.Max(n * c, 1));
        var (mean, variance) = BatchNormMoments(x, runningMean, runningVar, training, momentum);
        return BatchNormAffine((x - mean) / (variance + eps).Sqrt(), weight, bias).Reshape((int[])input.shape.Clone());
    }

    /// <summary>
    /// The per-channel mean and variance [1, C, 1] a batch norm call normalises <paramref name="x"/> [N, C, S] with: in
    /// training the batch's (recorded, so the gradient flows through them; the biased variance), and the running
    /// statistics updated in place without recording (with the unbiased variance); else the running ones.
    /// </summary>
    internal static (Tensor Mean, Tensor Variance) BatchNormMoments(Tensor x, Tensor? runningMean, Tensor? runningVar, bool training, double momentum)
    {
        int n = x.shape[0], c = x.shape[1], s = x.shape[2];
        int[] statShape = [1, c, 1];
        if (!training)
        {
            return (runningMean!.Reshape(statShape), runningVar!.Reshape(statShape));
        }

        var rows = x.Transpose(0, 1).Reshape(c, n * s);
        var m = rows.Mean(1, keepDim: true);
        var centered = rows - m;
        var v = (centered * centered).Mean(1, keepDim: true);
        using (Autograd.Pause())
        {
            long count = (long)n * s;
            runningMean?.MulInPlace(1 - momentum).AddInPlace(m.Detach().Reshape(c) * momentum);
            runningVar?.MulInPlace(1 - momentum).AddInPlace(v.Detach().Reshape(c) * (momentum * count / (count - 1)));
        }

        return (m.Reshape(statShape), v.Reshape(statShape));
    }

    /// <summary>The normalised <paramref name="y"/> [N, C, S] times the per-channel weight, plus the bias (either may be null).</summary>
    internal static Tensor BatchNormAffine(Tensor y, Tensor? weight, Tensor? bias)
    {
        int[] statShape = [1, y.shape[1], 1];
        if (weight is not null) y *= weight.Reshape(statShape);
        if (bias is not null) y += bias.Reshape(statShape);
        return y;
    }
}

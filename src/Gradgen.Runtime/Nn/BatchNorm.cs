namespace Gradgen.Nn;

/// <summary>
/// What <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> share (PyTorch's <c>_BatchNorm</c>): the learnable
/// <c>weight</c> (ones) and <c>bias</c> (zeros) when affine, and the buffers <c>running_mean</c> (zeros),
/// <c>running_var</c> (ones) and <c>num_batches_tracked</c> (an Int64 scalar, 0) when tracking running statistics,
/// under PyTorch's names, so that state dicts load both ways. In training each call normalises with the batch's
/// statistics and updates the running ones; in evaluation (<see cref="Module.Eval"/>) it uses the running ones.
/// </summary>
public abstract class BatchNormBase : Module
{
    /// <summary>A batch norm over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">C, the size of the input's dimension 1.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">The weight of each batch in the running statistics; null for their cumulative average (weight 1/batches seen).</param>
    /// <param name="affine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="trackRunningStats">Whether the layer keeps running statistics; without them it normalises with the batch's statistics in evaluation too.</param>
    /// <param name="dtype">Float32 (default) or Float64, for the parameters and the running statistics.</param>
    /// <exception cref="ArgumentException"><paramref name="numFeatures"/> is not positive, <paramref name="eps"/> is negative, or <paramref name="dtype"/> is not floating-point.</exception>
    private protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        string name = GetType().Name;
        if (numFeatures < 1) throw new ArgumentException($"{name}: num_features must be positive, got {numFeatures}.", nameof(numFeatures));
        if (!(eps >= 0)) throw new ArgumentException($"{name}: eps must be non-negative, got {PythonRepr.Float(eps)}.", nameof(eps));
        if (!dtype.IsFloating()) throw new ArgumentException($"{name}: the dtype must be Float32 or Float64, not {dtype}.", nameof(dtype));
        (NumFeatures, Eps, Momentum, Affine, TrackRunningStats) = (numFeatures, eps, momentum, affine, trackRunningStats);
        Weight = affine ? new Parameter(Tensor.Ones([numFeatures], dtype)) : null;
        RegisterParameter("weight", Weight);
        Bias = affine ? new Parameter(Tensor.Zeros([numFeatures], dtype)) : null;
        RegisterParameter("bias", Bias);
        RunningMean = trackRunningStats ? Tensor.Zeros([numFeatures], dtype) : null;
        RegisterBuffer("running_mean", RunningMean);
        RunningVar = trackRunningStats ? Tensor.Ones([numFeatures], dtype) : null;
        RegisterBuffer("running_var", RunningVar);
        NumBatchesTracked = trackRunningStats ? Tensor.Zeros([], DType.Int64) : null;
        RegisterBuffer("num_batches_tracked", NumBatchesTracked);
    }

    /// <summary>C, the number of channels (PyTorch's <c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance (PyTorch's <c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>The weight of each batch in the running statistics; null for a cumulative average (PyTorch's <c>momentum</c>).</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias (PyTorch's <c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Whether the layer keeps running statistics (PyTorch's <c>track_running_stats</c>).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>The scale [C], initially ones; null without affine parameters.</summary>
    public Parameter? Weight { get; }

    /// <summary>The shift [C], initially zeros; null without affine parameters.</summary>
    public Parameter? Bias { get; }

    /// <summary>The buffer <c>running_mean</c> [C], initially zeros; null without running statistics.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The buffer <c>running_var</c> [C] (unbiased batch variances), initially ones; null without running statistics.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>The buffer <c>num_batches_tracked</c>, an Int64 scalar counting training batches; null without running statistics.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Resets the running statistics: mean 0, variance 1, batches 0 (PyTorch's <c>reset_running_stats</c>).</summary>
    public void ResetRunningStats()
    {
        using var pause = Autograd.Pause();
        RunningMean?.Fill(0);
        RunningVar?.Fill(1);
        NumBatchesTracked?.Fill(0);
    }

    /// <summary>Throws, naming the shape, if <paramref name="input"/> does not have the dimensions this layer takes.</summary>
    /// <param name="input">The input.</param>
    private protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var call = BeginCall(input);
        return Functional.BatchNorm(input, call.RunningMean, call.RunningVar, Weight, Bias, call.UseBatch, call.Momentum, Eps);
    }

    /// <summary>
    /// What one call normalises with, as PyTorch decides it: the batch's statistics in training (then
    /// <c>num_batches_tracked</c> counts the call, and the running statistics returned are the ones to update, with
    /// <c>Momentum</c> the batch's weight), and in evaluation too when there are no running statistics.
    /// </summary>
    /// <param name="input">The call's input, checked against the layer.</param>
    /// <exception cref="ArgumentException">The input's rank or channel count does not fit the layer.</exception>
    internal (bool UseBatch, Tensor? RunningMean, Tensor? RunningVar, double Momentum) BeginCall(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInputDim(input);
        if (input.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: the input of shape {input.Shape} has {input.Shape[1]} channels (dimension 1), but num_features is {NumFeatures}.", nameof(input));

        double factor = Momentum ?? 0;
        if (IsTraining && NumBatchesTracked is not null)
        {
            using (Autograd.Pause()) NumBatchesTracked.AddInPlace(1);
            factor = Momentum ?? 1.0 / NumBatchesTracked.Item<long>();
        }

        bool useBatch = IsTraining || RunningMean is null;
        bool useRunning = !IsTraining || TrackRunningStats;
        return (useBatch, useRunning ? RunningMean : null, useRunning ? RunningVar : null, factor);
    }

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PythonRepr.Float(Eps)}, momentum={(Momentum is { } m ? PythonRepr.Float(m) : "None")}, affine={Py(Affine)}, track_running_stats={Py(TrackRunningStats)}";

    static string Py(bool value) => value ? "True" : "False";
}

/// <summary>
/// Batch normalisation over [N, C] or [N, C, L] inputs (PyTorch's <c>torch.nn.BatchNorm1d</c>): per channel C,
/// statistics over N (and L); see <see cref="BatchNormBase"/> and <see cref="Functional.BatchNorm"/>.
/// </summary>
/// <param name="numFeatures">C.</param>
/// <param name="eps">Added to the variance.</param>
/// <param name="momentum">The weight of each batch in the running statistics; null for their cumulative average.</param>
/// <param name="affine">Whether the layer has a learnable weight and bias.</param>
/// <param name="trackRunningStats">Whether the layer keeps running statistics.</param>
/// <param name="dtype">Float32 (default) or Float64.</param>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override void CheckInputDim(Tensor input)
    {
        if (input.Ndim is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got a {input.Ndim}-D input of shape {input.Shape}.", nameof(input));
    }
}

/// <summary>
/// Batch normalisation over [N, C, H, W] images (PyTorch's <c>torch.nn.BatchNorm2d</c>): per channel C, statistics
/// over N, H and W; see <see cref="BatchNormBase"/> and <see cref="Functional.BatchNorm"/>.
/// </summary>
/// <param name="numFeatures">C.</param>
/// <param name="eps">Added to the variance.</param>
/// <param name="momentum">The weight of each batch in the running statistics; null for their cumulative average.</param>
/// <param name="affine">Whether the layer has a learnable weight and bias.</param>
/// <param name="trackRunningStats">Whether the layer keeps running statistics.</param>
/// <param name="dtype">Float32 (default) or Float64.</param>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override void CheckInputDim(Tensor input)
    {
        if (input.Ndim != 4)
            throw new ArgumentException($"BatchNorm2d: expected a 4-D [N, C, H, W] input, got a {input.Ndim}-D input of shape {input.Shape}.", nameof(input));
    }
}

namespace Gradgen.Nn;

/// <summary>
/// The compiled graph's batch normalisation: the statistics (and the running statistics' update) as eager
/// <see cref="BatchNormBase.Forward"/> decides them, the normalisation, and its gradients from one call, all through
/// the CPU kernel eager batch norm runs (on a device, its composition: CompiledGraph.DeviceImages.cs).
/// </summary>
public static partial class CompiledGraph
{
    /// <summary>
    /// What a batch norm layer normalises <paramref name="x"/> with on this call, as a Float64 tensor [3, C]: the mean,
    /// 1/√(var + eps), and 1 where they are the batch's (training, or no running statistics: the gradient then flows
    /// through them) or 0 where they are the running ones. In training it counts the call in
    /// <c>num_batches_tracked</c> and updates the running statistics, as eager Forward does.
    /// </summary>
    /// <param name="x">The input [N, C, *].</param>
    /// <param name="module">The layer.</param>
    /// <returns>[3, C], Float64.</returns>
    /// <exception cref="ArgumentException">The input does not fit the layer, with the shapes.</exception>
    public static Tensor BatchNormStatistics(Tensor x, BatchNormBase module)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(module);
        var call = module.BeginCall(x);
        Functional.CheckBatchNorm(x, call.RunningMean, call.RunningVar, module.Weight, module.Bias, call.UseBatch);
        if (!IsCpu(x))
        {
            return DeviceBatchNormStatistics(x, module, call);
        }

        var (mean, invstd) = BatchNormKernel.Statistics(x, call.RunningMean, call.RunningVar, call.UseBatch, call.Momentum, module.Eps);
        int c = mean.Length;
        var statistics = new double[3 * c];
        mean.CopyTo(statistics, 0);
        invstd.CopyTo(statistics, c);
        Array.Fill(statistics, call.UseBatch ? 1.0 : 0.0, 2 * c, c);
        return Tensor.FromArray(statistics).Reshape(3, c);
    }

    /// <summary>y = (x − mean)·invstd·weight + bias per channel, with the statistics of <see cref="BatchNormStatistics"/>.</summary>
    /// <param name="x">The input [N, C, *].</param>
    /// <param name="statistics">[3, C] from <see cref="BatchNormStatistics"/>.</param>
    /// <param name="weight">The scale [C], or null.</param>
    /// <param name="bias">The shift [C], or null.</param>
    /// <returns>A tensor shaped like <paramref name="x"/>.</returns>
    public static Tensor BatchNorm(Tensor x, Tensor statistics, Tensor? weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!IsCpu(x))
        {
            return DeviceBatchNorm(x, statistics, weight, bias);
        }

        var (mean, invstd, _) = Unpack(statistics);
        return BatchNormKernel.Normalize(x, mean, invstd, weight, bias);
    }

    /// <summary>
    /// The gradients of <see cref="BatchNorm"/> asked for, from the output's gradient <paramref name="g"/>, in one pass
    /// per channel: of the input (through the batch's statistics too where they were used), of the weight and of the bias.
    /// </summary>
    /// <param name="g">The output's gradient, shaped like <paramref name="x"/>.</param>
    /// <param name="x">The input [N, C, *].</param>
    /// <param name="statistics">[3, C] from <see cref="BatchNormStatistics"/>.</param>
    /// <param name="weight">The scale [C], or null.</param>
    /// <param name="input">Compute the input's gradient.</param>
    /// <param name="weights">Compute the weight's gradient.</param>
    /// <param name="bias">Compute the bias's gradient.</param>
    /// <returns>The input's, the weight's and the bias's gradients; null where not asked for.</returns>
    /// <exception cref="ArgumentException">The gradient is not shaped like the input.</exception>
    public static Tensor?[] BatchNormGradients(Tensor g, Tensor x, Tensor statistics, Tensor? weight, bool input, bool weights, bool bias)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(x);
        if (!g.Shape.SequenceEqual(x.Shape))
        {
            throw new ArgumentException($"BatchNormGradients: the gradient has shape {g.ShapeString}, but the input {x.ShapeString}.", nameof(g));
        }

        if (!IsCpu(x))
        {
            return DeviceBatchNormGradients(g, x, statistics, weight, input, weights, bias);
        }

        var (mean, invstd, batch) = Unpack(statistics);
        var xs = Whole(x);
        var gs = Whole(g.DType == x.DType ? g : g.ToDTypeData(x.DType));
        int c = mean.Length;
        var dx = input ? Tensor.Empty(x.DType, [.. x.Shape]) : null;
        var dw = weights ? new double[c] : null;
        var db = bias ? new double[c] : null;
        var w = weight?.ToArray<double>();
        if (x.DType == DType.Float32)
        {
            BatchNormKernel.Backward<float>(xs, gs, dx, dw, db, mean, invstd, w, batch);
        }
        else
        {
            BatchNormKernel.Backward<double>(xs, gs, dx, dw, db, mean, invstd, w, batch);
        }

        GC.KeepAlive(xs);
        GC.KeepAlive(gs);
        return [dx, dw is null ? null : Tensor.FromArray(dw).To(x.DType), db is null ? null : Tensor.FromArray(db).To(x.DType)];
    }

    private static (double[] Mean, double[] Invstd, bool Batch) Unpack(Tensor statistics)
    {
        CheckStatistics(statistics);
        var values = statistics.ToArray<double>();
        int c = statistics.Shape[1];
        return (values[..c], values[c..(2 * c)], values[2 * c] != 0);
    }

    private static void CheckStatistics(Tensor statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Ndim != 2 || statistics.Shape[0] != 3 || statistics.DType != DType.Float64)
        {
            throw new ArgumentException($"BatchNorm: the statistics must be a Float64 [3, C] from BatchNormStatistics, got {statistics.DType} {statistics.ShapeString}.", nameof(statistics));
        }
    }
}

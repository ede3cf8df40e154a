namespace Gradgen.Nn;

/// <summary>
/// The compiled graph's convolution, pooling and batch norm steps on an accelerator. The forward steps call the same functional
/// operations as on the CPU, which run the device compositions there (<see cref="DeviceWindows"/>). A layer's
/// gradients are those compositions' own: the layer is run again on detached leaves and <c>g</c> is backpropagated
/// through it, so the operations' rule-table VJPs give them and no derivative is written here. That costs one more
/// forward of the layer in the backward. Max pooling keeps its forward's positions instead, as on the CPU. Batch norm
/// computes its statistics with eager's composition (<see cref="Functional.BatchNormMoments"/>), in the input's dtype.
/// </summary>
public static partial class CompiledGraph
{
    /// <summary>
    /// The gradients of <paramref name="layer"/> at <paramref name="inputs"/> for the output gradient
    /// <paramref name="g"/>, where <paramref name="wanted"/> says; null elsewhere.
    /// </summary>
    private static Tensor?[] GradientsThroughLayer(Func<Tensor[], Tensor> layer, Tensor g, Tensor[] inputs, bool[] wanted)
    {
        var leaves = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            leaves[i] = inputs[i].Detach();
            leaves[i].RequiresGrad = wanted[i];
        }

        using (Autograd.EnableGrad())
        {
            var y = layer(leaves);
            y.Backward(g.DType == y.DType ? g : g.To(y.DType));
        }

        var gradients = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            gradients[i] = wanted[i] ? leaves[i].Grad ?? Tensor.ZerosLike(leaves[i]) : null;
        }

        return gradients;
    }

    /// <summary><see cref="Conv2dGradients"/> on a device: through the convolution's device composition (a zero bias stands in for the bias, whose gradient does not depend on it).</summary>
    private static Tensor?[] DeviceConv2dGradients(Tensor g, Tensor x, Tensor weight, Conv2d module, bool input, bool weights, bool bias)
    {
        var zeroBias = Tensor.Zeros([weight.Shape[0]], x.DType, x.Device);
        return GradientsThroughLayer(
            t => Functional.Conv2d(t[0], t[1], t[2], module.Stride, module.Padding, module.Dilation, module.Groups),
            g, [x, weight, zeroBias], [input, weights, bias]);
    }

    /// <summary><see cref="MaxPool2dGradient"/> on a device: <paramref name="g"/> added at the plane positions of <see cref="DeviceWindows.MaxPool2dWithPositions"/> (the gather rule).</summary>
    private static Tensor DeviceMaxPool2dGradient(Tensor g, Tensor positions, Tensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], plane = x.Shape[2] * x.Shape[3];
        // One more position per plane: where a window whose taps are all −∞ took the padding (it adds nothing to x).
        var gradient = EagerVjps.Gathered([n, c, plane + 1], 2, positions.Reshape(n, c, -1), g.Reshape(n, c, -1));
        return gradient.Narrow(2, 0, plane).Reshape([.. x.Shape]);
    }

    /// <summary><see cref="BatchNormStatistics"/> on a device: [3, C] Float64 on the device (mean, 1/√(var + eps), the batch flag), the running statistics updated as eager does.</summary>
    private static Tensor DeviceBatchNormStatistics(Tensor x, BatchNormBase module, (bool UseBatch, Tensor? RunningMean, Tensor? RunningVar, double Momentum) call)
    {
        using (Autograd.Pause())
        {
            var (mean, variance) = Functional.BatchNormMoments(Planes(x), call.RunningMean, call.RunningVar, call.UseBatch, call.Momentum);
            int c = x.Shape[1];
            var invstd = 1.0 / (variance + module.Eps).Sqrt();
            var batch = Tensor.Full([1, c], call.UseBatch ? 1.0 : 0.0, DType.Float64, x.Device);
            return Tensor.Cat([mean.Reshape(1, c).To(DType.Float64), invstd.Reshape(1, c).To(DType.Float64), batch], 0);
        }
    }

    /// <summary><see cref="BatchNorm"/> on a device: (x − mean)·invstd·weight + bias with the statistics' first two rows.</summary>
    private static Tensor DeviceBatchNorm(Tensor x, Tensor statistics, Tensor? weight, Tensor? bias)
    {
        var (mean, invstd) = DeviceStatistics(statistics, x);
        using (Autograd.Pause())
        {
            return Functional.BatchNormAffine((Planes(x) - mean) * invstd, weight, bias).Reshape([.. x.Shape]);
        }
    }

    /// <summary>
    /// <see cref="BatchNormGradients"/> on a device, through the normalisation recomputed on leaves: with the batch's
    /// statistics as functions of the input where the forward used them (the statistics hold 1/√(var + eps), so eps is
    /// 1/invstd² less the recomputed variance, a constant), else with the running ones as constants.
    /// </summary>
    private static Tensor?[] DeviceBatchNormGradients(Tensor g, Tensor x, Tensor statistics, Tensor? weight, bool input, bool weights, bool bias)
    {
        var (mean, invstd) = DeviceStatistics(statistics, x);
        bool batch = statistics.Select(0, 2).Select(0, 0).Item<double>() != 0;
        Tensor Layer(Tensor[] t)
        {
            var planes = Planes(t[0]);
            if (!batch)
            {
                return Functional.BatchNormAffine((planes - mean) * invstd, t[1], t[2]).Reshape([.. x.Shape]);
            }

            var (m, v) = Functional.BatchNormMoments(planes, null, null, training: true, 0);
            var eps = (1.0 / (invstd * invstd)) - v.Detach();
            return Functional.BatchNormAffine((planes - m) / (v + eps).Sqrt(), t[1], t[2]).Reshape([.. x.Shape]);
        }

        int c = x.Shape[1];
        var scale = weight ?? Tensor.Ones([c], x.DType, x.Device);
        var shift = Tensor.Zeros([c], x.DType, x.Device);
        return GradientsThroughLayer(Layer, g, [x, scale, shift], [input, weights && weight is not null, bias]);
    }

    /// <summary>The statistics' mean and 1/√(var + eps) as [1, C, 1] in <paramref name="x"/>'s dtype.</summary>
    private static (Tensor Mean, Tensor Invstd) DeviceStatistics(Tensor statistics, Tensor x)
    {
        CheckStatistics(statistics);
        int c = statistics.Shape[1];
        return (statistics.Select(0, 0).To(x.DType).Reshape(1, c, 1), statistics.Select(0, 1).To(x.DType).Reshape(1, c, 1));
    }

    /// <summary>[N, C, *] as [N, C, S].</summary>
    private static Tensor Planes(Tensor x) => x.Reshape(x.Shape[0], x.Shape[1], x.numel / Math.Max(x.Shape[0] * x.Shape[1], 1));
}

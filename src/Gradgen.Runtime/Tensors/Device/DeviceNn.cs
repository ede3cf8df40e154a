namespace Gradgen;

/// <summary>
/// What neural-network code needs on an accelerator beyond elementwise operations, reductions and GEMMs: Softmax,
/// LogSoftmax and BCEWithLogitsLoss (composed from device operations, so autograd needs nothing new), Gather with its
/// scatter-add backward (for CrossEntropyLoss's class indices) and SGD's update in place as one kernel, in Float32 and
/// Float64 (Gather in every dtype).
/// </summary>
internal static class DeviceNn
{
    /// <summary>
    /// Softmax or LogSoftmax along <paramref name="dim"/>: x − max (the max detached: it cancels in the result and
    /// its gradient), then e^z / Σe^z or z − log Σe^z, all device operations recorded by autograd.
    /// </summary>
    public static Tensor Softmax(Tensor input, int dim, bool log)
    {
        Tensor max;
        using (Autograd.Pause())
        {
            max = input.Max(dim, keepDim: true);
        }

        var z = input - max;
        if (log)
        {
            return z - z.Exp().Sum(dim, keepDim: true).Log();
        }

        var e = z.Exp();
        return e / e.Sum(dim, keepDim: true);
    }

    /// <summary>
    /// BCEWithLogitsLoss's elementwise losses (1 − y)·x + max(−x, 0) + log(1 + e^−|x|) (PyTorch's arrangement, so
    /// that non-finite logits give its results) from device operations. The maximum with zero is
    /// <see cref="Tensor.Maximum(Tensor)"/>, whose tie rule halves the gradient at x = 0, so that the composed gradient
    /// there is 1 − y − ½ = σ(0) − y, as the CPU's fused kernel gives (|x|′ = 0 there).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor x, Tensor y)
    {
        var dtype = x.DType == DType.Float64 || y.DType == DType.Float64 ? DType.Float64 : DType.Float32;
        x = x.DType == dtype ? x : x.To(dtype);
        y = y.DType == dtype ? y : y.To(dtype);
        var zero = Tensor.FullOn(x.Device, dtype, [], 0);
        return ((1 - y) * x) + (-x).Maximum(zero) + (1 + (-x.Abs()).Exp()).Log();
    }

    /// <summary>
    /// Gather along <paramref name="dim"/> on the device, any dtype; <paramref name="index"/> is the validated Int64
    /// index (on the CPU), no larger than the input in the other dimensions. The kernel reads a contiguous
    /// [outer, length, inner] block of the index's extent there, so a smaller index narrows the input first, and a
    /// zero-dimensional input is gathered as one element.
    /// </summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        if (x.Ndim == 0)
        {
            return Gather(x.Reshape(1), 0, index.Reshape(index.numel)).Reshape(index.shape);
        }

        var narrowed = Narrowed(x.Detach(), dim, index.shape);
        var source = DeviceData.Buffer(narrowed, x.DType);
        var deviceIndex = index.Detach().To(x.Device);
        var indexBuffer = DeviceData.Buffer(ref deviceIndex);
        var (outer, length, inner) = Nn.Functional.Split(narrowed.shape, dim);
        var r = Tensor.EmptyOn(x.Device, x.DType, index.shape);
        if (r.numel > 0)
        {
            DeviceData.Backend(x).Gather(x.DType, source, indexBuffer, DeviceData.Storage(r), outer, length, index.shape[dim], inner, scatterAdd: false);
        }

        return r;
    }

    /// <summary>Gather's backward on the device: the gradient added at the gathered positions of a zero tensor of the input's shape.</summary>
    public static Tensor ScatterAddGrad(Tensor g, int[] inputShape, int dim, Tensor index)
    {
        if (inputShape.Length == 0)
        {
            return DeviceReductions.SumAll(g.Detach());
        }

        var full = Tensor.FullOn(g.Device, g.DType, inputShape, 0);
        var narrowed = Narrowed(full, dim, index.shape);
        var z = DeviceData.IsWhole(narrowed) ? narrowed : Tensor.FullOn(g.Device, g.DType, narrowed.shape, 0);
        var deviceIndex = index.Detach().To(g.Device);
        var indexBuffer = DeviceData.Buffer(ref deviceIndex);
        var (outer, length, inner) = Nn.Functional.Split(z.shape, dim);
        if (g.numel > 0)
        {
            DeviceData.Backend(z).Gather(g.DType, DeviceData.Storage(z), indexBuffer, DeviceData.Buffer(g, g.DType), outer, length, index.shape[dim], inner, scatterAdd: true);
        }

        if (!ReferenceEquals(z, narrowed))
        {
            DeviceData.CopyInto(z, narrowed); // into the input-shaped zeros, where the narrowed input lies
        }

        return full;
    }

    /// <summary>The leading part of <paramref name="x"/> that an index of <paramref name="indexShape"/> covers in every dimension but <paramref name="dim"/> (a view).</summary>
    static Tensor Narrowed(Tensor x, int dim, int[] indexShape)
    {
        for (int d = 0; d < x.Ndim; d++)
        {
            if (d != dim && indexShape[d] < x.shape[d])
            {
                x = x.Narrow(d, 0, indexShape[d]);
            }
        }

        return x;
    }
}

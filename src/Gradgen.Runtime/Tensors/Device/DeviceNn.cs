namespace Gradgen;

/// <summary>
/// What neural-network code needs on an accelerator beyond elementwise operations, reductions and GEMMs: Softmax and
/// LogSoftmax (composed from device operations, so autograd needs nothing new), Gather with its scatter-add backward
/// (for CrossEntropyLoss's class indices) and SGD's update in place as one kernel.
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
        using (Autograd.NoGrad())
        {
            max = input.Max(dim, keepDim: true).Values;
        }

        var z = input - max;
        if (log)
        {
            return z - z.Exp().Sum(dim, keepDim: true).Log();
        }

        var e = z.Exp();
        return e / e.Sum(dim, keepDim: true);
    }

    /// <summary>Gather along <paramref name="dim"/> on the device; <paramref name="index"/> is the validated Int64 index (on the CPU).</summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        CheckGather(x, dim, index);
        var source = x.Detach();
        var sourceBuffer = DeviceData.Float32Buffer(source, "Gather");
        var deviceIndex = index.Detach().To(x.Device);
        var indexBuffer = DeviceData.Buffer(ref deviceIndex, "Gather");
        var (outer, length, inner) = Nn.Functional.Split(x.shape, dim);
        var r = Tensor.EmptyOn(x.Device, DType.Float32, index.shape);
        if (r.numel > 0)
        {
            DeviceData.Backend(x).Gather(sourceBuffer, indexBuffer, ((DeviceStorage)r.storage).Buffer, outer, length, index.shape[dim], inner, scatterAdd: false);
        }

        return r;
    }

    /// <summary>Gather's backward on the device: the gradient added at the gathered positions of a zero tensor.</summary>
    public static Tensor ScatterAddGrad(Tensor g, int[] inputShape, int dim, Tensor index)
    {
        var z = Tensor.FullOn(g.Device, DType.Float32, inputShape, 0);
        var deviceIndex = index.Detach().To(g.Device);
        var indexBuffer = DeviceData.Buffer(ref deviceIndex, "GatherBackward");
        var (outer, length, inner) = Nn.Functional.Split(inputShape, dim);
        if (g.numel > 0)
        {
            DeviceData.Backend(z).Gather(((DeviceStorage)z.storage).Buffer, indexBuffer, DeviceData.Float32Buffer(g, "GatherBackward"), outer, length, index.shape[dim], inner, scatterAdd: true);
        }

        return z;
    }

    static void CheckGather(Tensor x, int dim, Tensor index)
    {
        if (x.DType != DType.Float32 || x.Ndim == 0)
        {
            throw new NotSupportedException($"Gather on {x.Device} takes Float32 tensors of at least one dimension, got {x.DType} of shape {x.ShapeString}.");
        }

        for (int i = 0; i < x.Ndim; i++)
        {
            if (i != dim && index.shape[i] != x.shape[i])
            {
                throw new NotSupportedException(
                    $"Gather on {x.Device}: the index of shape {index.ShapeString} must match the input's shape {x.ShapeString} except in dimension {dim}; narrow the input first.");
            }
        }
    }

    /// <summary>
    /// One plain SGD update in place, as one kernel: p ← p − lr·(g + weightDecay·p). The parameter must own its whole
    /// buffer (parameters moved with Module.To do).
    /// </summary>
    public static void SgdStep(Tensor p, Tensor g, double lr, double weightDecay)
    {
        var buffer = ParameterBuffer(p);
        DeviceData.Backend(p).Map(DeviceMapOp.SgdStep, [buffer, DeviceData.Float32Buffer(g.Detach(), "Sgd.Step")], buffer, p.numel, (float)lr, (float)weightDecay);
        p.storage.Version++;
    }

    /// <summary>p ← p + alpha·d in place (the last step of SGD with momentum).</summary>
    public static void Axpy(Tensor p, Tensor d, double alpha)
    {
        var buffer = ParameterBuffer(p);
        DeviceData.Backend(p).Map(DeviceMapOp.Axpy, [buffer, DeviceData.Float32Buffer(d.Detach(), "Sgd.Step")], buffer, p.numel, (float)alpha, 0);
        p.storage.Version++;
    }

    static IDeviceBuffer ParameterBuffer(Tensor p)
    {
        if (p.DType != DType.Float32 || !DeviceData.IsWhole(p))
        {
            throw new NotSupportedException($"Sgd.Step on {p.Device}: a parameter must be a whole Float32 tensor (as Module.To makes them), got {p.DType} of shape {p.ShapeString}.");
        }

        return ((DeviceStorage)p.storage).Buffer;
    }
}

namespace Gradgen;

/// <summary>
/// Reductions on an accelerator, over one dimension at a time of a contiguous copy seen as [outer, length, inner]:
/// the sums behind Sum, Mean and broadcast gradients, and Max/Min/ArgMax with their indices, in the CPU's dtypes
/// (floats keep theirs, integers and Bool sum to Int64, Max/Min of Bool run as Int32 and come back as Bool). None
/// records history; <c>Tensor.Sum</c> and friends record their nodes as on the CPU.
/// </summary>
internal static class DeviceReductions
{
    /// <summary>The sum of all elements as a zero-dimensional tensor on the device, recorded as <c>SumBackward</c>.</summary>
    public static Tensor SumAll(Tensor x)
    {
        var dtype = Reductions.SumDType(x.DType);
        var source = Whole(x, dtype);
        Tensor result;
        if (source.numel == 0)
        {
            result = Tensor.FullOn(x.Device, dtype, [], 0);
        }
        else
        {
            result = Tensor.EmptyOn(x.Device, dtype, []);
            DeviceData.Backend(x).Sum(dtype, DeviceData.Storage(source), DeviceData.Storage(result));
        }

        var inShape = x.shape;
        if (Autograd.Recording(x))
        {
            // The rule table's Sum backward (the gradient broadcast back, a view), then made dense on the device.
            result.WithHistory(new LambdaBackward("SumBackward", x, g => DeviceData.Copy(EagerVjps.Along(EagerVjps.SumBackward, inShape, -1, null, null, g), g.DType)));
        }

        return result;
    }

    /// <summary><c>Reductions.SumToKeptShape</c> on the device: sums every dimension where <paramref name="kept"/> has 1 and x does not.</summary>
    public static Tensor SumToKeptShape(Tensor x, int[] kept)
    {
        var current = Whole(x, Reductions.SumDType(x.DType));
        for (int d = 0; d < kept.Length; d++)
        {
            if (kept[d] == 1 && current.shape[d] != 1)
            {
                current = ReduceAlong(current, d, DeviceReduceOp.Sum, null);
            }
        }

        return current;
    }

    /// <summary><c>Reductions.MaxAlong</c> on the device: the extreme values and their first indices (Int64), both of the kept shape.</summary>
    public static (Tensor Values, Tensor Indices) MaxAlong(Tensor x, int dim, bool min)
    {
        var source = Whole(x, x.DType == DType.Bool ? DType.Int32 : x.DType);
        var kept = Reductions.KeptShape(x.shape, dim);
        var indices = Tensor.EmptyOn(x.Device, DType.Int64, kept);
        var values = ReduceAlong(source, dim, min ? DeviceReduceOp.Min : DeviceReduceOp.Max, indices);
        return (x.DType == DType.Bool ? DeviceData.Copy(values, DType.Bool) : values, indices);
    }

    /// <summary><c>Reductions.ScatterAddAlong</c> on the device: z[…, indices[…], …] += g along <paramref name="dim"/>.</summary>
    public static void ScatterAddAlong(Tensor z, int dim, Tensor indices, Tensor g)
    {
        if (!DeviceData.IsWhole(z) || !z.DType.IsFloating())
        {
            throw new NotSupportedException($"ScatterAdd on {z.Device}: the target must be a whole Float32 or Float64 tensor, got {z.DType}.");
        }

        var (outer, length, inner) = Nn.Functional.Split(z.shape, dim);
        var index = DeviceData.Buffer(ref indices);
        DeviceData.Backend(z).Gather(z.DType, DeviceData.Storage(z), index, DeviceData.Buffer(g, z.DType), outer, length, 1, inner, scatterAdd: true);
    }

    static Tensor ReduceAlong(Tensor source, int dim, DeviceReduceOp op, Tensor? indices)
    {
        var (outer, length, inner) = Nn.Functional.Split(source.shape, dim);
        var kept = Reductions.KeptShape(source.shape, dim);
        var values = Tensor.EmptyOn(source.Device, source.DType, kept);
        if (values.numel == 0)
        {
            return values;
        }

        if (length == 0)
        {
            DeviceData.Fill(values, 0);
            return values;
        }

        var indexBuffer = indices is null ? null : DeviceData.Storage(indices);
        DeviceData.Backend(source).Reduce(op, source.DType, DeviceData.Storage(source), outer, length, inner, DeviceData.Storage(values), indexBuffer);
        return values;
    }

    /// <summary>The tensor in <paramref name="dtype"/>, whole, without history (a copy where it is not so already).</summary>
    static Tensor Whole(Tensor x, DType dtype)
    {
        var t = x.Detach();
        return DeviceData.IsWhole(t) && t.DType == dtype ? t : DeviceData.Copy(t, dtype);
    }
}

namespace Gradgen;

/// <summary>
/// Reductions on an accelerator, over one dimension at a time of a contiguous Float32 copy seen as
/// [outer, length, inner]: the sums behind Sum, Mean and broadcast gradients, and Max/Min/ArgMax with their indices.
/// None records history; <c>Tensor.Sum</c> and friends record their nodes as on the CPU.
/// </summary>
internal static class DeviceReductions
{
    /// <summary>The sum of all elements as a zero-dimensional tensor on the device, recorded as <c>SumBackward</c>.</summary>
    public static Tensor SumAll(Tensor x)
    {
        var source = Float32(x, "Sum");
        var result = Tensor.EmptyOn(x.Device, DType.Float32, []);
        if (source.numel == 0)
        {
            DeviceData.Fill(result, 0);
        }
        else
        {
            DeviceData.Backend(x).Sum(((DeviceStorage)source.storage).Buffer, ((DeviceStorage)result.storage).Buffer);
        }

        var inShape = x.shape;
        if (Autograd.Recording(x))
        {
            result.WithHistory(new LambdaBackward("SumBackward", x, g => DeviceData.Copy(g.Expand(inShape), DType.Float32, "SumBackward")));
        }

        return result;
    }

    /// <summary><c>Reductions.SumToKeptShape</c> on the device: sums every dimension where <paramref name="kept"/> has 1 and x does not.</summary>
    public static Tensor SumToKeptShape(Tensor x, int[] kept)
    {
        var current = Float32(x, "Sum");
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
        var source = Float32(x, min ? "Min" : "Max");
        var kept = Reductions.KeptShape(x.shape, dim);
        var indices = Tensor.EmptyOn(x.Device, DType.Int64, kept);
        var values = ReduceAlong(source, dim, min ? DeviceReduceOp.Min : DeviceReduceOp.Max, indices);
        return (values, indices);
    }

    /// <summary><c>Reductions.ScatterAddAlong</c> on the device: z[…, indices[…], …] += g along <paramref name="dim"/>.</summary>
    public static void ScatterAddAlong(Tensor z, int dim, Tensor indices, Tensor g)
    {
        if (!DeviceData.IsWhole(z) || z.DType != DType.Float32)
        {
            throw new NotSupportedException($"ScatterAdd on {z.Device}: the target must be a whole Float32 tensor.");
        }

        var (outer, length, inner) = Nn.Functional.Split(z.shape, dim);
        var index = DeviceData.Buffer(ref indices, "ScatterAdd");
        DeviceData.Backend(z).Gather(((DeviceStorage)z.storage).Buffer, index, DeviceData.Float32Buffer(g, "ScatterAdd"), outer, length, 1, inner, scatterAdd: true);
    }

    static Tensor ReduceAlong(Tensor source, int dim, DeviceReduceOp op, Tensor? indices)
    {
        var (outer, length, inner) = Nn.Functional.Split(source.shape, dim);
        var kept = Reductions.KeptShape(source.shape, dim);
        var values = Tensor.EmptyOn(source.Device, DType.Float32, kept);
        if (values.numel == 0)
        {
            return values;
        }

        if (length == 0)
        {
            DeviceData.Fill(values, 0);
            return values;
        }

        var indexBuffer = indices is null ? null : ((DeviceStorage)indices.storage).Buffer;
        DeviceData.Backend(source).Reduce(op, ((DeviceStorage)source.storage).Buffer, outer, length, inner, ((DeviceStorage)values.storage).Buffer, indexBuffer);
        return values;
    }

    /// <summary>The tensor, or a whole copy of it, without history; Float64, integer and Bool reductions have no device kernel.</summary>
    static Tensor Float32(Tensor x, string op)
    {
        if (x.DType != DType.Float32)
        {
            throw new NotSupportedException(
                $"{op}: on {x.Device} reductions run over Float32 tensors, not {x.DType}; convert with To(DType.Float32) or run on the CPU.");
        }

        var t = x.Detach();
        return DeviceData.IsWhole(t) ? t : DeviceData.Copy(t, DType.Float32, op);
    }
}

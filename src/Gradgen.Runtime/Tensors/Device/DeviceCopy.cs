namespace Gradgen;

/// <summary>
/// Strided copies between device tensors of one shape (any strides, any dtypes): the one path behind Contiguous,
/// To(dtype), broadcasts made real and writes into views. The kernels take at most <see cref="DeviceView.MaxDims"/>
/// dimensions, so the shape is first coalesced (size-1 dimensions dropped, neighbours that both sides step through
/// as one merged); what still has more dimensions runs as one launch per index of the leading ones.
/// </summary>
internal static class DeviceCopy
{
    public static void Run(Tensor source, Tensor destination)
    {
        if (destination.numel == 0)
        {
            return;
        }

        var (shape, from, to) = Coalesce(source.shape, source.strides, destination.strides);
        var backend = DeviceData.Backend(destination);
        IDeviceBuffer sb = DeviceData.Storage(source), db = DeviceData.Storage(destination);
        int lead = Math.Max(0, shape.Length - DeviceView.MaxDims);
        int[] inner = shape[lead..], innerFrom = from[lead..], innerTo = to[lead..];
        int launches = 1;
        for (int k = 0; k < lead; k++)
        {
            launches *= shape[k];
        }

        for (int i = 0; i < launches; i++)
        {
            // The offsets of leading index i (row-major over shape[..lead]) on both sides.
            int rest = i, s = source.offset, d = destination.offset;
            for (int k = lead - 1; k >= 0; k--)
            {
                int j = rest % shape[k];
                rest /= shape[k];
                s += j * from[k];
                d += j * to[k];
            }

            backend.Copy(new DeviceView(sb, source.DType, inner, innerFrom, s), new DeviceView(db, destination.DType, inner, innerTo, d));
        }
    }

    /// <summary>
    /// The fewest dimensions that walk the same elements in the same order on both sides: size-1 dimensions dropped,
    /// and dimension k merged into k + 1 where both strides of k are those of k + 1 times its size. At least one.
    /// </summary>
    internal static (int[] Shape, int[] From, int[] To) Coalesce(int[] shape, int[] from, int[] to)
    {
        var n = new List<int>(shape.Length);
        var s = new List<int>(shape.Length);
        var t = new List<int>(shape.Length);
        for (int k = 0; k < shape.Length; k++)
        {
            if (shape[k] == 1)
            {
                continue;
            }

            int last = n.Count - 1;
            if (last >= 0 && s[last] == from[k] * shape[k] && t[last] == to[k] * shape[k])
            {
                n[last] *= shape[k];
                s[last] = from[k];
                t[last] = to[k];
                continue;
            }

            n.Add(shape[k]);
            s.Add(from[k]);
            t.Add(to[k]);
        }

        return n.Count == 0 ? ([1], [0], [0]) : (n.ToArray(), s.ToArray(), t.ToArray());
    }
}

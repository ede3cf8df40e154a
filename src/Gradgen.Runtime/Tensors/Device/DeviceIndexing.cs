namespace Gradgen;

/// <summary>
/// Indexing whose result's size depends on the data, on an accelerator: <c>x[mask]</c>. The mask is read on the host
/// (a synchronisation, as PyTorch's CUDA <c>masked_select</c> makes one to size its result), the selected positions
/// become an Int64 index, and the elements are gathered on the device; the backward is the rule table's gather rule,
/// which scatters the gradient back there.
/// </summary>
internal static class DeviceIndexing
{
    /// <summary><see cref="Tensor.MaskedSelect(Tensor)"/> on the device (its node named <paramref name="node"/>); the caller has checked the mask's dtype and shape.</summary>
    public static Tensor MaskedSelect(Tensor x, Tensor mask, string node)
    {
        _ = Tensor.CommonDevice("MaskedSelect", [x, mask]); // a CPU mask for a device tensor (or the reverse) is an error
        var m = mask.Detach().Expand(x.shape).To(Device.Cpu).ToArray<bool>();
        var positions = new List<long>();
        for (int i = 0; i < m.Length; i++)
        {
            if (m[i])
            {
                positions.Add(i);
            }
        }

        var index = Tensor.FromArray(positions.ToArray());
        var flat = x.Detach().Reshape(x.numel);
        var r = DeviceNn.Gather(flat, 0, index);
        if (Autograd.Recording(x))
        {
            Tensor.RecordMaskedSelect(r, x, index, node);
        }

        return r;
    }
}

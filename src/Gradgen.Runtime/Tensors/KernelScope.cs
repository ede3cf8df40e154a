namespace Gradgen;

/// <summary>
/// The storages of the tensors that the runtime hands to a kernel it calls (the generated kernels behind
/// <see cref="Tensor.ApplyElementwise(string, ReadOnlySpan{Tensor}, ElementwiseForward, ElementwiseBackward)"/>).
/// A span that <see cref="Tensor.AsSpan{T}"/> gives out over one of them inside the call does not expose the storage:
/// a span cannot outlive the call (it is a ref struct), and the runtime keeps those tensors reachable until the call
/// returns, so their pooled arrays cannot go back to the cache while the kernel reads them.
/// </summary>
internal readonly struct KernelScope : IDisposable
{
    [ThreadStatic] static Storage[]? current;
    readonly Storage[]? previous;

    /// <summary>Opens a scope over the storages of <paramref name="tensors"/>; the caller keeps the tensors alive until it is disposed.</summary>
    public KernelScope(ReadOnlySpan<Tensor> tensors)
    {
        var s = new Storage[tensors.Length];
        for (int i = 0; i < s.Length; i++) s[i] = tensors[i].storage;
        previous = current;
        current = s;
    }

    /// <summary>Whether a kernel call on this thread covers <paramref name="storage"/>.</summary>
    public static bool Covers(Storage storage)
    {
        var c = current;
        if (c is null) return false;
        foreach (var s in c)
        {
            if (ReferenceEquals(s, storage)) return true;
        }

        return false;
    }

    /// <summary>Closes the scope.</summary>
    public void Dispose() => current = previous;
}

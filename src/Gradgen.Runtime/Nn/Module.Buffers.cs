namespace Gradgen.Nn;

/// <summary>Buffers: state of a module that is saved and moved with it but not trained (PyTorch's <c>register_buffer</c>).</summary>
public abstract partial class Module
{
    readonly List<KeyValuePair<string, Tensor?>> buffers = [];
    readonly HashSet<string> nonPersistent = [];

    /// <summary>
    /// Registers a buffer under <paramref name="name"/> (PyTorch's <c>register_buffer</c>): a tensor that belongs to
    /// the module's state, such as BatchNorm's running statistics, but is not a parameter. Buffers are listed by
    /// <see cref="NamedBuffers"/>, moved and converted by <see cref="To(Device)"/> and <see cref="To(DType)"/> (the
    /// same objects, updated in place), and, when <paramref name="persistent"/>, saved and loaded by
    /// <see cref="StateDict"/>, <see cref="LoadStateDict"/>, <see cref="Save"/> and <see cref="Load"/>. A
    /// <see langword="null"/> buffer keeps the name but is skipped everywhere, as in PyTorch.
    /// </summary>
    /// <param name="name">A non-empty name without dots, unique among this module's parameters, buffers and children.</param>
    /// <param name="tensor">The buffer: a tensor that is not a <see cref="Parameter"/> and has no autograd history, or null.</param>
    /// <param name="persistent">Whether the buffer is part of the state dict.</param>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken, or the tensor is a parameter or was computed by a recorded operation.</exception>
    protected void RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        if (tensor is Parameter)
            throw new ArgumentException($"{GetType().Name}: cannot register the parameter '{name}' as a buffer; use RegisterParameter.", nameof(tensor));
        if (tensor is not null && !tensor.IsLeaf)
            throw new ArgumentException($"{GetType().Name}: the buffer '{name}' was computed by {tensor.GradFn!.Name}; register a tensor without autograd history (call Detach()).", nameof(tensor));
        CheckName(name);
        buffers.Add(new(name, tensor));
        if (!persistent) nonPersistent.Add(name);
    }

    /// <summary>
    /// The buffers of this module and its descendants with their dotted names (<c>bn.running_mean</c>), this module's
    /// own first, then each child's in registration order, depth first; a buffer reached twice is listed once, under
    /// its first name (PyTorch's <c>named_buffers()</c>). Non-persistent buffers are included.
    /// </summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var (name, b) in m.buffers)
            {
                if (b is null || !seen.Add(b)) continue;
                yield return (prefix.Length == 0 ? name : prefix + "." + name, b);
            }
        }
    }

    /// <summary>The buffers of this module and its descendants, each once, in the order of <see cref="NamedBuffers"/> (PyTorch's <c>buffers()</c>).</summary>
    public IEnumerable<Tensor> Buffers()
    {
        foreach (var (_, b) in NamedBuffers()) yield return b;
    }

    /// <summary>Throws if <paramref name="name"/> already names a buffer of this module (part of the name check of every registration).</summary>
    void CheckBufferName(string name)
    {
        foreach (var b in buffers)
            if (b.Key == name) throw new ArgumentException($"{GetType().Name}: a buffer named '{name}' is already registered.", nameof(name));
    }

    /// <summary>Adds this module's persistent buffers, detached, to a state dict under <paramref name="prefix"/>.</summary>
    void AddBufferState(string prefix, Dictionary<string, Tensor> stateDict)
    {
        foreach (var (name, b) in buffers)
            if (b is not null && !nonPersistent.Contains(name)) stateDict[prefix + name] = b.Detach();
    }
}

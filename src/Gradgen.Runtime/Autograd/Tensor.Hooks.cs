namespace Gradgen;

public partial class Tensor
{
    List<Action<Tensor>>? postAccumulateGradHooks;

    /// <summary>
    /// Registers <paramref name="hook"/> to run each time a backward pass has added a gradient into this leaf's
    /// <see cref="Grad"/> (PyTorch's <c>register_post_accumulate_grad_hook</c>). The hook receives this tensor, with
    /// <see cref="Grad"/> already updated, on the thread that runs backward, with gradient recording off. It is how a
    /// parameter's gradient is known to be final for this backward call as soon as it is, before the rest of the
    /// graph has run (data-parallel training starts reducing gradients there). Hooks run in registration order; an
    /// exception from a hook ends the backward call.
    /// </summary>
    /// <param name="hook">Called with this tensor after its gradient was accumulated.</param>
    /// <returns>A handle whose <see cref="RemovableHandle.Remove"/> (or <c>Dispose</c>) unregisters the hook.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf, or does not require grad.</exception>
    public RemovableHandle RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (gradFn is not null)
            throw new InvalidOperationException(
                $"RegisterPostAccumulateGradHook: post accumulate grad hooks cannot be registered on non-leaf tensors; this tensor was computed by {gradFn.Name}.");
        if (!requiresGrad)
            throw new InvalidOperationException("RegisterPostAccumulateGradHook: cannot register a hook on a tensor that doesn't require gradient.");
        var hooks = postAccumulateGradHooks ??= [];
        hooks.Add(hook);
        return new RemovableHandle(() => hooks.Remove(hook));
    }

    /// <summary>Whether any post-accumulate-grad hook is registered (the engine then tracks when this leaf's gradient is final).</summary>
    internal bool HasPostAccumulateGradHooks => postAccumulateGradHooks is { Count: > 0 };

    /// <summary>Runs the post-accumulate-grad hooks (called by the engine once this backward call's last gradient for the leaf was added).</summary>
    internal void RunPostAccumulateGradHooks()
    {
        if (postAccumulateGradHooks is not { Count: > 0 } hooks) return;
        // A copy: a hook may remove itself (or register another) while the list is being walked.
        foreach (var hook in hooks.ToArray()) hook(this);
    }
}

/// <summary>Unregisters a hook when removed or disposed (PyTorch's <c>torch.utils.hooks.RemovableHandle</c>); removing twice does nothing.</summary>
public sealed class RemovableHandle : IDisposable
{
    Action? remove;

    internal RemovableHandle(Action remove) => this.remove = remove;

    /// <summary>Unregisters the hook.</summary>
    public void Remove() => Interlocked.Exchange(ref remove, null)?.Invoke();

    /// <summary>Unregisters the hook (the same as <see cref="Remove"/>).</summary>
    public void Dispose() => Remove();
}

namespace Gradgen;

/// <summary>Global switches of the autograd engine (PyTorch's <c>torch.no_grad</c>, <c>torch.is_grad_enabled</c>).</summary>
/// <remarks>
/// The gradient mode belongs to the logical flow of control, not to a thread: it lives in an <see cref="AsyncLocal{T}"/>,
/// so a <c>using (Autograd.NoGrad())</c> scope that spans an <c>await</c> covers the code after the await on whatever
/// thread it resumes, work started inside the scope (<c>Task.Run</c>, a parallel loop) inherits the mode, and nothing
/// leaks to unrelated work the thread runs after the scope's code has moved on. (A thread-static flag leaked: the
/// scope was entered on one pool thread and disposed on another.)
/// </remarks>
public static class Autograd
{
    // True inside NoGrad; absent (false) by default, so the common case reads an empty execution context.
    static readonly AsyncLocal<bool> disabledFlow = new();

    // The runtime's own synchronous sections (the engine, optimizer steps, ops built from other ops) turn recording
    // off with a thread-static switch instead: they never await, so the thread is the flow of control there, and
    // setting it costs nothing, where setting the AsyncLocal copies the execution context.
    [ThreadStatic] static bool pausedOnThread;

    static bool Disabled => pausedOnThread || disabledFlow.Value;

    /// <summary>Whether operations in the current flow of control (this thread, or this async method across its awaits) record the graph for backward.</summary>
    public static bool IsGradEnabled => !Disabled;

    /// <summary>
    /// Turns gradient recording off until the returned scope is disposed: <c>using (Autograd.NoGrad()) { … }</c>.
    /// Results computed inside do not require grad. The mode flows with the async context: it holds across
    /// <c>await</c>s inside the scope and in tasks started there, and nowhere else.
    /// </summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Turns gradient recording on until the returned scope is disposed (inside a <see cref="NoGrad"/> scope); flows with the async context like <see cref="NoGrad"/>.</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Restores the previous gradient mode when disposed.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        readonly bool previousDisabled;
        readonly bool changed;
        readonly bool unpaused;

        internal GradModeScope(bool enabled)
        {
            previousDisabled = disabledFlow.Value;
            changed = previousDisabled == enabled;
            // Setting an AsyncLocal copies the execution context: skip it when the mode does not change.
            if (changed) disabledFlow.Value = !enabled;
            if (enabled && pausedOnThread)
            {
                // EnableGrad inside one of the runtime's paused sections (code a backward node runs) wins, as in PyTorch.
                unpaused = true;
                pausedOnThread = false;
            }
        }

        /// <summary>Restores the gradient mode that was in force before this scope.</summary>
        public void Dispose()
        {
            if (changed) disabledFlow.Value = previousDisabled;
            if (unpaused) pausedOnThread = true;
        }
    }

    /// <summary>
    /// Turns recording off for a synchronous section of the runtime's own code (no <c>await</c> inside), on this
    /// thread only, without touching the async context; restores the previous state when disposed.
    /// </summary>
    internal static PausedScope Pause() => new(true);

    /// <summary>The scope of <see cref="Pause"/>.</summary>
    internal readonly struct PausedScope : IDisposable
    {
        readonly bool previous;

        internal PausedScope(bool paused)
        {
            previous = pausedOnThread;
            pausedOnThread = paused;
        }

        public void Dispose() => pausedOnThread = previous;
    }

    // The tensors' flags first: an untracked tensor never reads the async context.
    internal static bool Recording(Tensor a) => a.requiresGrad && !Disabled;

    internal static bool Recording(Tensor a, Tensor b) => (a.requiresGrad || b.requiresGrad) && !Disabled;

    internal static bool Recording(ReadOnlySpan<Tensor> ts)
    {
        foreach (var t in ts) if (t.requiresGrad) return !Disabled;
        return false;
    }

    /// <summary>The engine: runs the graph behind <paramref name="root"/> backward in reverse topological order.</summary>
    internal static void RunBackward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        int previousRun = EngineGradients.Begin();
        try
        {
            RunBackwardCore(root, gradient, retainGraph);
        }
        finally
        {
            EngineGradients.End(previousRun);
        }
    }

    static void RunBackwardCore(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.requiresGrad)
            throw new InvalidOperationException(
                "Backward: this tensor does not require grad and has no GradFn. Set RequiresGrad = true on the leaf tensors you want gradients for " +
                "before computing from them (outside Autograd.NoGrad(), and not from a Detach()ed tensor).");
        if (gradient is null)
        {
            if (root.numel != 1)
                throw new InvalidOperationException(
                    $"Backward: grad can be implicitly created only for scalar outputs; this tensor has shape {root.ShapeString}. " +
                    $"Pass a gradient of shape {root.ShapeString}, e.g. y.Backward(Tensor.OnesLike(y)).");
            gradient = Tensor.OnesLike(root);
        }
        else
        {
            if (!gradient.Shape.Equals(root.Shape))
                throw new ArgumentException(
                    $"Backward: the gradient has shape {gradient.ShapeString} but the tensor has shape {root.ShapeString}; pass a gradient of shape {root.ShapeString}.",
                    nameof(gradient));
            if (!gradient.DType.IsFloating())
                throw new ArgumentException($"Backward: the gradient has dtype {gradient.DType}; it must be Float32 or Float64.", nameof(gradient));
            if (gradient.DType != root.DType) gradient = gradient.ToDTypeData(root.DType);
        }

        var rootFn = root.GradientEdge!;
        if (rootFn is AccumulateGrad rootLeaf)
        {
            // Backward of a leaf: its gradient is the given one.
            EngineGradients.Hold(gradient);
            rootLeaf.Apply(gradient, default);
            EngineGradients.Drop(gradient);
            rootLeaf.Variable.RunPostAccumulateGradHooks();
            return;
        }

        var order = new List<GradFn>();
        var stack = new Stack<GradFn>();

        // For each leaf with post-accumulate-grad hooks: how many of this call's edges still lead to it, and whether
        // a gradient came; kept here, not on the shared AccumulateGrad node (concurrent backward calls).
        Dictionary<AccumulateGrad, (int Remaining, bool Received)>? hooked = null;
        using var _ = Pause();
        try
        {
            // Count, for every reachable node, how many consumers will send it a gradient.
            rootFn.visited = true;
            order.Add(rootFn);
            stack.Push(rootFn);
            while (stack.Count > 0)
            {
                var fn = stack.Pop();
                foreach (var n in fn.next)
                {
                    // A leaf's AccumulateGrad is shared by every graph that uses the leaf (a model's parameters under
                    // concurrent backward calls), so the engine keeps no scratch state on it: each gradient goes
                    // straight into the leaf (under its lock) as it is computed.
                    if (n is AccumulateGrad hookedLeaf && hookedLeaf.Variable.HasPostAccumulateGradHooks)
                    {
                        hooked ??= new(ReferenceEqualityComparer.Instance);
                        hooked[hookedLeaf] = (hooked.GetValueOrDefault(hookedLeaf).Remaining + 1, false);
                    }

                    if (n is null || n is AccumulateGrad) continue;
                    n.dependencies++;
                    if (!n.visited)
                    {
                        n.visited = true;
                        order.Add(n);
                        stack.Push(n);
                    }
                }
            }

            rootFn.pendingGrad = gradient;
            EngineGradients.Hold(gradient);
            stack.Push(rootFn);
            Tensor?[] buffer = new Tensor?[4];
            while (stack.Count > 0)
            {
                var fn = stack.Pop();
                var g = fn.pendingGrad;
                fn.pendingGrad = null;
                int k = fn.next.Length;
                if (buffer.Length < k) buffer = new Tensor?[k];
                var inputGrads = buffer.AsSpan(0, k);
                inputGrads.Clear();
                if (g is not null)
                {
                    fn.Apply(g, inputGrads);
                }
                // The engine's references: one per gradient handed on, taken before any is dropped, so that a
                // storage shared by several of them (or by g) is released only when the last one is done.
                for (int i = 0; i < k; i++)
                {
                    if (fn.next[i] is not null && inputGrads[i] is { } gi) EngineGradients.Hold(gi);
                }
                for (int i = 0; i < k; i++)
                {
                    var n = fn.next[i];
                    if (n is null) continue;
                    var gi = inputGrads[i];
                    if (gi is not null)
                    {
                        if (!gi.Shape.Equals(Shape.Wrap(n.outputShape)))
                            throw new InvalidOperationException($"Internal error: {fn.Name} produced a gradient of shape {gi.ShapeString} for an input of shape {Shape.Format(n.outputShape)}.");
                        if (n is AccumulateGrad leaf)
                        {
                            leaf.Apply(gi, default);
                            EngineGradients.Drop(gi);
                        }
                        else
                        {
                            n.pendingGrad = n.pendingGrad is null ? gi : Accumulate(n.pendingGrad, gi);
                        }
                    }
                    if (n is AccumulateGrad accumulated)
                    {
                        if (hooked is not null && hooked.TryGetValue(accumulated, out var state))
                        {
                            // The last edge of this call into the leaf: its gradient is final, the hooks run (a
                            // DistributedDataParallel bucket may start reducing it while the rest of backward runs).
                            state = (state.Remaining - 1, state.Received || gi is not null);
                            hooked[accumulated] = state;
                            if (state.Remaining == 0 && state.Received) accumulated.Variable.RunPostAccumulateGradHooks();
                        }

                        continue;
                    }
                    if (--n.dependencies == 0) stack.Push(n);
                }
                inputGrads.Clear();
                if (g is not null) EngineGradients.Drop(g);
                if (!retainGraph) fn.Release();
            }
        }
        finally
        {
            foreach (var fn in order)
            {
                fn.visited = false;
                fn.dependencies = 0;
                fn.pendingGrad = null;
            }
        }
    }

    /// <summary>
    /// The sum of two gradients for one input, both held by the engine: in place into <paramref name="pending"/> when
    /// it is the engine's own and nothing else uses it (PyTorch's InputBuffer does the same), else a new tensor.
    /// </summary>
    static Tensor Accumulate(Tensor pending, Tensor gi)
    {
        if (EngineGradients.Sole(pending) && pending.storage != gi.storage && pending.DType == gi.DType && pending.IsContiguous)
        {
            pending.AddInPlaceUnchecked(gi);
            EngineGradients.Drop(gi);
            return pending;
        }

        var sum = pending + gi;
        EngineGradients.Hold(sum);
        EngineGradients.Drop(pending);
        EngineGradients.Drop(gi);
        return sum;
    }
}

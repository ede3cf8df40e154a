namespace Gradgen;

/// <summary>Global switches of the autograd engine (PyTorch's <c>torch.no_grad</c>, <c>torch.is_grad_enabled</c>).</summary>
public static class Autograd
{
    [ThreadStatic] static bool disabled;

    /// <summary>Whether operations on this thread record the graph for backward.</summary>
    public static bool IsGradEnabled => !disabled;

    /// <summary>
    /// Turns gradient recording off on this thread until the returned scope is disposed:
    /// <c>using (Autograd.NoGrad()) { … }</c>. Results computed inside do not require grad.
    /// </summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Turns gradient recording on on this thread until the returned scope is disposed (inside a <see cref="NoGrad"/> scope).</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Restores the previous gradient mode when disposed.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        readonly bool previousDisabled;

        internal GradModeScope(bool enabled)
        {
            previousDisabled = disabled;
            disabled = !enabled;
        }

        /// <summary>Restores the gradient mode that was in force before this scope.</summary>
        public void Dispose() => disabled = previousDisabled;
    }

    internal static bool Recording(Tensor a) => !disabled && a.requiresGrad;

    internal static bool Recording(Tensor a, Tensor b) => !disabled && (a.requiresGrad || b.requiresGrad);

    internal static bool Recording(ReadOnlySpan<Tensor> ts)
    {
        if (disabled) return false;
        foreach (var t in ts) if (t.requiresGrad) return true;
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
        var order = new List<GradFn>();
        var stack = new Stack<GradFn>();
        using var _ = NoGrad();
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
                    if (n is null) continue;
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
                        n.pendingGrad = n.pendingGrad is null ? gi : Accumulate(n.pendingGrad, gi);
                    }
                    if (--n.dependencies == 0) stack.Push(n);
                }
                inputGrads.Clear();
                if (g is not null) EngineGradients.Drop(g);
                if (!retainGraph && fn is not AccumulateGrad) fn.Release();
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

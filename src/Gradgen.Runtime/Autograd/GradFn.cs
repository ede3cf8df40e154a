namespace Gradgen;

/// <summary>
/// A node of the autograd graph (PyTorch's <c>grad_fn</c>): the backward of the operation that produced a tensor.
/// <see cref="Name"/> is PyTorch's class name without its overload number (<c>SinBackward</c>, <c>MulBackward</c>),
/// and <see cref="NextFunctions"/> leads to the nodes of the operation's inputs.
/// </summary>
public abstract class GradFn
{
    internal GradFn?[] next = [];
    internal int[] outputShape = [];
    internal DType outputDType;

    // Scratch state of one Backward call (the engine resets it).
    internal Tensor? pendingGrad;
    internal int dependencies;
    internal bool visited;

    internal bool released;

    private protected GradFn()
    {
    }

    /// <summary>The node's name as PyTorch prints it, without the overload number: <c>SinBackward</c>, <c>AccumulateGrad</c>, …</summary>
    public abstract string Name { get; }

    /// <summary>
    /// For each input of the operation, the node that receives its gradient: the input's own <see cref="Tensor.GradFn"/>,
    /// an <see cref="AccumulateGrad"/> for a leaf that requires grad, or <see langword="null"/> where the input needs no gradient.
    /// </summary>
    public IReadOnlyList<GradFn?> NextFunctions => next;

    /// <summary><c>&lt;SinBackward&gt;</c></summary>
    public override string ToString() => $"<{Name}>";

    /// <summary>Connects the node to its inputs: sets <see cref="NextFunctions"/>.</summary>
    internal void SetInputs(ReadOnlySpan<Tensor> inputs)
    {
        var n = new GradFn?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) n[i] = inputs[i].GradientEdge;
        next = n;
    }

    internal void SetInputs(Tensor input) => next = [input.GradientEdge];

    /// <summary>Whether input <paramref name="i"/> needs a gradient.</summary>
    internal bool Needs(int i) => next[i] is not null;

    /// <summary>Computes the gradients of the inputs from the gradient of the output (runs with gradient recording off).</summary>
    /// <param name="grad">The gradient of the output, of the output's shape.</param>
    /// <param name="inputGrads">One slot per input; set those that <see cref="Needs"/> says are needed.</param>
    internal abstract void Apply(Tensor grad, Span<Tensor?> inputGrads);

    /// <summary>
    /// Offers the node its output's gradient in closed form (<see cref="Nn.ClosedFormGradient"/>) instead of as a
    /// tensor; a node that can compute it inside its own backward pass returns true, and then receives
    /// <see cref="Nn.ClosedFormGradient.Placeholder"/> as its output's gradient.
    /// </summary>
    internal virtual bool AcceptClosedFormGradient(Nn.ClosedFormGradient gradient) => false;

    /// <summary>
    /// Whether the node running now is the only one that still sends <paramref name="node"/> a gradient in this
    /// backward call, and nothing has been sent yet: its gradient will be exactly what this node hands on.
    /// </summary>
    internal static bool SoleConsumer(GradFn node) => node.dependencies == 1 && node.pendingGrad is null;

    /// <summary>Drops saved tensors after a backward without <c>retainGraph</c>.</summary>
    internal virtual void ReleaseSaved()
    {
    }

    internal void Release()
    {
        released = true;
        ReleaseSaved();
    }

    internal SavedTensor Save(Tensor t) => new(t);

    /// <summary>
    /// Saves the versions of the inputs at <paramref name="slots"/>: those whose values a fused node's backward reads
    /// (PyTorch's saved tensors), to be checked by <see cref="CheckSaved"/> before it runs.
    /// </summary>
    internal SavedTensor[] SaveInputs(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<int> slots)
    {
        var saved = new SavedTensor[slots.Length];
        for (int i = 0; i < slots.Length; i++) saved[i] = Save(inputs[slots[i]]);
        return saved;
    }

    /// <summary>Throws PyTorch's "modified by an in-place operation" error if any of <paramref name="saved"/> changed since it was saved.</summary>
    internal void CheckSaved(SavedTensor[] saved)
    {
        foreach (var s in saved) s.Get(this);
    }

    internal InvalidOperationException FreedError() => new(
        $"Trying to backward through the graph a second time: the graph was freed after the first Backward ({Name} no longer has its saved tensors); " +
        "pass retainGraph: true to Backward the first time if you need to backward through it again.");
}

/// <summary>
/// The node that adds incoming gradients into the <see cref="Tensor.Grad"/> of a leaf tensor that requires grad
/// (PyTorch's <c>AccumulateGrad</c>).
/// </summary>
public sealed class AccumulateGrad : GradFn
{
    private readonly Lock gate = new();

    internal AccumulateGrad(Tensor variable) => Variable = variable;

    /// <summary>The leaf tensor whose gradient this node accumulates.</summary>
    public Tensor Variable { get; }

    /// <inheritdoc/>
    public override string Name => "AccumulateGrad";

    /// <summary>
    /// Adds <paramref name="grad"/> into the leaf's gradient; concurrent backward calls that reach this leaf take
    /// turns. The leaf's post-accumulate-grad hooks run once per backward call, when the engine has added the last
    /// gradient that call sends this leaf (<see cref="Autograd"/>'s engine counts them), as in PyTorch.
    /// </summary>
    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        // Uncontended, the lock costs a few nanoseconds per leaf and step; contended (Hogwild-style training, losses
        // run backward on several threads), it makes each addition whole, so no gradient is lost.
        lock (gate)
        {
            AddToLeaf(grad);
        }
    }

    void AddToLeaf(Tensor grad)
    {
        var v = Variable;
        var existing = v.grad;
        if (v.Device.Type != DeviceType.Cpu)
        {
            // On an accelerator: gradients are fresh tensors of the backward, so the first is kept as it is and
            // later ones are added out of place on the device.
            var g = grad.Device == v.Device ? grad.Detach() : grad.To(v.Device).Detach();
            v.grad = existing is null ? g : existing.Detach() + g;
            return;
        }

        if (existing is null && grad.DType == v.DType && grad.IsContiguous && !grad.requiresGrad && EngineGradients.Sole(grad))
        {
            // PyTorch's steal: the gradient is the engine's own temporary and nothing else uses it, so it becomes
            // x.Grad as it is instead of being copied. Untagged, the engine no longer releases it.
            EngineGradients.Disown(grad);
            v.grad = grad;
            grad.gradUnshared = true;
        }
        else if (existing is null || existing.requiresGrad || !existing.Shape.Equals(v.Shape))
        {
            var g = grad.DType == v.DType ? grad.CloneData() : grad.ToDTypeData(v.DType);
            v.grad = existing is null ? g : existing.Detach() + g;
            EngineGradients.Disown(v.grad);
            v.grad.gradUnshared = !ReferenceEquals(v.grad, grad) && v.grad.IsContiguous;
        }
        else
        {
            existing.AddInPlaceUnchecked(grad);
        }
    }
}

/// <summary>A tensor saved for backward with the version of its storage at that time (PyTorch's <c>SavedVariable</c>).</summary>
internal struct SavedTensor
{
    Tensor? tensor;
    readonly int version;

    public SavedTensor(Tensor t)
    {
        tensor = t;
        version = t.storage.Version;
    }

    public readonly Tensor Get(GradFn owner)
    {
        if (tensor is null) throw owner.FreedError();
        if (tensor.storage.Version != version)
            throw new InvalidOperationException(
                $"One of the tensors needed for gradient computation has been modified by an in-place operation: {owner.Name} saved a {tensor.DType} tensor of shape {tensor.ShapeString} at version {version}, " +
                $"and it is now at version {tensor.storage.Version}. Use an out-of-place operation instead (y = y + z rather than y.AddInPlace(z)), or modify a Clone().");
        return tensor;
    }

    /// <summary>Whether <paramref name="t"/> is the saved tensor itself (not a copy made from it).</summary>
    public readonly bool Holds(Tensor t) => ReferenceEquals(tensor, t);

    public void Release() => tensor = null;
}

namespace Gradgen;

public partial class Tensor
{
    internal bool requiresGrad;
    internal GradFn? gradFn;
    internal Tensor? grad;

    /// <summary>
    /// Set on a leaf's gradient that the engine made (stolen or freshly summed in <see cref="AccumulateGrad"/>) and
    /// that no code outside the runtime has been handed yet: no other tensor shares its storage, so when the leaf
    /// drops it (<see cref="ClearGrad"/>) its memory can go straight back to the storage cache, as PyTorch's caching
    /// allocator takes back a gradient that <c>zero_grad(set_to_none=True)</c> dropped. <see cref="Grad"/>'s getter clears it.
    /// </summary>
    internal bool gradUnshared;
    AccumulateGrad? accumulator;

    /// <summary>
    /// Whether autograd records operations on this tensor (PyTorch's <c>requires_grad</c>). Settable on leaves only,
    /// and only for floating-point dtypes; results of recorded operations require grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (value == requiresGrad) return;
            if (gradFn is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad can only be changed on leaf tensors; this tensor was computed by {gradFn.Name}. " +
                    "To use a computed tensor without differentiating through it, use its Detach().");
            if (value && !DType.IsFloating())
                throw new InvalidOperationException($"Only tensors of floating-point dtype can require gradients; this tensor has dtype {DType}.");
            requiresGrad = value;
        }
    }

    /// <summary>
    /// The gradient accumulated into this leaf by <see cref="Backward"/> (PyTorch's <c>grad</c>); <see langword="null"/>
    /// until the first backward. Assign <see langword="null"/> to clear it; an assigned tensor must have this tensor's shape.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            // The caller may keep the gradient after the leaf drops it: its memory must then stay its own.
            if (grad is not null) grad.gradUnshared = false;
            return grad;
        }
        set
        {
            if (value is not null && !value.Shape.Equals(Shape))
                throw new ArgumentException($"Grad: the assigned gradient has shape {value.ShapeString} but the tensor has shape {ShapeString}.", nameof(value));
            if (value is not null && value.DType != DType)
                throw new ArgumentException($"Grad: the assigned gradient has dtype {value.DType} but the tensor has dtype {DType}.", nameof(value));
            grad = value;
        }
    }

    /// <summary>
    /// Drops the gradient (PyTorch's <c>zero_grad(set_to_none=True)</c> for one tensor); a gradient nothing outside the
    /// runtime has seen (<see cref="gradUnshared"/>) gives its memory back to the storage cache at once, so the next
    /// backward's gradient of the same size reuses it instead of waiting for a garbage collection.
    /// </summary>
    internal void ClearGrad()
    {
        var g = grad;
        grad = null;
        if (g is { gradUnshared: true })
        {
            g.gradUnshared = false;
            g.storage.Release();
        }
    }

    /// <summary>The backward node of the operation that produced this tensor (PyTorch's <c>grad_fn</c>); <see langword="null"/> for leaves.</summary>
    public GradFn? GradFn => gradFn;

    /// <summary>Whether the tensor was created by the user rather than by a recorded operation (PyTorch's <c>is_leaf</c>).</summary>
    public bool IsLeaf => gradFn is null;

    /// <summary>The node that receives this tensor's gradient: its <see cref="GradFn"/>, its <see cref="AccumulateGrad"/> if it is a leaf requiring grad, else null.</summary>
    internal GradFn? GradientEdge
    {
        get
        {
            if (!requiresGrad) return null;
            if (gradFn is not null) return gradFn;
            return accumulator ?? CreateAccumulator();
        }
    }

    /// <summary>
    /// The leaf's one <see cref="AccumulateGrad"/>: graphs built on several threads at once must all reach the same
    /// node, whose lock serialises their additions into <see cref="Grad"/>.
    /// </summary>
    AccumulateGrad CreateAccumulator()
    {
        var created = new AccumulateGrad(this) { outputShape = shape, outputDType = DType };
        return Interlocked.CompareExchange(ref accumulator, created, null) ?? created;
    }

    /// <summary>Makes this (fresh) result the output of <paramref name="node"/>.</summary>
    internal Tensor WithHistory(GradFn node)
    {
        node.outputShape = shape;
        node.outputDType = DType;
        gradFn = node;
        requiresGrad = true;
        return this;
    }

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph's leaves and adds it into their <see cref="Grad"/>
    /// (PyTorch's <c>backward</c>). Nodes run in reverse topological order.
    /// </summary>
    /// <param name="gradient">
    /// The gradient of some scalar with respect to this tensor, of this tensor's shape (for <c>y.Backward(Tensor.OnesLike(y))</c>
    /// the leaves receive the sum of the rows of the Jacobian); may be omitted only when this tensor has one element.
    /// </param>
    /// <param name="retainGraph">Keep the saved tensors so that the graph can be run backward again.</param>
    /// <exception cref="InvalidOperationException">
    /// The tensor does not require grad; it has several elements and no gradient was given; the graph was already freed
    /// by an earlier backward; or a tensor saved for backward was modified in place since.
    /// </exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from this tensor's.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Autograd.RunBackward(this, gradient, retainGraph);

    /// <summary>
    /// A tensor that shares this tensor's data (and its version counter) but is cut from the graph: it is a leaf and
    /// does not require grad (PyTorch's <c>detach()</c>).
    /// </summary>
    public Tensor Detach() => new(storage, shape, strides, offset);
}

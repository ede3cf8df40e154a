namespace Gradgen.Nn;

/// <summary>
/// A tensor that is a learnable parameter of a <see cref="Module"/> (PyTorch's <c>torch.nn.Parameter</c>): it shares
/// the elements of the tensor it was made from, is a leaf, requires grad by default, and is found by
/// <see cref="Module.Parameters"/> once a module registers it. Prints as PyTorch prints it:
/// <c>Parameter containing:\ntensor([...], requires_grad=True)</c>.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>A parameter over the elements of <paramref name="data"/> (shared, not copied), without its autograd history.</summary>
    /// <param name="data">The initial values; a floating-point tensor when <paramref name="requiresGrad"/>.</param>
    /// <param name="requiresGrad">Whether autograd computes the parameter's gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <exception cref="InvalidOperationException"><paramref name="requiresGrad"/> is true and <paramref name="data"/> is not floating-point.</exception>
    public Parameter(Tensor data, bool requiresGrad = true) : base(data) => RequiresGrad = requiresGrad;

    /// <summary><c>Parameter containing:</c>, a line break, then the tensor as <see cref="Tensor.ToString"/> prints it.</summary>
    public override string ToString() => "Parameter containing:\n" + base.ToString();
}

using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Planning;

/// <summary>
/// One fused elementwise kernel: a straight-line graph holding only live nodes, whose leaves are the function's
/// parameters (and, for a vector-Jacobian product, the incoming gradient) and whose outputs are written per element.
/// Both emitters print it node by node, so C# and CUDA compute the same thing in the same order.
/// </summary>
internal sealed record KernelBody(IrGraph Graph)
{
    public EquatableArray<IrNode> Nodes => Graph.Nodes;

    public EquatableArray<int> Outputs => Graph.Outputs;
}

/// <summary>The three kernels of one differentiable function.</summary>
/// <param name="Forward">Outputs: the value.</param>
/// <param name="ValueAndGradient">Outputs: the value, then ∂F/∂pᵢ for each parameter.</param>
/// <param name="Backward">Outputs: gradOutput·∂F/∂pᵢ for each parameter.</param>
internal sealed record FunctionKernels(KernelBody Forward, KernelBody ValueAndGradient, KernelBody Backward);

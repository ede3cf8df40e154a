namespace Gradgen;

/// <summary>
/// Marks a static method of a <see langword="partial"/> class whose parameters and return are all <see cref="float"/>
/// or all <see cref="double"/>. At compile time the Gradgen source generator differentiates its body and adds to the
/// class <c>FWithGradient</c> (value and every partial derivative), span overloads of <c>F</c> and
/// <c>FWithGradient</c>, the vector-Jacobian product <c>FBackward</c>, and <c>FCudaSource</c> (the same kernels in
/// CUDA C).
/// </summary>
/// <remarks>
/// What the body may contain, and the diagnostics reported where it cannot be differentiated, are listed in
/// <c>docs/differentiable.md</c> and <c>docs/diagnostics/</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DifferentiableAttribute : Attribute
{
}

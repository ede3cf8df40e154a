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
    /// <summary>
    /// The name of a static method of the same type that computes this method's vector-Jacobian product, for a method
    /// Gradgen should not differentiate itself (numerically delicate, or calling code it cannot see). The body is then
    /// only run, never differentiated, and every <c>[Differentiable]</c> caller uses the given derivative.
    /// </summary>
    /// <remarks>
    /// For <c>T F(inputs…)</c> the method is <c>static void B(inputs…, T gradOutput, gradients…)</c>, and for
    /// <c>void F(inputs…, outputs…)</c> it is <c>static void B(inputs…, ReadOnlySpan&lt;T&gt; gradOutputs…, gradients…)</c>:
    /// the inputs as <c>F</c> declares them, then one <c>Span&lt;T&gt;</c> per span or array input and one <c>ref T</c>
    /// per <c>float</c>/<c>double</c> input, in order, to which it <em>adds</em> gradOutput·∂F/∂input. A method with
    /// another signature is reported as GG0021 with the expected one. Write it as <c>Backward = nameof(B)</c>.
    /// </remarks>
    public string? Backward { get; set; }
}

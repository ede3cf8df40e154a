using System;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Rules;

/// <summary>
/// The vector-Jacobian product of one primitive: given the builder, the operand nodes <paramref name="x"/>, the
/// primitive's own result <paramref name="y"/> (so rules can reuse it, as d exp = g·y does) and the incoming
/// gradient <paramref name="g"/>, returns the gradient contribution for each operand, or −1 where it has none.
/// </summary>
internal delegate int[] VectorJacobianProduct(GraphBuilder b, int[] x, int y, int g);

/// <summary>Everything Gradgen knows about one primitive. See <see cref="PrimitiveRules"/>.</summary>
internal sealed class PrimitiveRule
{
    /// <summary>The <see cref="Arity"/> of a primitive that takes any number of operands (<see cref="Op.OpaqueCall"/>).</summary>
    public const int AnyArity = -1;

    public PrimitiveRule(Op op, int arity) => (Op, Arity) = (op, arity);

    public Op Op { get; }

    /// <summary>The number of operands, or <see cref="AnyArity"/>.</summary>
    public int Arity { get; }

    /// <summary>Operands may be swapped (interning sorts them so a+b and b+a are one node).</summary>
    public bool IsCommutative { get; init; }

    /// <summary>The result is a mask (a comparison or a logical operation), not a number.</summary>
    public bool IsMask { get; init; }

    /// <summary>How the formula in XML docs writes it: an infix symbol (<c>+</c>) or a function name (<c>sin</c>).</summary>
    public string MathName { get; init; } = "";

    /// <summary>Infix operators print between their operands with this precedence (higher binds tighter); 0 = function call.</summary>
    public int InfixPrecedence { get; init; }

    /// <summary>The member of <c>Gradgen.Kernels.ISimd</c> that computes it in generated C#.</summary>
    public string SimdMethod { get; init; } = "";

    /// <summary>Generated C# over <c>TSimd</c>, a format string over the operands; by default a call of <see cref="SimdMethod"/>.</summary>
    public string SimdFormat
    {
        // The default is made on first use and kept: the emitters ask for it at every node of every kernel.
        get => _simdFormat ??= Arity switch
        {
            1 => $"TSimd.{SimdMethod}({{0}})",
            2 => $"TSimd.{SimdMethod}({{0}}, {{1}})",
            _ => $"TSimd.{SimdMethod}({{0}}, {{1}}, {{2}})",
        };
        init => _simdFormat = value;
    }

    private string? _simdFormat;

    /// <summary>CUDA C for float operands, a format string over the operands ({0}, {1}, …).</summary>
    public string CudaFloat { get; init; } = "";

    /// <summary>CUDA C for double operands.</summary>
    public string CudaDouble { get; init; } = "";

    /// <summary>Evaluates the primitive on constants (in double; the builder rounds for float functions).</summary>
    public Func<double[], double>? Fold { get; init; }

    /// <summary>The derivative rule; null for primitives whose gradient is zero everywhere it exists.</summary>
    public VectorJacobianProduct? Vjp { get; init; }

    /// <summary>How the derivative is written in the docs (for docs/differentiable.md and readers of this table).</summary>
    public string DerivativeNote { get; init; } = "";
}

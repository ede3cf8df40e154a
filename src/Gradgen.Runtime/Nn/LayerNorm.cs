using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// Layer normalisation as a module (PyTorch's <c>torch.nn.LayerNorm</c>): normalises over the trailing
/// <see cref="NormalizedShape"/> with the biased variance, then scales by <see cref="Weight"/> (ones) and shifts by
/// <see cref="Bias"/> (zeros); see <see cref="Functional.LayerNorm"/>.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>A layer norm over the last dimension, of size <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The size of the last dimension.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="dtype">The parameters' dtype, <see cref="DType.Float32"/> (default) or <see cref="DType.Float64"/>.</param>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, dtype)
    {
    }

    /// <summary>A layer norm over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The trailing dimensions (at least one, none negative).</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="elementwiseAffine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="dtype">The parameters' dtype, <see cref="DType.Float32"/> (default) or <see cref="DType.Float64"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="normalizedShape"/> is empty or has a negative dimension, or <paramref name="dtype"/> is not floating-point.</exception>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        if (!dtype.IsFloating()) throw new ArgumentException($"LayerNorm: the parameters' dtype must be Float32 or Float64, not {dtype}.", nameof(dtype));
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || Array.Exists(normalizedShape, d => d < 0))
            throw new ArgumentException($"LayerNorm: normalizedShape must have at least one dimension and none negative, got {Shape.Format(normalizedShape)}.", nameof(normalizedShape));
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        Weight = elementwiseAffine ? new Parameter(Tensor.Ones(NormalizedShape, dtype)) : null;
        RegisterParameter("weight", Weight);
        Bias = elementwiseAffine ? new Parameter(Tensor.Zeros(NormalizedShape, dtype)) : null;
        RegisterParameter("bias", Bias);
    }

    /// <summary>The trailing dimensions normalised over (PyTorch's <c>normalized_shape</c>).</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance (PyTorch's <c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight and bias (PyTorch's <c>elementwise_affine</c>).</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>The scale, of shape <see cref="NormalizedShape"/>, initially ones; null without affine parameters.</summary>
    public Parameter? Weight { get; }

    /// <summary>The shift, of shape <see cref="NormalizedShape"/>, initially zeros; null without affine parameters.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture,
        $"({string.Join(", ", NormalizedShape)}{(NormalizedShape.Length == 1 ? "," : "")}), eps={Eps}, elementwise_affine={(ElementwiseAffine ? "True" : "False")}");
}

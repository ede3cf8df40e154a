using System.Globalization;

namespace Gradgen.Nn;

/// <summary>The rectified linear unit max(x, 0) as a module (PyTorch's <c>torch.nn.ReLU</c>).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu(input);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }
}

/// <summary>The logistic sigmoid 1 / (1 + e^−x) as a module (PyTorch's <c>torch.nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Sigmoid(input);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }
}

/// <summary>The hyperbolic tangent as a module (PyTorch's <c>torch.nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }
}

/// <summary>Softmax along a dimension as a module (PyTorch's <c>torch.nn.Softmax(dim)</c>).</summary>
/// <param name="dim">The dimension the probabilities sum to 1 along.</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension the probabilities sum to 1 along.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"dim={Dim}");
}

/// <summary>Log-softmax along a dimension as a module (PyTorch's <c>torch.nn.LogSoftmax(dim)</c>).</summary>
/// <param name="dim">The dimension to normalise along.</param>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dimension to normalise along.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"dim={Dim}");
}

/// <summary>The Gaussian error linear unit as a module (PyTorch's <c>torch.nn.GELU(approximate)</c>); see <see cref="Functional.Gelu"/>.</summary>
public sealed class GELU : Module
{
    /// <summary>A GELU, exact (<c>"none"</c>) or with the tanh approximation (<c>"tanh"</c>).</summary>
    /// <param name="approximate"><c>"none"</c> or <c>"tanh"</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither.</exception>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", not \"{approximate}\".", nameof(approximate));
        Approximate = approximate;
    }

    /// <summary><c>"none"</c> (exact, with erf) or <c>"tanh"</c>.</summary>
    public string Approximate { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Gelu(input, Approximate);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>The sigmoid linear unit x·σ(x) as a module (PyTorch's <c>torch.nn.SiLU</c>).</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }
}

/// <summary>x for x &gt; 0, else slope·x, as a module (PyTorch's <c>torch.nn.LeakyReLU(negative_slope)</c>).</summary>
/// <param name="negativeSlope">The slope for x ≤ 0.</param>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope for x ≤ 0 (PyTorch's <c>negative_slope</c>).</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"negative_slope={NegativeSlope}");
}

/// <summary>x for x &gt; 0, else α(eˣ − 1), as a module (PyTorch's <c>torch.nn.ELU(alpha)</c>).</summary>
/// <param name="alpha">α.</param>
public sealed class ELU(double alpha = 1.0) : Module
{
    /// <summary>α: the output approaches −α as x → −∞.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Elu(input, Alpha);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"alpha={Alpha}");
}

/// <summary>ln(1 + e^(βx))/β, linear above a threshold, as a module (PyTorch's <c>torch.nn.Softplus(beta, threshold)</c>).</summary>
/// <param name="beta">β.</param>
/// <param name="threshold">Where βx exceeds it, the output is x.</param>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module
{
    /// <summary>β.</summary>
    public double Beta { get; } = beta;

    /// <summary>Where βx exceeds it, the output is x.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softplus(input, Beta, Threshold);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"beta={Beta}, threshold={Threshold}");
}

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

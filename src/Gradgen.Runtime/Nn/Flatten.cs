using System.Globalization;

namespace Gradgen.Nn;

/// <summary>Flattens dimensions <paramref name="startDim"/> to <paramref name="endDim"/> into one (PyTorch's <c>nn.Flatten</c>, by default all but the batch dimension); a view where it can be.</summary>
/// <param name="startDim">The first dimension flattened.</param>
/// <param name="endDim">The last dimension flattened.</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"start_dim={startDim}, end_dim={endDim}");
}

/// <summary>Returns its input (PyTorch's <c>nn.Identity</c>), a placeholder where a layer is optional.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }
}

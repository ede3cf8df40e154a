using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// Dropout as a module (PyTorch's <c>torch.nn.Dropout(p)</c>): in training mode each element is zeroed with
/// probability <see cref="P"/> and the rest scaled by 1/(1 − p), with a mask from <see cref="Functional.DropoutMask"/>
/// (so <see cref="RandomGenerator.ManualSeed"/> reproduces it); the identity after <see cref="Module.Eval"/>.
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>A dropout layer.</summary>
    /// <param name="p">The probability of a zero, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5)
    {
        Functional.CheckProbability(p, "Dropout");
        P = p;
    }

    /// <summary>The probability of a zero.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsTraining || P == 0) return input;
        if (P == 1) return input * 0.0;
        var mask = Functional.DropoutMask(input.Shape.ToArray(), P, input.DType);
        return input * (input.Device.Type == DeviceType.Cpu ? mask : mask.To(input.Device));
    }

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"p={P}");
}

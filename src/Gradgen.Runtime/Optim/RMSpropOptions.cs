namespace Gradgen.Optim;

/// <summary>The options of an <see cref="RMSprop"/> parameter group, with PyTorch's defaults.</summary>
public sealed class RMSpropOptions : OptimizerOptions
{
    /// <summary>Options with PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8.</summary>
    public RMSpropOptions() => Lr = 1e-2;

    /// <summary>The smoothing constant of the average of squared gradients, ≥ 0.</summary>
    public double Alpha { get; set; } = 0.99;

    /// <summary>Added to the denominator for numerical stability, ≥ 0.</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>The momentum factor, ≥ 0.</summary>
    public double Momentum { get; set; }

    /// <summary>Normalise by the estimated variance of the gradient (the average of squares minus the squared average).</summary>
    public bool Centered { get; set; }

    internal override double? CycledMomentum
    {
        get => Momentum;
        set => Momentum = value ?? 0;
    }

    internal override void Validate()
    {
        base.Validate();
        Check(Eps >= 0, $"Invalid epsilon value: {Format(Eps)}");
        Check(Momentum >= 0, $"Invalid momentum value: {Format(Momentum)}");
        Check(Alpha >= 0, $"Invalid alpha value: {Format(Alpha)}");
    }

    internal override void Write(IDictionary<string, double> values)
    {
        base.Write(values);
        values["alpha"] = Alpha;
        values["eps"] = Eps;
        values["momentum"] = Momentum;
        values["centered"] = Centered ? 1 : 0;
    }

    internal override void Read(IReadOnlyDictionary<string, double> values)
    {
        base.Read(values);
        Alpha = Get(values, "alpha", Alpha);
        Eps = Get(values, "eps", Eps);
        Momentum = Get(values, "momentum", Momentum);
        Centered = Get(values, "centered", Centered ? 1 : 0) != 0;
    }
}

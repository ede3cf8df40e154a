namespace Gradgen.Optim;

/// <summary>The options of an <see cref="Sgd"/> parameter group (PyTorch's defaults; the learning rate has none there and is 1e-3 here).</summary>
public sealed class SgdOptions : OptimizerOptions
{
    /// <summary>Options with PyTorch's defaults.</summary>
    public SgdOptions() => Lr = 1e-3;

    /// <summary>The momentum factor, ≥ 0.</summary>
    public double Momentum { get; set; }

    /// <summary>The dampening of momentum.</summary>
    public double Dampening { get; set; }

    /// <summary>Use Nesterov momentum (needs momentum &gt; 0 and dampening 0).</summary>
    public bool Nesterov { get; set; }

    internal override double? CycledMomentum
    {
        get => Momentum;
        set => Momentum = value ?? 0;
    }

    internal override void Validate()
    {
        base.Validate();
        Check(Momentum >= 0, $"Invalid momentum value: {Format(Momentum)}");
        Check(!Nesterov || (Momentum > 0 && Dampening == 0), "Nesterov momentum requires a momentum and zero dampening");
    }

    internal override void Write(IDictionary<string, double> values)
    {
        base.Write(values);
        values["momentum"] = Momentum;
        values["dampening"] = Dampening;
        values["nesterov"] = Nesterov ? 1 : 0;
    }

    internal override void Read(IReadOnlyDictionary<string, double> values)
    {
        base.Read(values);
        Momentum = Get(values, "momentum", Momentum);
        Dampening = Get(values, "dampening", Dampening);
        Nesterov = Get(values, "nesterov", Nesterov ? 1 : 0) != 0;
    }
}

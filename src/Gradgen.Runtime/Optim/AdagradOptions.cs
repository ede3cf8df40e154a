namespace Gradgen.Optim;

/// <summary>The options of an <see cref="Adagrad"/> parameter group, with PyTorch's defaults.</summary>
public sealed class AdagradOptions : OptimizerOptions
{
    /// <summary>Options with PyTorch's defaults: lr 1e-2, eps 1e-10.</summary>
    public AdagradOptions() => Lr = 1e-2;

    /// <summary>The learning-rate decay: step t uses lr / (1 + (t − 1)·lrDecay), ≥ 0.</summary>
    public double LrDecay { get; set; }

    /// <summary>The starting value of the sum of squared gradients, ≥ 0 (read when a parameter's state is created).</summary>
    public double InitialAccumulatorValue { get; set; }

    /// <summary>Added to the denominator for numerical stability, ≥ 0.</summary>
    public double Eps { get; set; } = 1e-10;

    internal override void Validate()
    {
        base.Validate();
        Check(LrDecay >= 0, $"Invalid lr_decay value: {Format(LrDecay)}");
        Check(InitialAccumulatorValue >= 0, $"Invalid initial_accumulator_value value: {Format(InitialAccumulatorValue)}");
        Check(Eps >= 0, $"Invalid epsilon value: {Format(Eps)}");
    }

    internal override void Write(IDictionary<string, double> values)
    {
        base.Write(values);
        values["lr_decay"] = LrDecay;
        values["initial_accumulator_value"] = InitialAccumulatorValue;
        values["eps"] = Eps;
    }

    internal override void Read(IReadOnlyDictionary<string, double> values)
    {
        base.Read(values);
        LrDecay = Get(values, "lr_decay", LrDecay);
        InitialAccumulatorValue = Get(values, "initial_accumulator_value", InitialAccumulatorValue);
        Eps = Get(values, "eps", Eps);
    }
}

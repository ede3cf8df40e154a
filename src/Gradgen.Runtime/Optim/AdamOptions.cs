namespace Gradgen.Optim;

/// <summary>The options of an <see cref="Adam"/> or <see cref="AdamW"/> parameter group, with PyTorch's defaults (Adam's weight decay 0; <see cref="AdamW"/> sets 1e-2).</summary>
public sealed class AdamOptions : OptimizerOptions
{
    /// <summary>Options with PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.</summary>
    public AdamOptions() => Lr = 1e-3;

    /// <summary>The decay of the first moment (PyTorch's <c>betas[0]</c>), in [0, 1).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>The decay of the second moment (PyTorch's <c>betas[1]</c>), in [0, 1).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Added to the denominator for numerical stability, ≥ 0.</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>Use the AMSGrad variant (the maximum of the second moments so far).</summary>
    public bool Amsgrad { get; set; }

    internal override double? CycledMomentum
    {
        get => Beta1;
        set => Beta1 = value ?? Beta1;
    }

    internal override void Validate()
    {
        base.Validate();
        Check(Eps >= 0, $"Invalid epsilon value: {Format(Eps)}");
        Check(Beta1 >= 0 && Beta1 < 1, $"Invalid beta parameter at index 0: {Format(Beta1)}");
        Check(Beta2 >= 0 && Beta2 < 1, $"Invalid beta parameter at index 1: {Format(Beta2)}");
    }

    internal override void Write(IDictionary<string, double> values)
    {
        base.Write(values);
        values["beta1"] = Beta1;
        values["beta2"] = Beta2;
        values["eps"] = Eps;
        values["amsgrad"] = Amsgrad ? 1 : 0;
    }

    internal override void Read(IReadOnlyDictionary<string, double> values)
    {
        base.Read(values);
        Beta1 = Get(values, "beta1", Beta1);
        Beta2 = Get(values, "beta2", Beta2);
        Eps = Get(values, "eps", Eps);
        Amsgrad = Get(values, "amsgrad", Amsgrad ? 1 : 0) != 0;
    }
}

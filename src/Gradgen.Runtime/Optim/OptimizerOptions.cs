using System.Globalization;

namespace Gradgen.Optim;

/// <summary>
/// The options of a parameter group. Each optimizer has its own subclass with PyTorch's defaults; the names in
/// <see cref="OptimizerStateDict"/> are PyTorch's (<c>lr</c>, <c>weight_decay</c>, <c>betas</c> as <c>beta1</c> and
/// <c>beta2</c>, …), with booleans as 0 and 1.
/// </summary>
public abstract class OptimizerOptions
{
    private protected OptimizerOptions()
    {
    }

    /// <summary>The learning rate.</summary>
    public double Lr { get; set; }

    /// <summary>The weight decay (an L2 penalty, or decoupled for <see cref="AdamW"/>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Maximise the objective instead of minimising it (the gradient's sign is flipped).</summary>
    public bool Maximize { get; set; }

    /// <summary>The momentum that <c>OneCycleLR</c> cycles (momentum, or β₁ for Adam), or null where the optimizer has none.</summary>
    internal virtual double? CycledMomentum
    {
        get => null;
        set => throw new InvalidOperationException("this optimizer has no momentum to cycle");
    }

    /// <summary>Checks the values, with PyTorch's messages.</summary>
    internal virtual void Validate()
    {
        Check(Lr >= 0, $"Invalid learning rate: {Format(Lr)}");
        Check(WeightDecay >= 0, $"Invalid weight_decay value: {Format(WeightDecay)}");
    }

    /// <summary>The values by PyTorch's names.</summary>
    internal virtual void Write(IDictionary<string, double> values)
    {
        values["lr"] = Lr;
        values["weight_decay"] = WeightDecay;
        values["maximize"] = Maximize ? 1 : 0;
    }

    /// <summary>Sets the values from PyTorch's names (those absent keep their values).</summary>
    internal virtual void Read(IReadOnlyDictionary<string, double> values)
    {
        Lr = Get(values, "lr", Lr);
        WeightDecay = Get(values, "weight_decay", WeightDecay);
        Maximize = Get(values, "maximize", Maximize ? 1 : 0) != 0;
    }

    private protected static double Get(IReadOnlyDictionary<string, double> values, string name, double fallback) =>
        values.TryGetValue(name, out double v) ? v : fallback;

    private protected static void Check(bool valid, string message)
    {
        if (!valid)
        {
            throw new ArgumentException(message);
        }
    }

    private protected static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}

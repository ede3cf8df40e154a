using Gradgen.Nn;

namespace Gradgen.Distributed.Worker;

/// <summary>A residual MLP that the graph compiler compiles in Float64 too (one <c>ResidualNetBackward</c> node).</summary>
public sealed partial class ResidualNet : Module
{
    private readonly Linear l1, l2, l3;

    /// <summary>8 → <paramref name="hidden"/> (+ residual) → 4.</summary>
    public ResidualNet(DType dtype, int hidden = 16)
    {
        l1 = new(8, hidden, dtype: dtype);
        l2 = new(hidden, hidden, dtype: dtype);
        l3 = new(hidden, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(l1.Forward(x));
        return l3.Forward(h + Functional.Relu(l2.Forward(h)));
    }
}

/// <summary>The same network written as a loop over its layers, which the generator does not compile: it runs eagerly, op by op.</summary>
public sealed class EagerResidualNet : Module
{
    private readonly Linear[] layers;

    public EagerResidualNet(DType dtype, int hidden = 16)
    {
        layers = [new(8, hidden, dtype: dtype), new(hidden, hidden, dtype: dtype), new(hidden, 4, dtype: dtype)];
        for (int i = 0; i < layers.Length; i++) RegisterModule($"l{i + 1}", layers[i]);
    }

    protected override void DiscoverMembers()
    {
    }

    public override Tensor Forward(Tensor x)
    {
        Tensor h = x;
        for (int i = 0; i < layers.Length; i++)
        {
            var z = layers[i].Forward(h);
            h = i == 0 ? Functional.Tanh(z) : i == 1 ? h + Functional.Relu(z) : z;
        }
        return h;
    }
}

/// <summary>The 784-256-10 ReLU MLP of the benchmarks, a compiled chain of Linear layers (Float32 only).</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear hidden = new(784, 256), output = new(256, 10);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}

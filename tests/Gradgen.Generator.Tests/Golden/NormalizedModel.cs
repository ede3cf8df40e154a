using Gradgen;
using Gradgen.Nn;

namespace Demo;

/// <summary>LayerNorm, GELU and Dropout between layers, over [B, T, F] inputs pooled over T.</summary>
public sealed partial class NormalizedPooling : Module
{
    private readonly Linear embed = new(12, 32), head = new(32, 3);
    private readonly LayerNorm norm = new(32);
    private readonly Dropout dropout = new(0.1);

    public override Tensor Forward(Tensor x)
    {
        var h = dropout.Forward(Functional.Gelu(norm.Forward(embed.Forward(x))));
        return head.Forward(h.Mean(1, false));
    }
}

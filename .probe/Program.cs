using System.Diagnostics;
using Gradgen;
using Gradgen.Nn;
using Gradgen.Optim;

public sealed partial class ResidualLayerNormMlp : Module
{
    private readonly Linear inp = new(784, 512);
    private readonly LayerNorm norm1 = new(512);
    private readonly Linear fc1 = new(512, 512);
    private readonly LayerNorm norm2 = new(512);
    private readonly Linear fc2 = new(512, 512);
    private readonly Linear output = new(512, 10);

    public override Tensor Forward(Tensor x)
    {
        var h = inp.Forward(x);
        h = h + fc1.Forward(Functional.Gelu(norm1.Forward(h)));
        h = h + fc2.Forward(Functional.Gelu(norm2.Forward(h)));
        return output.Forward(h);
    }
}

static class Program
{
    static void Main(string[] args)
    {
        if (args.Length > 0) { Timing.Run(); return; }
        var m = new ResidualLayerNormMlp();
        var opt = new Sgd(m.Parameters(), 1e-3);
        var loss = new CrossEntropyLoss();
        var x = Tensor.Randn(64, 784);
        var t = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray());
        foreach (bool compiled in new[] { true, false, true, false })
        {
            double best = double.MaxValue;
            for (int rep = 0; rep < 60; rep++)
            {
                var sw = Stopwatch.StartNew();
                opt.ZeroGrad();
                var y = compiled ? m.Call(x) : m.Forward(x);
                loss.Forward(y, t).Backward();
                opt.Step();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"{(compiled ? "compiled" : "eager   ")}: best {best:F3} ms");
        }
    }
}

namespace Gradgen.Optim;

/// <summary>PyTorch's lerp on the CPU: a + w·(b − a) for w &lt; ½, else b − (b − a)·(1 − w) (exact at both ends).</summary>
internal static class Lerp
{
    public static TV Apply<TV>(TV a, TV b, double w)
        where TV : struct, IUpdateValue<TV> =>
        w < 0.5 ? a + ((b - a) * w) : b - ((b - a) * (1 - w));
}

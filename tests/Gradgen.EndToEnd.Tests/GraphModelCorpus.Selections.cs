// A model whose data-dependent choices are written as Tensor.Where over comparisons: one compiled graph.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A leaky ReLU written by hand, <c>Where(h &gt; 0, h, 0.1·h)</c>, and an elementwise minimum of two branches,
/// <c>a.Where(a.Lt(b), b)</c>: comparisons as the conditions of selections, fused into the elementwise kernels.
/// </summary>
public sealed partial class SelectionGate : Module
{
    private readonly Linear l1, left, right, head;

    /// <summary>6 → 16 → two 16 → 16 branches → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public SelectionGate(DType dtype = DType.Float32)
    {
        l1 = new(6, 16, dtype: dtype);
        left = new(16, 16, dtype: dtype);
        right = new(16, 16, dtype: dtype);
        head = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = l1.Forward(x);
        h = Tensor.Where(h > 0, h, 0.1f * h);
        var a = left.Forward(h);
        var b = right.Forward(h);
        return head.Forward(a.Where(a.Lt(b), b));
    }
}

/// <summary>
/// Extremes of whole tensors, <c>Max()</c> and <c>Min()</c>: a hidden layer rescaled by its own range, plus the
/// input's range. Each shares its gradient among the positions that hold it (torch.max()'s rule), and a NaN is the
/// extreme.
/// </summary>
public sealed partial class ExtremumScaled : Module
{
    private readonly Linear l1, head;

    /// <summary>6 → 12 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ExtremumScaled(DType dtype = DType.Float32)
    {
        l1 = new(6, 12, dtype: dtype);
        head = new(12, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(l1.Forward(x));
        var scaled = (h - h.Min()) / (h.Max() - h.Min() + 1f);
        return head.Forward(scaled) + (x.Max() - x.Min());
    }
}

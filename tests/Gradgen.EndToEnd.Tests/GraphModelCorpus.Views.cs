// Models whose Forward reorders, repeats or picks out parts of tensors: Permute, Expand, Select and stepped Slice,
// each a view in the compiled graph, whose gradients are the rule table's (inverse permute, sum to shape, pad).
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Mixing over time on [B, T, F]: permuted to [F, B, T] so that a layer acts on T, permuted back by the inverse order
/// (negative dims; neither order is its own inverse, so a gradient permuted back by the wrong one shows) and added to
/// what they mixed, then the mean over T.
/// </summary>
public sealed partial class TimeMixer : Module
{
    /// <summary>The number of steps T of the input [B, T, 6]: the time layer's width.</summary>
    public const int Steps = 5;

    private readonly Linear features, time, head;

    /// <summary>[B, T, 6] → [B, T, 8] (ReLU) → over T by a T → T layer (tanh) → + residual → mean over T → [B, 3].</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public TimeMixer(DType dtype = DType.Float32)
    {
        features = new(6, 8, dtype: dtype);
        time = new(Steps, Steps, dtype: dtype);
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(features.Forward(x));
        var mixed = Functional.Tanh(time.Forward(h.Permute(2, 0, 1)));
        return head.Forward(mixed.Permute(1, -1, 0) + h).Mean(1);
    }
}

/// <summary>
/// Expand: a learned [1, 8] bias repeated over the batch (<c>x.Shape[0]</c>, −1 keeps the 8), a learned [8] scale given a
/// new leading dim, and a per-row gate [B, 1] repeated over the features — each a stride-0 view whose gradient sums the copies.
/// </summary>
public sealed partial class ExpandGate : Module
{
    private readonly Parameter bias;
    private readonly Parameter scale;
    private readonly Linear l1, gate, head;

    /// <summary>6 → 8 (+ bias, tanh) · scale, gated per row → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ExpandGate(DType dtype = DType.Float32)
    {
        bias = new Parameter(Tensor.Randn([1, 8], dtype) * 0.5);
        scale = new Parameter(Tensor.Randn([8], dtype));
        l1 = new(6, 8, dtype: dtype);
        gate = new(6, 1, dtype: dtype);
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(l1.Forward(x) + bias.Expand(x.Shape[0], -1)) * scale.Expand(x.Shape[0], 8);
        return head.Forward(h * Functional.Sigmoid(gate.Forward(x)).Expand(-1, 8));
    }
}

/// <summary>
/// Select as token pooling on [B, T, F]: the first token (a CLS pooling) plus the last (a negative index, resolved at
/// run time since T is the caller's), and one feature of the second token (a constant dim: index −1 is 7 at compile time).
/// </summary>
public sealed partial class ClsPooling : Module
{
    /// <summary>The number of steps T of the input [B, T, 6].</summary>
    public const int Steps = 4;

    private readonly Linear embed, head;

    /// <summary>[B, T, 6] → [B, T, 8] (ReLU) → tokens 0 and −1 → [B, 3], plus feature 7 of token 1.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ClsPooling(DType dtype = DType.Float32)
    {
        embed = new(6, 8, dtype: dtype);
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(embed.Forward(x));
        return head.Forward(h.Select(1, 0) + h.Select(1, -1)) + h.Select(1, 1).Select(-1, -1).Unsqueeze(1);
    }
}

/// <summary>
/// Stepped slices: every second step of [B, T, F] from step 1 (an end past T, clamped at run time), the last two steps
/// (a negative start), then the even and odd features of a constant width (a negative start and an end past it, clamped
/// at compile time) gating each other.
/// </summary>
public sealed partial class StridedSlices : Module
{
    /// <summary>The number of steps T of the input [B, T, 5].</summary>
    public const int Steps = 6;

    private readonly Linear l1, head;

    /// <summary>[B, T, 5] → [B, T, 16] (ReLU) → two poolings over slices of T → even · σ(odd) features → [B, 3].</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public StridedSlices(DType dtype = DType.Float32)
    {
        l1 = new(5, 16, dtype: dtype);
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(l1.Forward(x));
        var pooled = h.Slice(1, 1, int.MaxValue, 2).Mean(1) + h.Slice(1, -2, int.MaxValue).Mean(1);
        var even = pooled.Slice(-1, 0, 16, 2);
        var odd = pooled.Slice(-1, -15, 100, 2);
        return head.Forward(even * Functional.Sigmoid(odd));
    }
}

/// <summary>
/// A view as the model's output: the head's [B, 3] given a new leading dim, expanded to two copies (stride 0) and
/// permuted to [B, 3, 2]. Call returns that view with the model's node; its gradient sums the two copies.
/// </summary>
public sealed partial class ViewOutput : Module
{
    private readonly Linear l1, head;

    /// <summary>6 → 8 (tanh) → 3, repeated twice along a last dim.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ViewOutput(DType dtype = DType.Float32)
    {
        l1 = new(6, 8, dtype: dtype);
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => head.Forward(Functional.Tanh(l1.Forward(x))).Unsqueeze(0).Expand(2, -1, -1).Permute(1, 2, 0);
}

/// <summary>
/// The tensor indexer on [B, T, F], lowered to the same views as Select and Slice: the first token (a CLS pooling), the
/// last (<c>^1</c>, resolved at run time since T is the caller's), the mean of every token after the first (an open
/// range over T, clamped at run time), the last two tokens' upper half of the features (a from-end range over T and a
/// range over the constant F), tokens 1 and 2 picked by an unrolled loop's variable, and feature ^1 of token 1 (a
/// from-end index on the constant F, resolved at compile time).
/// </summary>
public sealed partial class TokenIndexing : Module
{
    /// <summary>The number of steps T of the input [B, T, 6].</summary>
    public const int Steps = 5;

    private readonly Linear embed, head, tail;

    /// <summary>[B, T, 6] → [B, T, 8] (ReLU) → pooled tokens, gated → [B, 3], plus [B, 4] of the last two tokens → [B, 3].</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public TokenIndexing(DType dtype = DType.Float32)
    {
        embed = new(6, 8, dtype: dtype);
        head = new(8, 3, dtype: dtype);
        tail = new(4, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(embed.Forward(x));
        var pooled = h[.., 0] + (h[.., ^1] * Functional.Sigmoid(h[.., 1..].Mean(1)));
        for (int t = 1; t < 3; t++)
        {
            pooled = pooled + (0.5 * h[.., t]);
        }

        var edge = h[.., ^2.., 4..].Mean(1);
        return head.Forward(pooled) + tail.Forward(edge) + h[.., 1, ^1].Unsqueeze(1);
    }
}

/// <summary>
/// ExpandAs: a per-row gate [B, 1] expanded as the hidden [B, 8] (its batch read from the hidden at run time), and a
/// learned [8] shift expanded as the hidden (a new leading dim) — stride-0 views whose gradients sum the copies. Both
/// are concatenated as they are (not only broadcast into arithmetic), so the head sees every expanded copy.
/// </summary>
public sealed partial class ExpandAsGate : Module
{
    private readonly Parameter shift;
    private readonly Linear l1, gate, head;

    /// <summary>6 → 8 (tanh); [h · gate, gate, shift] → 24 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ExpandAsGate(DType dtype = DType.Float32)
    {
        shift = new Parameter(Tensor.Randn([8], dtype) * 0.5);
        l1 = new(6, 8, dtype: dtype);
        gate = new(6, 1, dtype: dtype);
        head = new(24, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(l1.Forward(x));
        var g = Functional.Sigmoid(gate.Forward(x)).ExpandAs(h);
        return head.Forward(Tensor.Cat([h * g, g, shift.ExpandAs(h)], -1));
    }
}

/// <summary>
/// The indexer on the batch dim, whose size only the caller knows: rows 1 and 2 (<c>1..3</c>), the last two rows
/// (<c>^2..</c>) and row 0 as a vector (<c>[0]</c>, broadcast back over the rows). Its output has two rows whatever the
/// batch (at least 3), so it stays out of the corpus, whose batches include 1.
/// </summary>
public sealed partial class BatchRows : Module
{
    private readonly Linear l1, head;

    /// <summary>6 → 8 (tanh); rows [1, 3) · rows [B − 2, B) + row 0 → 3.</summary>
    public BatchRows()
    {
        l1 = new(6, 8);
        head = new(8, 3);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(l1.Forward(x));
        return head.Forward((h[1..3] * h[^2..]) + h[0]);
    }
}

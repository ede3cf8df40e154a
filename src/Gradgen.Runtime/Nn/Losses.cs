using System.Numerics;

namespace Gradgen.Nn;

/// <summary>How a loss combines the per-element losses (PyTorch's <c>reduction</c> argument).</summary>
public enum Reduction
{
    /// <summary>The mean over elements (PyTorch's default, <c>'mean'</c>).</summary>
    Mean,
    /// <summary>The sum over elements (<c>'sum'</c>).</summary>
    Sum,
    /// <summary>No reduction: one loss per element (<c>'none'</c>).</summary>
    None,
}

/// <summary>
/// The base of loss functions: <c>Forward(input, target)</c> and its alias <see cref="Call"/> (PyTorch's
/// <c>criterion(output, target)</c>). Unlike PyTorch's <c>_Loss</c>, a loss is not a <see cref="Module"/>:
/// <see cref="Module.Forward"/> takes one tensor, and the losses here have no parameters.
/// </summary>
/// <param name="reduction">How the per-element losses are combined.</param>
public abstract class Loss(Reduction reduction)
{
    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> (the model's output) against <paramref name="target"/>.</summary>
    /// <param name="input">The prediction.</param>
    /// <param name="target">The expected values.</param>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>The same as <see cref="Forward"/> (PyTorch's <c>criterion(input, target)</c>).</summary>
    /// <param name="input">The prediction.</param>
    /// <param name="target">The expected values.</param>
    public Tensor Call(Tensor input, Tensor target) => Forward(input, target);
}

/// <summary>The mean squared error (xᵢ − yᵢ)² (PyTorch's <c>torch.nn.MSELoss</c>).</summary>
/// <param name="reduction">Mean (default), sum or none.</param>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The squared errors of <paramref name="input"/> against <paramref name="target"/>, reduced.</summary>
    /// <param name="input">The prediction, floating-point.</param>
    /// <param name="target">The expected values, of the same shape.</param>
    /// <exception cref="ArgumentException">The shapes differ (PyTorch only warns and broadcasts; a [N, 1] output against a [N] target would silently become [N, N]).</exception>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>
/// Cross-entropy of logits against class indices (PyTorch's <c>torch.nn.CrossEntropyLoss</c>):
/// −log softmax(x)[target], computed with a stable log-softmax. Logits are <c>[N, C]</c> (or <c>[C]</c>) with Int64
/// class indices <c>[N]</c> (or a scalar); a floating target of the logits' shape is read as class probabilities.
/// </summary>
/// <param name="reduction">Mean over the batch (default), sum or none.</param>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The cross-entropy of <paramref name="input"/> against <paramref name="target"/>, reduced.</summary>
    /// <param name="input">Logits <c>[N, C]</c> or <c>[C]</c>, floating-point.</param>
    /// <param name="target">Class indices (Int64, <c>[N]</c> or 0-D) in [0, C), or class probabilities of the input's shape.</param>
    /// <exception cref="ArgumentException">Wrong shapes or dtypes, or a class index out of range.</exception>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, Reduction);
}

/// <summary>
/// Binary cross-entropy of logits (PyTorch's <c>torch.nn.BCEWithLogitsLoss</c>): the sigmoid and the log-loss in one
/// stable formula, (1 − y)·x + max(−x, 0) + log(1 + e^−|x|), with gradient σ(x) − y.
/// </summary>
/// <param name="reduction">Mean (default), sum or none.</param>
public sealed class BCEWithLogitsLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The loss of logits <paramref name="input"/> against targets in [0, 1], reduced.</summary>
    /// <param name="input">The logits, floating-point.</param>
    /// <param name="target">The targets, of the same shape.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Reduction);
}

public static partial class Functional
{
    static void CheckLossOperands(Tensor input, Tensor target, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.DType.IsFloating()) throw new ArgumentException($"{op}: the input has dtype {input.DType}; it must be Float32 or Float64.", nameof(input));
        if (!target.DType.IsFloating()) throw new ArgumentException($"{op}: the target has dtype {target.DType}; it must be floating-point (convert with To(DType.{input.DType})).", nameof(target));
        if (!input.Shape.Equals(target.Shape))
            throw new ArgumentException($"{op}: the input has shape {input.Shape} but the target has shape {target.Shape}; they must be equal (reshape one, e.g. target.Reshape(-1, 1)).", nameof(target));
    }

    static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perElement.Mean(),
        Reduction.Sum => perElement.Sum(),
        Reduction.None => perElement,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
    };

    /// <summary>
    /// The squared errors (x − y)², reduced (PyTorch's <c>mse_loss</c>). With a reduction, one pass and one node
    /// (<c>MseLossBackward</c>); with <see cref="Reduction.None"/>, the elementwise (x − y)².
    /// </summary>
    /// <param name="input">The prediction.</param>
    /// <param name="target">The expected values, of the same shape and a floating dtype.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckLossOperands(input, target, "MSELoss");
        if (MseLossFused.Applies(input, target, reduction))
        {
            return MseLossFused.Forward(input, target, reduction);
        }

        var d = input - target;
        return Reduce(d * d, reduction);
    }

    /// <summary>
    /// (1 − y)·x + max(−x, 0) + log(1 + e^−|x|), elementwise, reduced (PyTorch's <c>binary_cross_entropy_with_logits</c>):
    /// one fused node <c>BinaryCrossEntropyWithLogitsBackward</c> with ∂/∂x = σ(x) − y and ∂/∂y = −x.
    /// </summary>
    /// <param name="input">The logits.</param>
    /// <param name="target">The targets in [0, 1], of the same shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckLossOperands(input, target, "BCEWithLogitsLoss");
        if (input.Device.Type != DeviceType.Cpu || target.Device.Type != DeviceType.Cpu) return Reduce(DeviceNn.BinaryCrossEntropyWithLogits(input, target), reduction);
        var dt = input.DType == DType.Float64 || target.DType == DType.Float64 ? DType.Float64 : DType.Float32;
        var l = Tensor.ApplyElementwise("BinaryCrossEntropyWithLogits", dt, [input, target], BceForward, BceBackward);
        return Reduce(l, reduction);
    }

    static void BceForward(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        if (output.DType == DType.Float32) BceForward<float>(inputs[0].AsSpan<float>(), inputs[1].AsSpan<float>(), output.AsSpan<float>());
        else BceForward<double>(inputs[0].AsSpan<double>(), inputs[1].AsSpan<double>(), output.AsSpan<double>());
    }

    static void BceForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> l) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < l.Length; i++)
        {
            // PyTorch's arrangement, (1 − y)·x + max(−x, 0) + log(1 + e^−|x|): the same value for finite x, and
            // the same non-finite results (+∞ for x = +∞, y = 0; NaN for 0·∞ where y = 1).
            T xi = x[i];
            l[i] = ((T.One - y[i]) * xi) + T.Max(-xi, T.Zero) + T.LogP1(T.Exp(-T.Abs(xi)));
        }
    }

    static void BceBackward(ReadOnlySpan<Tensor> inputs, Tensor output, Tensor gradOutput, ReadOnlySpan<Tensor> inputGrads)
    {
        if (output.DType == DType.Float32)
            BceBackward<float>(inputs[0].AsSpan<float>(), inputs[1].AsSpan<float>(), gradOutput.AsSpan<float>(), inputGrads[0].AsSpan<float>(), inputGrads[1].AsSpan<float>());
        else
            BceBackward<double>(inputs[0].AsSpan<double>(), inputs[1].AsSpan<double>(), gradOutput.AsSpan<double>(), inputGrads[0].AsSpan<double>(), inputGrads[1].AsSpan<double>());
    }

    static void BceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> gx, Span<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < g.Length; i++)
        {
            T xi = x[i];
            // σ(x) without overflow: e^−|x| is at most 1.
            T e = T.Exp(-T.Abs(xi));
            T s = xi >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
            gx[i] = g[i] * (s - y[i]);
            gy[i] = -g[i] * xi;
        }
    }

    /// <summary>
    /// The cross-entropy of logits against class indices or probabilities, reduced (PyTorch's <c>cross_entropy</c>):
    /// −log_softmax(x)[target] through a stable <see cref="LogSoftmax"/> and a gather of the target classes. For
    /// <c>[N, C]</c> logits with class indices and a reduction, one fused pass and one node
    /// (<c>CrossEntropyLossBackward</c>).
    /// </summary>
    /// <param name="input">Logits <c>[N, C]</c> or <c>[C]</c>.</param>
    /// <param name="target">Int64 class indices <c>[N]</c> (or 0-D for 1-D logits), or floating class probabilities of the input's shape.</param>
    /// <param name="reduction">Mean over the batch (default), sum or none (one loss per sample).</param>
    /// <exception cref="ArgumentException">Wrong shapes or dtypes, or a class index out of range.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        const string op = "CrossEntropyLoss";
        if (!input.DType.IsFloating()) throw new ArgumentException($"{op}: the logits have dtype {input.DType}; they must be Float32 or Float64.", nameof(input));
        if (input.Ndim is not (1 or 2)) throw new ArgumentException($"{op}: the logits must be [N, C] or [C], got shape {input.Shape}.", nameof(input));
        int classDim = input.Ndim - 1;
        int c = input.Shape[classDim];
        if (target.DType.IsFloating())
        {
            if (!target.Shape.Equals(input.Shape))
                throw new ArgumentException($"{op}: a floating-point target holds class probabilities and must have the logits' shape {input.Shape}, got {target.Shape}. Class indices must be Int64.", nameof(target));
            var lp = LogSoftmax(input, classDim);
            return Reduce(-(lp * target).Sum(classDim), reduction);
        }
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: class indices must have dtype Int64, got {target.DType} (convert with To(DType.Int64)).", nameof(target));
        int expectedDims = input.Ndim - 1;
        if (target.Ndim != expectedDims || (expectedDims == 1 && target.Shape[0] != input.Shape[0]))
            throw new ArgumentException(
                expectedDims == 1
                    ? $"{op}: logits of shape {input.Shape} need class indices of shape [{input.Shape[0]}], got {target.Shape}."
                    : $"{op}: 1-D logits of shape {input.Shape} need a 0-D class index, got shape {target.Shape}.", nameof(target));
        var classes = target.ToArray<long>();
        for (int i = 0; i < classes.Length; i++)
            if (classes[i] < 0 || classes[i] >= c)
                throw new ArgumentException($"{op}: target {classes[i]} at position {i} is out of range for {c} classes (expected a value in [0, {c - 1}]).", nameof(target));
        if (CrossEntropyFused.Applies(input, reduction))
        {
            return CrossEntropyFused.Forward(input, classes, reduction);
        }

        var logp = LogSoftmax(input, classDim);
        var picked = logp.Gather(classDim, target.Unsqueeze(classDim)).Squeeze(classDim);
        return Reduce(-picked, reduction);
    }
}

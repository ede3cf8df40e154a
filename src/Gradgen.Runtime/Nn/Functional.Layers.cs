using System.Globalization;

namespace Gradgen.Nn;

public static partial class Functional
{
    /// <summary>
    /// The Gaussian error linear unit (PyTorch's <c>gelu(x, approximate)</c>): x·½(1 + erf(x/√2)) for
    /// <c>"none"</c>, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) for <c>"tanh"</c>. One generated kernel, recorded as
    /// <c>GeluErfBackward</c> or <c>GeluTanhBackward</c>; the derivative comes from the rule table.
    /// </summary>
    /// <param name="input">A tensor (integers compute in Float32).</param>
    /// <param name="approximate"><c>"none"</c> (exact) or <c>"tanh"</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither.</exception>
    public static Tensor Gelu(Tensor input, string approximate = "none")
    {
        ArgumentNullException.ThrowIfNull(input);
        return approximate switch
        {
            "none" => ElementwiseFunctions.GeluErf(input),
            "tanh" => ElementwiseFunctions.GeluTanh(input),
            _ => throw new ArgumentException($"Gelu: approximate must be \"none\" or \"tanh\", not \"{approximate}\".", nameof(approximate)),
        };
    }

    /// <summary>The sigmoid linear unit x·σ(x) (PyTorch's <c>silu</c>, also called swish), recorded as <c>SiluBackward</c>.</summary>
    /// <param name="input">A tensor (integers compute in Float32).</param>
    public static Tensor Silu(Tensor input) => ElementwiseFunctions.Silu(input ?? throw new ArgumentNullException(nameof(input)));

    /// <summary>
    /// x where x &gt; 0, else slope·x (PyTorch's <c>leaky_relu</c>); the gradient at 0 is the slope, as PyTorch's.
    /// Recorded as <c>LeakyReluBackward</c>.
    /// </summary>
    /// <param name="input">A tensor (integers compute in Float32).</param>
    /// <param name="negativeSlope">The slope for x ≤ 0.</param>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ElementwiseFunctions.LeakyRelu(input, Constant(negativeSlope, input));
    }

    /// <summary>
    /// x where x &gt; 0, else α(eˣ − 1) (PyTorch's <c>elu</c>); the gradient at 0 is α, as PyTorch's. Recorded as
    /// <c>EluBackward</c>.
    /// </summary>
    /// <param name="input">A tensor (integers compute in Float32).</param>
    /// <param name="alpha">α, the value approached as x → −∞ is −α.</param>
    public static Tensor Elu(Tensor input, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ElementwiseFunctions.Elu(input, Constant(alpha, input));
    }

    /// <summary>
    /// ln(1 + e^(βx))/β, and x itself where βx &gt; <paramref name="threshold"/> (PyTorch's <c>softplus</c>).
    /// Recorded as <c>SoftplusBackward</c>.
    /// </summary>
    /// <param name="input">A tensor (integers compute in Float32).</param>
    /// <param name="beta">β.</param>
    /// <param name="threshold">Above it βx is returned as x.</param>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ElementwiseFunctions.Softplus(input, Constant(beta, input), Constant(threshold, input));
    }

    /// <summary>A constant of a formula as a wrapped 0-d number: it goes with the input to any device and does not widen it.</summary>
    static Tensor Constant(double value, Tensor input) => Tensor.WrapScalar(value, false, input);

    /// <summary>
    /// Layer normalisation (PyTorch's <c>layer_norm</c>): over the last <c>normalizedShape.Length</c> dimensions,
    /// y = (x − mean)/√(var + eps)·weight + bias with the biased variance. Composed of recorded operations (mean,
    /// subtraction, square root, division), so its gradient is theirs.
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor whose shape ends in <paramref name="normalizedShape"/>.</param>
    /// <param name="normalizedShape">The trailing dimensions to normalise over (at least one).</param>
    /// <param name="weight">The scale, of shape <paramref name="normalizedShape"/>, or null.</param>
    /// <param name="bias">The shift, of shape <paramref name="normalizedShape"/>, or null.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <exception cref="ArgumentException">The shapes do not match, or the input is not floating-point.</exception>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        string expected = Shape.Format(normalizedShape);
        if (normalizedShape.Length == 0)
            throw new ArgumentException("LayerNorm: normalizedShape must have at least one dimension.", nameof(normalizedShape));
        if (!input.DType.IsFloating())
            throw new ArgumentException($"LayerNorm: the input has dtype {input.DType}; it must be Float32 or Float64.", nameof(input));
        int k = normalizedShape.Length;
        int[] shape = input.shape;
        if (shape.Length < k || !shape.AsSpan(shape.Length - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: the input of shape {input.ShapeString} does not end in the normalized shape {expected}.", nameof(input));
        if (weight is not null && !weight.shape.AsSpan().SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: the weight has shape {weight.ShapeString}; it must be the normalized shape {expected}.", nameof(weight));
        if (bias is not null && !bias.shape.AsSpan().SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: the bias has shape {bias.ShapeString}; it must be the normalized shape {expected}.", nameof(bias));

        int n = 1;
        foreach (int s in normalizedShape) n *= s;
        int[] rows = [.. shape.AsSpan(0, shape.Length - k), n];
        var x = input.Reshape(rows);
        var centered = x - x.Mean(-1, keepDim: true);
        var variance = (centered * centered).Mean(-1, keepDim: true);
        var y = (centered / (variance + eps).Sqrt()).Reshape(shape);
        if (weight is not null) y *= weight;
        if (bias is not null) y += bias;
        return y;
    }

    /// <summary>
    /// A dropout mask (what <see cref="Dropout(Tensor, double, bool)"/> multiplies by): a new tensor whose elements are
    /// 0 with probability <paramref name="p"/> and 1/(1 − p) otherwise, drawn from <see cref="RandomGenerator"/>: one
    /// uniform double per element in row-major order, kept where it is ≥ p. So the same seed gives the same mask, for
    /// either floating dtype.
    /// </summary>
    /// <param name="shape">The mask's shape.</param>
    /// <param name="p">The probability of a zero, in [0, 1].</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or a dimension is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating-point.</exception>
    public static Tensor DropoutMask(int[] shape, double p, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        CheckProbability(p, "DropoutMask");
        if (!dtype.IsFloating()) throw new ArgumentException($"DropoutMask: the dtype must be Float32 or Float64, not {dtype}.", nameof(dtype));
        long count = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"DropoutMask: the shape {Shape.Format(shape)} has a negative dimension.");
            count *= s;
        }
        if (count > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(shape), $"DropoutMask: the shape {Shape.Format(shape)} has too many elements.");
        var u = new double[count];
        RandomGenerator.FillUniform(u);
        double scale = p < 1 ? 1 / (1 - p) : 0;
        var mask = Tensor.Empty(dtype, (int[])shape.Clone());
        if (dtype == DType.Float32)
        {
            var m = mask.StorageSpan<float>();
            for (int i = 0; i < u.Length; i++) m[i] = u[i] < p ? 0f : (float)scale;
        }
        else
        {
            var m = mask.StorageSpan<double>();
            for (int i = 0; i < u.Length; i++) m[i] = u[i] < p ? 0 : scale;
        }
        return mask;
    }

    /// <summary>
    /// Dropout (PyTorch's <c>dropout(x, p, training)</c>): when <paramref name="training"/>, each element is zeroed with
    /// probability <paramref name="p"/> and the others scaled by 1/(1 − p) (the input times
    /// <see cref="DropoutMask"/>, recorded as <c>MulBackward</c>); the input itself otherwise or when p = 0; zeros
    /// (input·0) when p = 1.
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor.</param>
    /// <param name="p">The probability of a zero, in [0, 1].</param>
    /// <param name="training">Whether to drop (false: the identity).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckProbability(p, "Dropout");
        if (!training || p == 0) return input;
        if (p == 1) return input * 0.0;
        var mask = DropoutMask(input.Shape.ToArray(), p, input.DType);
        return input * (input.Device.Type == DeviceType.Cpu ? mask : mask.To(input.Device));
    }

    internal static void CheckProbability(double p, string op)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, string.Create(CultureInfo.InvariantCulture, $"{op}: the probability p must be in [0, 1], got {p}."));
    }
}

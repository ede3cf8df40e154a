// Convolutional models: Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, Flatten and a reshape by the batch size, compiled into one graph node.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A small CNN as PyTorch's tutorials write it: Conv2d (3×3, padding 1), ReLU, 2×2 max pooling, a second Conv2d
/// without bias and without padding, Tanh, <c>Flatten</c> and a Linear head. Input [B, 1, 8, 8].
/// </summary>
public sealed partial class SmallConvNet : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 8;

    private readonly Conv2d conv1, conv2;
    private readonly MaxPool2d pool = new(2);
    private readonly Flatten flatten = new();
    private readonly Linear head;

    /// <summary>1 → 4 → 6 channels, 6·2·2 → 5.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public SmallConvNet(DType dtype = DType.Float32)
    {
        conv1 = new(1, 4, 3, padding: 1, dtype: dtype);
        conv2 = new(4, 6, 3, bias: false, dtype: dtype);
        head = new(6 * 2 * 2, 5, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = pool.Forward(Functional.Relu(conv1.Forward(x)));
        h = Functional.Tanh(conv2.Forward(h));
        return head.Forward(flatten.Forward(h));
    }
}

/// <summary>
/// A strided convolution (stride 2, padding 1) over two channels, an overlapping 3×3 max pooling with stride 2, a
/// grouped 1×1 convolution and a residual add, then <c>h.View(h.Shape[0], -1)</c> into a Linear head. Input [B, 2, 9, 9].
/// </summary>
public sealed partial class StridedConvNet : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 9;

    private readonly Conv2d stem, mix;
    private readonly MaxPool2d pool = new(3, stride: 2);
    private readonly Linear head;

    /// <summary>2 → 4 channels, 4·2·2 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public StridedConvNet(DType dtype = DType.Float32)
    {
        stem = new(2, 4, 3, stride: 2, padding: 1, dtype: dtype);
        mix = new(4, 4, 1, groups: 2, dtype: dtype);
        head = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = pool.Forward(Functional.Relu(stem.Forward(x)));
        h = h + Functional.Sigmoid(mix.Forward(h));
        return head.Forward(h.View(h.Shape[0], -1));
    }
}

/// <summary>
/// Conv2d without bias, BatchNorm2d (the batch's statistics in training, the running ones in evaluation), ReLU, 2×2
/// max pooling, Flatten and a Linear head: the block of the FashionMNIST sample's <c>cnn-bn</c>. Input [B, 1, 8, 8].
/// </summary>
public sealed partial class ConvBatchNormNet : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 8;

    private readonly Conv2d conv;
    private readonly BatchNorm2d norm;
    private readonly MaxPool2d pool = new(2);
    private readonly Flatten flatten = new();
    private readonly Linear head;

    /// <summary>1 → 4 channels, 4·4·4 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ConvBatchNormNet(DType dtype = DType.Float32)
    {
        conv = new(1, 4, 3, padding: 1, bias: false, dtype: dtype);
        norm = new(4, dtype: dtype);
        head = new(4 * 4 * 4, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) =>
        head.Forward(flatten.Forward(pool.Forward(Functional.Relu(norm.Forward(conv.Forward(x))))));
}

/// <summary>
/// How a ResNet ends: Conv2d, BatchNorm2d, ReLU, global average pooling (<c>AdaptiveAvgPool2d(1)</c>), Flatten and a
/// Linear head, whose input size the compiler knows (the pooled image is 1×1). Input [B, 3, 7, 7].
/// </summary>
public sealed partial class GlobalPoolConvNet : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 7;

    private readonly Conv2d conv;
    private readonly BatchNorm2d norm;
    private readonly AdaptiveAvgPool2d pool = new(1);
    private readonly Linear head;

    /// <summary>3 → 8 channels, 8 → 4.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public GlobalPoolConvNet(DType dtype = DType.Float32)
    {
        conv = new(3, 8, 3, padding: 1, dtype: dtype);
        norm = new(8, dtype: dtype);
        head = new(8, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => head.Forward(pool.Forward(Functional.Relu(norm.Forward(conv.Forward(x)))).Flatten(1));
}

/// <summary>
/// Average pooling both ways: a strided <c>AvgPool2d</c> with padding left out of the divisor and PyTorch's ceil mode,
/// then <c>AdaptiveAvgPool2d(2, 3)</c>, whose cells overlap on a 5×5 image (rows 0–2 and 2–4; columns 0–1, 1–3 and
/// 3–4), so the compiler knows the flattened size the head takes. Input [B, 2, 9, 9].
/// </summary>
public sealed partial class AveragePoolConvNet : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 9;

    private readonly Conv2d conv;
    private readonly AvgPool2d pool = new(3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true);
    private readonly Conv2d mix;
    private readonly AdaptiveAvgPool2d cells = new(2, 3);
    private readonly Linear head;

    /// <summary>2 → 4 channels, a 1×1 mix of the 4, 4·2·3 → 5.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public AveragePoolConvNet(DType dtype = DType.Float32)
    {
        conv = new(2, 4, 3, padding: 1, dtype: dtype);
        mix = new(4, 4, 1, dtype: dtype);
        head = new(4 * 2 * 3, 5, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) =>
        head.Forward(cells.Forward(mix.Forward(pool.Forward(Functional.Relu(conv.Forward(x))))).Flatten(1));
}

/// <summary>
/// A ResNet's basic block without normalisation: two 3×3 convolutions (padding 1, so the image keeps its size) and the
/// block's input added before the last ReLU, <c>relu(conv2(relu(conv1(h))) + h)</c>, which the planner runs as the
/// epilogue of <c>conv2</c> (the residual read as each output element is written); then global average pooling and a
/// Linear head. Input [B, 2, 6, 6].
/// </summary>
public sealed partial class ResidualConvBlock : Module
{
    /// <summary>The input's side.</summary>
    public const int Side = 6;

    private readonly Conv2d stem, conv1, conv2;
    private readonly AdaptiveAvgPool2d pool = new(1);
    private readonly Linear head;

    /// <summary>2 → 4 channels, a residual block of 4, 4 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ResidualConvBlock(DType dtype = DType.Float32)
    {
        stem = new(2, 4, 3, padding: 1, dtype: dtype);
        conv1 = new(4, 4, 3, padding: 1, dtype: dtype);
        conv2 = new(4, 4, 3, padding: 1, dtype: dtype);
        head = new(4, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(stem.Forward(x));
        h = Functional.Relu(conv2.Forward(Functional.Relu(conv1.Forward(h))) + h);
        return head.Forward(pool.Forward(h).Flatten(1));
    }
}

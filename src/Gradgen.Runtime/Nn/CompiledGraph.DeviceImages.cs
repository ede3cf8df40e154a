namespace Gradgen.Nn;

/// <summary>
/// The compiled graph's convolution and pooling steps on an accelerator. The forward steps call the same functional
/// operations as on the CPU, which run the device compositions there (<see cref="DeviceWindows"/>). A layer's
/// gradients are those compositions' own: the layer is run again on detached leaves and <c>g</c> is backpropagated
/// through it, so the operations' rule-table VJPs give them and no derivative is written here. That costs one more
/// forward of the layer in the backward. Max pooling keeps its forward's positions instead, as on the CPU.
/// </summary>
public static partial class CompiledGraph
{
    /// <summary>
    /// The gradients of <paramref name="layer"/> at <paramref name="inputs"/> for the output gradient
    /// <paramref name="g"/>, where <paramref name="wanted"/> says; null elsewhere.
    /// </summary>
    private static Tensor?[] GradientsThroughLayer(Func<Tensor[], Tensor> layer, Tensor g, Tensor[] inputs, bool[] wanted)
    {
        var leaves = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            leaves[i] = inputs[i].Detach();
            leaves[i].RequiresGrad = wanted[i];
        }

        using (Autograd.EnableGrad())
        {
            var y = layer(leaves);
            y.Backward(g.DType == y.DType ? g : g.To(y.DType));
        }

        var gradients = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            gradients[i] = wanted[i] ? leaves[i].Grad ?? Tensor.ZerosLike(leaves[i]) : null;
        }

        return gradients;
    }

    /// <summary><see cref="Conv2dGradients"/> on a device: through the convolution's device composition (a zero bias stands in for the bias, whose gradient does not depend on it).</summary>
    private static Tensor?[] DeviceConv2dGradients(Tensor g, Tensor x, Tensor weight, Conv2d module, bool input, bool weights, bool bias)
    {
        var zeroBias = Tensor.Zeros([weight.Shape[0]], x.DType, x.Device);
        return GradientsThroughLayer(
            t => Functional.Conv2d(t[0], t[1], t[2], module.Stride, module.Padding, module.Dilation, module.Groups),
            g, [x, weight, zeroBias], [input, weights, bias]);
    }

    /// <summary><see cref="MaxPool2dGradient"/> on a device: <paramref name="g"/> added at the plane positions of <see cref="DeviceWindows.MaxPool2dWithPositions"/> (the gather rule).</summary>
    private static Tensor DeviceMaxPool2dGradient(Tensor g, Tensor positions, Tensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], plane = x.Shape[2] * x.Shape[3];
        // One more position per plane: where a window whose taps are all −∞ took the padding (it adds nothing to x).
        var gradient = EagerVjps.Gathered([n, c, plane + 1], 2, positions.Reshape(n, c, -1), g.Reshape(n, c, -1));
        return gradient.Narrow(2, 0, plane).Reshape([.. x.Shape]);
    }
}

namespace Gradgen.Nn;

/// <summary>
/// The compiled graph's average pooling steps: the kernel eager <see cref="Nn.AvgPool2d"/> and
/// <see cref="Nn.AdaptiveAvgPool2d"/> run, on detached tensors, and its gradient, which the rule table names for the
/// backward. The windows are read from the module, so a compiled graph always agrees with its Forward.
/// </summary>
public static partial class CompiledGraph
{
    /// <summary>2-D average pooling of <paramref name="x"/> [N, C, H, W] with the module's window, padding, ceil mode and divisor.</summary>
    /// <param name="x">The images.</param>
    /// <param name="module">The layer whose windows the graph applies.</param>
    /// <returns>[N, C, OH, OW].</returns>
    /// <exception cref="ArgumentException">The window does not fit the input, with the values.</exception>
    public static Tensor AvgPool2d(Tensor x, AvgPool2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Functional.AvgPool2d(x, module.KernelSize, module.Stride, module.Padding, module.CountIncludePad, module.CeilMode, module.DivisorOverride);
    }

    /// <summary>2-D adaptive average pooling of <paramref name="x"/> [N, C, H, W] to the module's output size.</summary>
    /// <param name="x">The images.</param>
    /// <param name="module">The layer whose output size the graph applies.</param>
    /// <returns>[N, C, OutputH, OutputW].</returns>
    /// <exception cref="ArgumentException">The input is not images, with its shape.</exception>
    public static Tensor AvgPool2d(Tensor x, AdaptiveAvgPool2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Functional.AdaptiveAvgPool2d(x, module.OutputH, module.OutputW);
    }

    /// <summary>The gradient of <see cref="AvgPool2d(Tensor, Nn.AvgPool2d)"/>: each output's gradient, divided as the forward divided, spread over its window.</summary>
    /// <param name="g">The pooled output's gradient [N, C, OH, OW].</param>
    /// <param name="x">The pooling's input (its shape).</param>
    /// <param name="module">The layer whose windows the graph applied.</param>
    /// <returns>A tensor shaped like <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException">The gradient is not shaped like the pooling's output, with both shapes.</exception>
    public static Tensor AvgPool2dGradient(Tensor g, Tensor x, AvgPool2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckImages(g, x, "AvgPool2d");
        if (!IsCpu(x))
        {
            return GradientsThroughLayer(t => AvgPool2d(t[0], module), g, [x], [true])[0]!;
        }

        var windows = AverageWindows.Strided(x.Shape[2], x.Shape[3], module.KernelSize, module.Stride, module.Padding, module.CeilMode, module.CountIncludePad, module.DivisorOverride);
        return AvgPoolKernel.Gradient(g.DType == x.DType ? g : g.ToDTypeData(x.DType), windows, [.. x.Shape]);
    }

    /// <summary>The gradient of <see cref="AvgPool2d(Tensor, Nn.AdaptiveAvgPool2d)"/>: each output's gradient, divided by its cell's size, spread over the cell.</summary>
    /// <param name="g">The pooled output's gradient [N, C, OutputH, OutputW].</param>
    /// <param name="x">The pooling's input (its shape).</param>
    /// <param name="module">The layer whose output size the graph applied.</param>
    /// <returns>A tensor shaped like <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException">The gradient is not shaped like the pooling's output, with both shapes.</exception>
    public static Tensor AvgPool2dGradient(Tensor g, Tensor x, AdaptiveAvgPool2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckImages(g, x, "AdaptiveAvgPool2d");
        if (!IsCpu(x))
        {
            return GradientsThroughLayer(t => AvgPool2d(t[0], module), g, [x], [true])[0]!;
        }

        var windows = AverageWindows.Adaptive(x.Shape[2], x.Shape[3], module.OutputH, module.OutputW);
        return AvgPoolKernel.Gradient(g.DType == x.DType ? g : g.ToDTypeData(x.DType), windows, [.. x.Shape]);
    }

    static void CheckImages(Tensor g, Tensor x, string op)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Ndim != 4)
        {
            throw new ArgumentException($"{op}: the compiled graph takes [N, C, H, W], got shape {x.ShapeString}.", nameof(x));
        }
    }
}

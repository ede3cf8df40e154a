using System.ComponentModel;

namespace Gradgen.Nn;

/// <summary>
/// The activations a device matrix product fuses as its epilogue (compiled models, and Linear for inference); the
/// values are the codes <c>Kernels/Gemm.cu</c> switches on.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum CompiledActivation
{
    /// <summary>The layer's output is used as it is.</summary>
    None = 0,

    /// <summary>max(z, 0).</summary>
    Relu = 1,

    /// <summary>1 / (1 + e^−z).</summary>
    Sigmoid = 2,

    /// <summary>tanh(z).</summary>
    Tanh = 3,
}

/// <summary>
/// One layer's activation for a compiled model on a device: fused into the layer's matrix product as its epilogue,
/// and its derivative from the output in the generator's CUDA C: the device function <c>{Kernel}_element(y, gradOutput)</c>,
/// the epilogue of the product that carries the gradient into this layer, and for an output layer the kernel
/// <c>{Kernel}_forward(y, gradOutput, result, n)</c>.
/// </summary>
/// <param name="Activation">The activation.</param>
/// <param name="Kernel">The name of the generated derivative function (<c>{Kernel}_element</c>, <c>{Kernel}_forward</c>), or null for none.</param>
/// <param name="CudaSource">The generated CUDA C that defines it, or null for none.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct DeviceLayerActivation(CompiledActivation Activation, string? Kernel, string? CudaSource);

/// <summary>
/// A compiled model on an accelerator: each layer one device matrix product with its bias and activation fused
/// (<c>Kernels/Gemm.cu</c>), one graph node whose backward takes each layer's gradients from
/// <see cref="ProductGradients"/> (dW = dZᵀ·X and dX = dZ·W with transposed operands read in place, the bias gradient
/// a row sum). Each hidden activation's derivative is the epilogue of the product that carries the gradient into it
/// (dZ' = (dZ·W) ⊙ act′(Y), the generated element function compiled into Gemm.cu's gradient product), as on the CPU;
/// only the output layer's activation, if any, launches its generated derivative kernel on its own.
/// </summary>
internal static class DeviceCompiledModel
{
    public static bool CanRun(Tensor input, Linear[] layers)
    {
        if (input.Device.Type == DeviceType.Cpu || input.DType != DType.Float32 || input.Ndim != 2 || layers.Length == 0)
        {
            return false;
        }

        int width = input.Shape[1];
        foreach (var layer in layers)
        {
            if (layer is null || layer.InFeatures != width || layer.Weight.DType != DType.Float32 || layer.Weight.Device != input.Device
                || (layer.Bias is { } bias && bias.Device != input.Device))
            {
                return false;
            }

            width = layer.OutFeatures;
        }

        return true;
    }

    public static Tensor Run(string name, Tensor input, Linear[] layers, DeviceLayerActivation[] activations)
    {
        if (activations.Length != layers.Length)
        {
            throw new ArgumentException($"RunOnDevice: {layers.Length} layers but {activations.Length} activations.", nameof(activations));
        }

        var device = input.Device;
        int rows = input.Shape[0];
        var inputs = new List<Tensor> { input };
        var x = Whole(input.Detach(), name);
        var layerInputs = new Tensor[layers.Length];
        var outputs = new Tensor[layers.Length];
        var weights = new Tensor[layers.Length];
        for (int l = 0; l < layers.Length; l++)
        {
            var layer = layers[l];
            inputs.Add(layer.Weight);
            if (layer.Bias is not null)
            {
                inputs.Add(layer.Bias);
            }

            weights[l] = Whole(layer.Weight.Detach(), name);
            var bias = layer.Bias is null ? null : Whole(layer.Bias.Detach(), name);
            var y = Tensor.EmptyOn(device, DType.Float32, [rows, layer.OutFeatures]);
            DeviceMatMul.Gemm(false, true, rows, layer.OutFeatures, layer.InFeatures, x, layer.InFeatures, weights[l], layer.InFeatures, y, bias, activations[l].Activation);
            layerInputs[l] = x;
            outputs[l] = y;
            x = y;
        }

        var all = inputs.ToArray();
        if (Autograd.Recording(all))
        {
            x.WithHistory(new DeviceCompiledModelBackward(name, all, layers, activations, layerInputs, outputs, weights));
        }

        return x;
    }

    internal static Tensor Whole(Tensor t, string op) => DeviceData.IsWhole(t) ? t : DeviceData.Copy(t, DType.Float32, op);
}

/// <summary>The graph node of <see cref="DeviceCompiledModel"/>.</summary>
internal sealed class DeviceCompiledModelBackward : GradFn
{
    private readonly string name;
    private readonly int[] inputShape;
    private readonly Linear[] layers;
    private readonly DeviceLayerActivation[] activations;
    private readonly (int Weight, int Bias)[] slots;
    private Tensor[]? layerInputs, outputs, weights;

    public DeviceCompiledModelBackward(string name, Tensor[] inputs, Linear[] layers, DeviceLayerActivation[] activations, Tensor[] layerInputs, Tensor[] outputs, Tensor[] weights)
    {
        this.name = name;
        this.layers = layers;
        this.activations = activations;
        this.layerInputs = layerInputs;
        this.outputs = outputs;
        this.weights = weights;
        inputShape = inputs[0].Shape.ToArray();
        slots = new (int, int)[layers.Length];
        int slot = 1;
        for (int l = 0; l < layers.Length; l++)
        {
            slots[l] = (slot, layers[l].Bias is null ? -1 : slot + 1);
            slot += layers[l].Bias is null ? 1 : 2;
        }

        SetInputs(inputs);
        // What the backward reads: the input (for the first weight's gradient) and every weight (for the gradients below it).
        versions = SaveInputs(inputs, [0, .. Array.ConvertAll(slots, s => s.Weight)]);
    }

    private SavedTensor[] versions;

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xs = layerInputs ?? throw FreedError();
        CheckSaved(versions);
        var ys = outputs!;
        var ws = weights!;
        var g = DeviceCompiledModel.Whole(grad.DType == DType.Float32 ? grad : grad.To(DType.Float32), name);
        int rows = g.Shape[0];
        var device = g.Device;
        // g is the gradient of layer l's output: after its activation for the output layer, before it (dz) for every
        // layer below, whose activation's derivative the product that made g applied.
        int last = layers.Length - 1;
        for (int l = last; l >= 0; l--)
        {
            int outWidth = layers[l].OutFeatures;
            var dz = g;
            if (l == last && activations[l] is { Activation: not CompiledActivation.None } activation)
            {
                // The output layer's activation: its generated derivative kernel, one elementwise pass.
                dz = Tensor.EmptyOn(device, DType.Float32, [rows, outWidth]);
                var backend = ((DeviceStorage)dz.storage).Backend;
                backend.LaunchElementwise(Source(activation, l), activation.Kernel + "_forward", [ys[l].DeviceBuffer(name), g.DeviceBuffer(name), dz.DeviceBuffer(name)], dz.NumElements);
            }

            var (weightSlot, biasSlot) = slots[l];
            if (Needs(weightSlot))
            {
                inputGrads[weightSlot] = ProductGradients.AcrossRows(dz, xs[l]);
            }

            if (biasSlot >= 0 && Needs(biasSlot))
            {
                inputGrads[biasSlot] = ProductGradients.ColumnSums(dz);
            }

            if (l > 0 || Needs(0))
            {
                // dz of the layer below = (dz·W) ⊙ act′(its output), the derivative fused into this product.
                g = l > 0 && activations[l - 1] is { Activation: not CompiledActivation.None } previous
                    ? ProductGradients.Times(dz, ws[l], new DeviceDerivative(Source(previous, l - 1), previous.Kernel!, ys[l - 1]))
                    : ProductGradients.Times(dz, ws[l], transposeB: false);
            }
        }

        if (Needs(0))
        {
            inputGrads[0] = g.Reshape(inputShape);
        }
    }

    private string Source(DeviceLayerActivation activation, int layer) =>
        activation.Kernel is not null && activation.CudaSource is not null
            ? activation.CudaSource
            : throw new InvalidOperationException($"{name}: layer {layer}'s {activation.Activation} has no derivative kernel.");

    internal override void ReleaseSaved()
    {
        layerInputs = null;
        versions = [];
        outputs = null;
        weights = null;
    }
}

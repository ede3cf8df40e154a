using System.ComponentModel;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// Computes a compiled model's input gradients and the gradients of its parameters from the gradient of its output;
/// <paramref name="inputGrads"/> has one slot per tensor given to <see cref="CompiledModel.Record"/>, and
/// <paramref name="needed"/> says which ones to fill.
/// </summary>
/// <param name="gradOutput">The gradient of the model's output, contiguous Float32.</param>
/// <param name="inputGrads">The slots to fill.</param>
/// <param name="needed">Which slots are needed.</param>
public delegate void CompiledBackward(Tensor gradOutput, Tensor?[] inputGrads, bool[] needed);

/// <summary>A generated elementwise loop over two inputs and one output of one length (see <see cref="CompiledModel.RunKernel"/>).</summary>
/// <param name="a">The first input.</param>
/// <param name="b">The second input.</param>
/// <param name="result">The output.</param>
public delegate void CompiledKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result);

/// <summary>
/// What the source generator's compiled models call: the fused layers of a <c>partial</c> class deriving from
/// <see cref="Module"/> run as matrix products plus generated elementwise kernels, and the whole model is one graph
/// node whose backward the generator wrote. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CompiledModel
{
    /// <summary>
    /// Whether the compiled path applies: a 2-D Float32 CPU input whose width is the first layer's input size, and
    /// Float32 layers whose sizes chain. Otherwise <see cref="Module.Call"/> runs <see cref="Module.Forward"/>, which
    /// raises the usual errors for wrong shapes.
    /// </summary>
    /// <param name="input">The model's input.</param>
    /// <param name="layers">The model's linear layers, in order.</param>
    /// <returns>Whether the compiled kernels can run.</returns>
    public static bool CanRun(Tensor input, params Linear[] layers)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.Float32 || input.Ndim != 2 || input.Device != Device.Cpu || layers.Length == 0)
        {
            return false;
        }

        int width = input.Shape[1];
        foreach (var layer in layers)
        {
            if (layer is null || layer.Weight.DType != DType.Float32 || layer.InFeatures != width || layer.Weight.Device != Device.Cpu)
            {
                return false;
            }

            width = layer.OutFeatures;
        }

        return true;
    }

    /// <summary>
    /// Whether the device path applies: a 2-D Float32 input on an accelerator, with every layer's parameters on the
    /// same device and sizes that chain.
    /// </summary>
    /// <param name="input">The model's input.</param>
    /// <param name="layers">The model's linear layers, in order.</param>
    /// <returns>Whether <see cref="RunOnDevice"/> can run.</returns>
    public static bool CanRunOnDevice(Tensor input, params Linear[] layers)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(layers);
        return DeviceCompiledModel.CanRun(input, layers);
    }

    /// <summary>
    /// Runs a compiled model on the device its input is on: each layer one device matrix product with the bias and
    /// the activation fused, and one graph node named <paramref name="name"/> whose backward runs the products of the
    /// gradients, each hidden activation's generated derivative fused into the product that reaches it (only an
    /// output layer's activation launches its derivative kernel on its own).
    /// </summary>
    /// <param name="name">The node's name.</param>
    /// <param name="input">The model's input, accepted by <see cref="CanRunOnDevice"/>.</param>
    /// <param name="layers">The model's linear layers, in order.</param>
    /// <param name="activations">Each layer's activation and its generated derivative (CUDA C).</param>
    /// <returns>The model's output, on the input's device.</returns>
    public static Tensor RunOnDevice(string name, Tensor input, Linear[] layers, DeviceLayerActivation[] activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (!CanRunOnDevice(input, layers))
        {
            throw new ArgumentException($"RunOnDevice: input of shape {input.Shape} and dtype {input.DType} on {input.Device} does not fit the layers, or they are not on its device.", nameof(input));
        }

        return DeviceCompiledModel.Run(name, input, layers, activations);
    }

    /// <summary>
    /// Whether <paramref name="modules"/> holds exactly modules of <paramref name="types"/>, in order: a compiled
    /// model reads the layers of a <see cref="Sequential"/> or <see cref="ModuleList{T}"/> field it saw created, and
    /// runs <see cref="Module.Forward"/> instead if the list was changed since (<see cref="Sequential.Add"/>).
    /// </summary>
    /// <param name="modules">The model's Sequential or ModuleList field.</param>
    /// <param name="types">The type of each element the generator saw.</param>
    /// <returns>Whether the compiled path still describes it.</returns>
    public static bool HasModules(IReadOnlyList<Module>? modules, params Type[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (modules is null || modules.Count != types.Length)
        {
            return false;
        }

        for (int i = 0; i < types.Length; i++)
        {
            if (modules[i].GetType() != types[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether every layer is narrow enough (at most 16 features in and out, like the seed's 2-2-1 perceptron) for
    /// <see cref="RunNarrow{TActivations}"/>, which runs the whole model as one pass over the rows.
    /// </summary>
    /// <param name="layers">The model's linear layers, in order.</param>
    /// <returns>Whether the narrow path applies.</returns>
    public static bool IsNarrow(params Linear[] layers) => NarrowModel.Fits(layers);

    /// <summary>
    /// Runs a model of narrow layers (<see cref="IsNarrow"/>) on <paramref name="input"/> as one fused pass over the
    /// rows, with each layer's activation from <typeparamref name="TActivations"/> inlined, and records one graph node
    /// named <paramref name="name"/> whose backward is one more pass that yields every gradient.
    /// </summary>
    /// <typeparam name="TActivations">The model's generated activations.</typeparam>
    /// <param name="name">The node's name (<c>MultiLayerPerceptronBackward</c>).</param>
    /// <param name="input">The model's input, accepted by <see cref="CanRun"/>.</param>
    /// <param name="layers">The model's linear layers, in order.</param>
    /// <returns>The model's output, <c>[batch, last layer's outputs]</c>.</returns>
    public static Tensor RunNarrow<TActivations>(string name, Tensor input, params Linear[] layers)
        where TActivations : ILayerActivations
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(layers);
        if (!CanRun(input, layers) || !IsNarrow(layers))
        {
            throw new ArgumentException($"RunNarrow: input of shape {input.Shape} and dtype {input.DType} on {input.Device} does not fit layers of widths [{string.Join(", ", layers.Select(l => $"{l?.InFeatures}→{l?.OutFeatures}"))}] (at most {NarrowModel.MaxWidth} features each).", nameof(input));
        }

        return NarrowModel.Run<TActivations>(name, input, layers);
    }

    /// <summary>The input as a contiguous tensor outside the graph (the compiled node records the graph itself).</summary>
    /// <param name="input">The model's input.</param>
    /// <returns>A contiguous Float32 tensor sharing data with the input where it can.</returns>
    public static Tensor Prepare(Tensor input) => input.Detach().ContiguousData();

    /// <summary>z = x·Wᵀ + b as one packed matrix product, the bias added as C is written.</summary>
    /// <param name="x">The layer's input, contiguous <c>[batch, in]</c>.</param>
    /// <param name="layer">The layer.</param>
    /// <returns>A new contiguous <c>[batch, out]</c> tensor.</returns>
    public static Tensor Linear(Tensor x, Linear layer) => Linear<IdentityEpilogue>(x, layer);

    /// <summary>
    /// y = act(x·Wᵀ + b) as one packed matrix product: the bias added and <typeparamref name="TEpilogue"/> (the
    /// layer's generated activation) applied to each tile of C as it is written, so z is never stored.
    /// </summary>
    /// <typeparam name="TEpilogue">The activation.</typeparam>
    /// <param name="x">The layer's input, contiguous <c>[batch, in]</c>.</param>
    /// <param name="layer">The layer.</param>
    /// <returns>A new contiguous <c>[batch, out]</c> tensor.</returns>
    public static Tensor Linear<TEpilogue>(Tensor x, Linear layer)
        where TEpilogue : IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Linear<TEpilogue>(x, layer.Weight, layer.Bias);
    }

    /// <summary>
    /// act(x·Wᵀ + b) for a weight and bias given as tensors (a compiled graph's Linear nodes); an epilogue that
    /// <see cref="IGemmEpilogue.ReadsOther"/> reads <paramref name="other"/>, contiguous <c>[batch, out]</c>, at each position.
    /// </summary>
    internal static Tensor Linear<TEpilogue>(Tensor x, Tensor weightTensor, Tensor? biasParameter, Tensor? other = null)
        where TEpilogue : IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(x);
        int batch = x.Shape[0], inFeatures = weightTensor.Shape[1], outFeatures = weightTensor.Shape[0];
        var z = Tensor.Empty(DType.Float32, [batch, outFeatures]);
        var weight = weightTensor.ContiguousData();
        var biasTensor = biasParameter?.ContiguousData();
        ReadOnlySpan<float> bias = biasTensor is null ? default : biasTensor.Elements<float>();
        if (IsTiny(inFeatures, outFeatures))
        {
            var values = z.Elements<float>();
            TinyLinear(x.Elements<float>(), weight.Elements<float>(), bias, values, inFeatures, outFeatures);
            ReadOnlySpan<float> others = TEpilogue.ReadsOther ? other!.Elements<float>() : default;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = TEpilogue.ReadsOther ? TEpilogue.Apply(values[i], others[i]) : TEpilogue.Apply(values[i]);
            }
        }
        else if (TEpilogue.ReadsOther)
        {
            Gemm.Multiply<TEpilogue>(false, true, batch, outFeatures, inFeatures, 1f, x.Elements<float>(), inFeatures, weight.Elements<float>(), inFeatures, 0f, z.Elements<float>(), outFeatures, bias, other!.Elements<float>(), outFeatures);
        }
        else
        {
            Gemm.Multiply<TEpilogue>(false, true, batch, outFeatures, inFeatures, 1f, x.Elements<float>(), inFeatures, weight.Elements<float>(), inFeatures, 0f, z.Elements<float>(), outFeatures, bias);
        }

        // The spans above do not expose the storages (Tensor.Elements): the tensors stay reachable until here.
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        GC.KeepAlive(biasTensor);
        GC.KeepAlive(other);
        return z;
    }

    /// <summary>
    /// Runs a generated elementwise kernel over three contiguous Float32 tensors of one size (two inputs, one output)
    /// inside the runtime's kernel scope: the spans it gets do not expose the tensors' storages, so cached arrays of a
    /// compiled model's activations and gradients go back to the storage cache once unreachable.
    /// </summary>
    /// <param name="a">The first input.</param>
    /// <param name="b">The second input.</param>
    /// <param name="result">The output.</param>
    /// <param name="kernel">The generated loop.</param>
    public static void RunKernel(Tensor a, Tensor b, Tensor result, CompiledKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        using (new KernelScope([a, b, result]))
        {
            kernel(a.AsSpan<float>(), b.AsSpan<float>(), result.AsSpan<float>());
        }

        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(result);
    }

    /// <summary>A new contiguous Float32 tensor of <paramref name="like"/>'s shape.</summary>
    /// <param name="like">The tensor whose shape to take.</param>
    /// <returns>An uninitialised tensor.</returns>
    public static Tensor EmptyLike(Tensor like) => Tensor.Empty(DType.Float32, like.Shape.ToArray());

    /// <summary>dW = dZᵀ·X: the weight gradient of a layer whose output gradient is <paramref name="dz"/> and input <paramref name="x"/> (see <see cref="ProductGradients.AcrossRows"/>).</summary>
    /// <param name="dz">The gradient of the layer's pre-activation output, <c>[batch, out]</c>.</param>
    /// <param name="x">The layer's input, <c>[batch, in]</c>.</param>
    /// <returns>A new <c>[out, in]</c> tensor.</returns>
    public static Tensor WeightGradient(Tensor dz, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(dz);
        ArgumentNullException.ThrowIfNull(x);
        return ProductGradients.AcrossRows(dz, x);
    }

    /// <summary>db = the column sums of <paramref name="dz"/> (see <see cref="ProductGradients.ColumnSums(Tensor)"/>).</summary>
    /// <param name="dz">The gradient of the layer's pre-activation output, <c>[batch, out]</c>.</param>
    /// <returns>A new <c>[out]</c> tensor.</returns>
    public static Tensor BiasGradient(Tensor dz)
    {
        ArgumentNullException.ThrowIfNull(dz);
        return ProductGradients.ColumnSums(dz);
    }

    /// <summary>dX = dZ·W: the gradient of a layer's input.</summary>
    /// <param name="dz">The gradient of the layer's pre-activation output, <c>[batch, out]</c>.</param>
    /// <param name="layer">The layer.</param>
    /// <returns>A new <c>[batch, in]</c> tensor.</returns>
    public static Tensor InputGradient(Tensor dz, Linear layer) => InputGradient<IdentityEpilogue>(dz, layer, null);

    /// <summary>
    /// dZ' = (dZ·W) ⊙ act′(Y) as one matrix product: the gradient of this layer's input carried straight through the
    /// previous layer's activation, whose derivative <typeparamref name="TGradient"/> (the generated
    /// <c>{Activation}GradientEpilogue</c>) computes from that activation's output <paramref name="activation"/> as
    /// each tile is written, so dY·W is never stored (see <see cref="ProductGradients.Times{TGradient}"/>).
    /// </summary>
    /// <typeparam name="TGradient">The activation's derivative from its output, an epilogue that reads a second matrix.</typeparam>
    /// <param name="dz">The gradient of the layer's pre-activation output, <c>[batch, out]</c>.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="activation">The previous layer's activation output (this layer's input), contiguous <c>[batch, in]</c>; null for an epilogue that reads none.</param>
    /// <returns>A new <c>[batch, in]</c> tensor: the gradient of the previous layer's pre-activation output.</returns>
    public static Tensor InputGradient<TGradient>(Tensor dz, Linear layer, Tensor? activation)
        where TGradient : IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(dz);
        ArgumentNullException.ThrowIfNull(layer);
        if (TGradient.ReadsOther && activation is null)
        {
            throw new ArgumentNullException(nameof(activation), $"InputGradient<{typeof(TGradient).Name}>: the epilogue reads the activation's output, but none was given.");
        }

        return ProductGradients.Times<TGradient>(dz, layer.Weight, activation);
    }

    /// <summary>
    /// Attaches one graph node named <paramref name="name"/> to <paramref name="output"/> when any input requires a
    /// gradient and recording is on; its backward is <paramref name="backward"/>.
    /// </summary>
    /// <param name="name">The node's name (<c>MultiLayerPerceptronBackward</c>).</param>
    /// <param name="output">The model's output, computed outside the graph.</param>
    /// <param name="inputs">The model's input, then its parameters, in the order <paramref name="backward"/> fills them.</param>
    /// <param name="backward">The generated backward.</param>
    /// <param name="read">The slots whose values the backward reads (the input and the weights): an in-place change of one before the backward is PyTorch's "modified by an inplace operation" error.</param>
    /// <returns><paramref name="output"/>.</returns>
    public static Tensor Record(string name, Tensor output, Tensor[] inputs, CompiledBackward backward, params int[] read)
    {
        if (Autograd.Recording(inputs))
        {
            output.WithHistory(new CompiledModelBackward(name, inputs, backward, read: read));
        }

        return output;
    }

    // A handful of weights: plain loops over the rows (ProductGradients says when, and why).
    private static bool IsTiny(int inFeatures, int outFeatures) => ProductGradients.IsTiny(inFeatures, outFeatures);

    private static void TinyLinear(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, int inFeatures, int outFeatures)
    {
        int rows = x.Length / inFeatures;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * inFeatures, inFeatures);
            var outRow = z.Slice(r * outFeatures, outFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                float sum = bias.IsEmpty ? 0 : bias[o];
                var weights = w.Slice(o * inFeatures, inFeatures);
                for (int i = 0; i < inFeatures; i++)
                {
                    sum = MathF.FusedMultiplyAdd(row[i], weights[i], sum);
                }

                outRow[o] = sum;
            }
        }
    }
}

/// <summary>The one graph node of a compiled model.</summary>
internal sealed class CompiledModelBackward : GradFn
{
    private readonly string name;
    private readonly DType dtype;
    private CompiledBackward? backward;

    /// <param name="name">The node's name.</param>
    /// <param name="inputs">The model's input and parameters.</param>
    /// <param name="backward">The generated backward.</param>
    /// <param name="dtype">The dtype the backward expects its incoming gradient in.</param>
    /// <param name="read">The inputs whose values the backward reads: a later in-place change of one is an error, as PyTorch's saved tensors.</param>
    /// <param name="temporaries">Forward values only the backward holds: their memory goes back to the storage cache when the node frees what it saved.</param>
    public CompiledModelBackward(string name, Tensor[] inputs, CompiledBackward backward, DType dtype = DType.Float32, int[]? read = null, Tensor[]? temporaries = null)
    {
        this.name = name;
        this.dtype = dtype;
        this.backward = backward;
        SetInputs(inputs);
        versions = read is null ? [] : SaveInputs(inputs, read);
        this.temporaries = temporaries ?? [];
    }

    private SavedTensor[] versions;
    private Tensor[] temporaries;

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var run = backward ?? throw FreedError();
        CheckSaved(versions);

        var needed = new bool[inputGrads.Length];
        for (int i = 0; i < needed.Length; i++)
        {
            needed[i] = Needs(i);
        }

        var grads = new Tensor?[inputGrads.Length];
        run(grad.DType == dtype ? grad.ContiguousData() : grad.ToDTypeData(dtype), grads, needed);
        for (int i = 0; i < grads.Length; i++)
        {
            if (needed[i])
            {
                inputGrads[i] = grads[i];
            }
        }
    }

    // The activations live in the backward closure; dropping it frees them, as PyTorch frees saved tensors.
    internal override void ReleaseSaved()
    {
        backward = null;
        versions = [];
        foreach (var temporary in temporaries)
        {
            temporary.storage.Release();
        }

        temporaries = [];
    }
}

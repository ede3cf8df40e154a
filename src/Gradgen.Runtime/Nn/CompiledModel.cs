using System.ComponentModel;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// Computes a compiled model's input gradients and the gradients of its parameters from the gradient of its output;
/// <paramref name="inputGrads"/> has one slot per tensor given to <see cref="CompiledGraph.Record"/>, and
/// <paramref name="needed"/> says which ones to fill.
/// </summary>
/// <param name="gradOutput">The gradient of the model's output, contiguous Float32.</param>
/// <param name="inputGrads">The slots to fill.</param>
/// <param name="needed">Which slots are needed.</param>
public delegate void CompiledBackward(Tensor gradOutput, Tensor?[] inputGrads, bool[] needed);

/// <summary>
/// What the source generator's compiled models call besides <see cref="CompiledGraph"/>: the strategy a chain of
/// narrow <see cref="Linear"/> layers and activations tries before its general plan (one pass over the rows), and the
/// check that a Sequential field still holds what was compiled. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CompiledModel
{
    /// <summary>
    /// Whether the narrow strategy may run (when <see cref="IsNarrow"/> too): a 2-D Float32 CPU input whose width is the
    /// first layer's input size, and Float32 layers whose sizes chain. Otherwise the model's general plan runs, or
    /// <see cref="Module.Forward"/>, which raises the usual errors for wrong shapes.
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
    internal static Tensor Prepare(Tensor input) => input.Detach().ContiguousData();
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

namespace Gradgen;

/// <summary>
/// The forward kernel of a fused elementwise function (what the generator emits for a <c>[Differentiable]</c> scalar
/// function): fills <paramref name="output"/> from <paramref name="inputs"/>. Every tensor is contiguous, of the
/// function's dtype and of the output's shape, so <c>AsSpan&lt;T&gt;()</c> gives the elements in the same order.
/// </summary>
/// <param name="inputs">The inputs, broadcast to the output's shape.</param>
/// <param name="output">The result to write.</param>
public delegate void ElementwiseForward(ReadOnlySpan<Tensor> inputs, Tensor output);

/// <summary>
/// The backward kernel of a fused elementwise function: writes <c>inputGrads[i] = gradOutput · ∂f/∂inputs[i]</c> for
/// every input (the generator's <c>FBackward</c>). Every tensor is contiguous, of the function's dtype and shape.
/// </summary>
/// <param name="inputs">The inputs, broadcast to the output's shape, as they were in the forward pass.</param>
/// <param name="output">The forward result, for rules that reuse it (d exp = g·y).</param>
/// <param name="gradOutput">The gradient of the output.</param>
/// <param name="inputGrads">One tensor per input to overwrite with its gradient.</param>
public delegate void ElementwiseBackward(ReadOnlySpan<Tensor> inputs, Tensor output, Tensor gradOutput, ReadOnlySpan<Tensor> inputGrads);

/// <summary>The graph node of <see cref="Tensor.ApplyElementwise(string, ReadOnlySpan{Tensor}, ElementwiseForward, ElementwiseBackward)"/>: <c>{name}Backward</c>, one node for the whole fused function.</summary>
internal sealed class FusedElementwiseBackward : GradFn
{
    readonly string name;
    readonly ElementwiseBackward backward;
    readonly SavedTensor[] inputs;
    SavedTensor output;
    readonly int[][] shapes;
    readonly DType[] dtypes;

    public FusedElementwiseBackward(string name, ElementwiseBackward backward, Tensor[] original, Tensor[] broadcast, Tensor output)
    {
        this.name = name + "Backward";
        this.backward = backward;
        SetInputs(original);
        inputs = new SavedTensor[broadcast.Length];
        shapes = new int[original.Length][];
        dtypes = new DType[original.Length];
        for (int i = 0; i < broadcast.Length; i++)
        {
            inputs[i] = Save(broadcast[i]);
            shapes[i] = original[i].shape;
            dtypes[i] = original[i].DType;
        }
        this.output = Save(output);
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < xs.Length; i++) xs[i] = inputs[i].Get(this);
        var y = output.Get(this);
        var g = grad.DType == y.DType ? grad.ContiguousData() : grad.ToDTypeData(y.DType);
        var grads = new Tensor[xs.Length];
        for (int i = 0; i < grads.Length; i++) grads[i] = Tensor.Empty(y.DType, y.shape);
        using (new KernelScope([.. xs, y, g, .. grads]))
        {
            backward(xs, y, g, grads);
        }

        GC.KeepAlive(xs);
        GC.KeepAlive(y);
        for (int i = 0; i < grads.Length; i++)
        {
            if (!Needs(i))
            {
                // Written by the kernel, wanted by no one: the engine's own buffer goes straight back.
                EngineGradients.Free(grads[i]);
                continue;
            }

            var gi = ElementwiseOp.SumToShape(grads[i], shapes[i]);
            inputGrads[i] = gi.DType == dtypes[i] ? gi : gi.ToDTypeData(dtypes[i]);
            if (inputGrads[i]!.storage != grads[i].storage) EngineGradients.Free(grads[i]);
        }

        // A contiguous or converted copy of the incoming gradient, made here: no longer needed either.
        if (g.storage != grad.storage) EngineGradients.Free(g);
    }

    internal override void ReleaseSaved()
    {
        for (int i = 0; i < inputs.Length; i++) inputs[i].Release();
        output.Release();
    }
}

public partial class Tensor
{
    /// <summary>
    /// Runs a fused elementwise function over tensors with NumPy broadcasting and records one graph node for it
    /// (<c>{name}Backward</c>) whose backward is <paramref name="backward"/>; gradients are summed back to each
    /// input's shape and dtype. This is the entry point of the generator's tensor overloads of <c>[Differentiable]</c>
    /// functions: the runtime handles shapes, strides, dtypes and the graph, the kernels see plain contiguous spans.
    /// </summary>
    /// <remarks>The kernels run in Float64 if any input is Float64, else in Float32 (inputs are converted).</remarks>
    /// <param name="name">The function's name (<c>Bump</c> gives the node <c>BumpBackward</c>).</param>
    /// <param name="inputs">The tensor arguments, broadcastable to one shape.</param>
    /// <param name="forward">Fills the output from contiguous inputs of the output's shape.</param>
    /// <param name="backward">Writes every input's gradient from the output's gradient.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public static Tensor ApplyElementwise(string name, ReadOnlySpan<Tensor> inputs, ElementwiseForward forward, ElementwiseBackward backward)
        => ApplyElementwise(name, inputs, forward, backward, null, DType.Float32);

    /// <summary>
    /// <see cref="ApplyElementwise(string, ReadOnlySpan{Tensor}, ElementwiseForward, ElementwiseBackward)"/>, and on an
    /// accelerator the kernels <c>{name}_forward</c> and <c>{name}_backward</c> of <paramref name="cudaSource"/> (the
    /// generator's <c>FCudaSource</c>), compiled once and cached. As on the CPU, the kernels compute in Float64 when any
    /// input is Float64, else in Float32: the plain names for <paramref name="cudaDType"/>, the same names with the
    /// other dtype's suffix (<c>_f64</c>, <c>_f32</c>) for the other one.
    /// </summary>
    /// <param name="name">The function's name (<c>Bump</c> gives the node <c>BumpBackward</c> and the kernel <c>Bump_forward</c>).</param>
    /// <param name="inputs">The tensor arguments, broadcastable to one shape.</param>
    /// <param name="forward">The CPU forward.</param>
    /// <param name="backward">The CPU backward.</param>
    /// <param name="cudaSource">The CUDA C of the same kernels, or null for a CPU-only function.</param>
    /// <param name="cudaDType">The element type of the kernels under the plain names (the function's declared type).</param>
    /// <returns>A new tensor on the inputs' device.</returns>
    public static Tensor ApplyElementwise(string name, ReadOnlySpan<Tensor> inputs, ElementwiseForward forward, ElementwiseBackward backward, string? cudaSource, DType cudaDType)
    {
        if (inputs.Length > 0 && Checked(inputs[0]).Device.Type != DeviceType.Cpu)
        {
            return DeviceElementwise.Apply(name, inputs, cudaSource, cudaDType);
        }

        var dtype = DType.Float32;
        foreach (var input in inputs)
        {
            if (input?.DType == DType.Float64)
            {
                dtype = DType.Float64;
            }
        }

        return ApplyElementwise(name, dtype, inputs, forward, backward);
    }

    /// <summary>
    /// <see cref="ApplyElementwise(string, ReadOnlySpan{Tensor}, ElementwiseForward, ElementwiseBackward)"/> with an
    /// explicit computation dtype (Float32 or Float64); inputs of other dtypes are converted.
    /// </summary>
    /// <param name="name">The function's name; the graph node is called <c>{name}Backward</c>.</param>
    /// <param name="dtype">Float32 or Float64: the dtype of the output and of the spans the kernels see.</param>
    /// <param name="inputs">The arguments, broadcast together.</param>
    /// <param name="forward">Writes the output from contiguous inputs of the broadcast shape.</param>
    /// <param name="backward">Writes each input's gradient (of the broadcast shape) from the output's gradient.</param>
    /// <returns>The output tensor.</returns>
    public static Tensor ApplyElementwise(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ElementwiseForward forward, ElementwiseBackward backward)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        if (!dtype.IsFloating()) throw new ArgumentException($"{name}: fused elementwise kernels are Float32 or Float64, not {dtype}.", nameof(dtype));
        if (inputs.Length == 0) throw new ArgumentException($"{name}: expected at least one tensor argument.", nameof(inputs));
        foreach (var input in inputs)
            if (Checked(input).storage is DeviceStorage)
                throw new NotSupportedException($"{name}: this function has CPU kernels only (no CUDA source), so it cannot run on {input.Device}; call To(Device.Cpu) first.");
        int[] shape = Checked(inputs[0]).shape;
        for (int i = 1; i < inputs.Length; i++) shape = ElementwiseOp.BroadcastShapes(shape, Checked(inputs[i]).shape, name);
        var original = inputs.ToArray();
        var broadcast = new Tensor[original.Length];
        for (int i = 0; i < original.Length; i++)
        {
            var t = original[i];
            if (!t.shape.AsSpan().SequenceEqual(shape)) t = t.Detach().Expand(shape);
            broadcast[i] = t.DType == dtype && t.IsContiguous ? t.Detach() : t.ToDTypeData(dtype);
        }
        var output = Empty(dtype, shape);
        using (new KernelScope([.. broadcast, output]))
        {
            forward(broadcast, output);
        }

        // The kernel read the inputs through spans: they stay reachable (and their pooled arrays in use) until here.
        GC.KeepAlive(broadcast);
        if (Autograd.Recording(inputs)) output.WithHistory(new FusedElementwiseBackward(name, backward, original, broadcast, output));
        return output;
    }
}

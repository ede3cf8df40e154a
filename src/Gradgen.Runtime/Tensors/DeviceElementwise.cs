namespace Gradgen;

/// <summary>
/// Elementwise functions on an accelerator: the generator's CUDA kernels (<c>F_forward</c>, <c>F_backward</c> of
/// <c>FCudaSource</c>) launched through the registered backend, one graph node per call as on the CPU.
/// </summary>
internal static class DeviceElementwise
{
    public static Tensor Apply(string name, ReadOnlySpan<Tensor> inputs, string? cudaSource, DType cudaDType)
    {
        var device = Tensor.CommonDevice(name, inputs);
        if (cudaSource is null)
        {
            throw new NotSupportedException($"{name}: this function has no CUDA kernels, so it cannot run on {device}.");
        }

        // As on the CPU: Float64 if any input is Float64, else Float32. The source holds the kernels in its declared
        // type under the plain names and in the other one with the dtype's suffix (F_forward_f64).
        var dtype = DType.Float32;
        var shape = inputs[0].shape;
        foreach (var input in inputs)
        {
            shape = ElementwiseOp.BroadcastShapes(shape, input.shape, name);
            dtype = input.DType == DType.Float64 ? DType.Float64 : dtype;
        }

        string suffix = dtype == cudaDType ? string.Empty : dtype == DType.Float64 ? "_f64" : "_f32";

        // The kernels see whole buffers of the output's shape: broadcasts, views and other dtypes are made so by
        // recorded operations (Expand, Clone, To), whose backward sums the gradients back to each input's shape.
        var operands = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            operands[i] = DeviceData.Operand(inputs[i], shape, device, dtype);
        }

        var output = Tensor.EmptyOn(device, dtype, shape);
        var buffers = new IDeviceBuffer[operands.Length + 1];
        for (int i = 0; i < operands.Length; i++)
        {
            buffers[i] = operands[i].DeviceBuffer(name);
        }

        buffers[^1] = output.DeviceBuffer(name);
        var backend = ((DeviceStorage)output.storage).Backend;
        if (output.numel > 0)
        {
            backend.LaunchElementwise(cudaSource, name + "_forward" + suffix, buffers, output.numel);
        }

        if (Autograd.Recording(operands))
        {
            output.WithHistory(new DeviceElementwiseBackward(name, cudaSource, suffix, operands));
        }

        return output;
    }
}

/// <summary>The graph node of an elementwise function on an accelerator: launches <c>{name}_backward</c> (with the forward's dtype suffix).</summary>
internal sealed class DeviceElementwiseBackward : GradFn
{
    private readonly string name;
    private readonly string source;
    private readonly string suffix;
    private readonly SavedTensor[] inputs;

    public DeviceElementwiseBackward(string name, string source, string suffix, Tensor[] inputs)
    {
        this.name = name;
        this.source = source;
        this.suffix = suffix;
        SetInputs(inputs);
        this.inputs = new SavedTensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            this.inputs[i] = Save(inputs[i].Detach());
        }
    }

    public override string Name => name + "Backward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            xs[i] = inputs[i].Get(this);
        }

        var device = xs[0].Device;
        var g = grad.Device == device ? grad : grad.To(device);
        var dtype = xs[0].DType;
        if (!DeviceData.IsWhole(g) || g.DType != dtype)
        {
            g = DeviceData.Copy(g, dtype);
        }

        var buffers = new IDeviceBuffer[(2 * xs.Length) + 1];
        var grads = new Tensor[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            buffers[i] = xs[i].DeviceBuffer(Name);
            grads[i] = Tensor.EmptyOn(device, xs[i].DType, xs[i].shape);
            buffers[xs.Length + 1 + i] = grads[i].DeviceBuffer(Name);
        }

        buffers[xs.Length] = g.DeviceBuffer(Name);
        if (xs[0].numel > 0)
        {
            ((DeviceStorage)xs[0].storage).Backend.LaunchElementwise(source, name + "_backward" + suffix, buffers, xs[0].numel);
        }

        for (int i = 0; i < grads.Length; i++)
        {
            if (Needs(i))
            {
                inputGrads[i] = grads[i];
            }
        }
    }

    internal override void ReleaseSaved()
    {
        foreach (var input in inputs)
        {
            input.Release();
        }
    }
}

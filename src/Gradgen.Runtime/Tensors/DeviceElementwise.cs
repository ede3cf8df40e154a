namespace Gradgen;

/// <summary>
/// Elementwise functions on an accelerator: the generator's CUDA kernels (<c>F_forward</c>, <c>F_backward</c> of
/// <c>FCudaSource</c>) launched through the registered backend, one graph node per call as on the CPU.
/// </summary>
internal static class DeviceElementwise
{
    public static Tensor Apply(string name, ReadOnlySpan<Tensor> inputs, string? cudaSource, DType dtype)
    {
        var device = Tensor.CommonDevice(name, inputs);
        if (cudaSource is null)
        {
            throw new NotSupportedException($"{name}: this function has no CUDA kernels, so it cannot run on {device}.");
        }

        if (dtype != DType.Float32)
        {
            throw new NotSupportedException($"{name}: its CUDA kernels take {dtype} tensors; on {device} only Float32 kernels run so far.");
        }

        var shape = inputs[0].shape;
        foreach (var input in inputs)
        {
            shape = ElementwiseOp.BroadcastShapes(shape, input.shape, name);
        }

        // The kernels see whole buffers of the output's shape: broadcasts, views and integer operands are made so by
        // recorded operations (Expand, Clone, To), whose backward sums the gradients back to each input's shape.
        var operands = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            operands[i] = DeviceData.Operand(inputs[i], shape, device, name);
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
            backend.LaunchElementwise(cudaSource, name + "_forward", buffers, output.numel);
        }

        if (Autograd.Recording(operands))
        {
            output.WithHistory(new DeviceElementwiseBackward(name, cudaSource, operands));
        }

        return output;
    }
}

/// <summary>The graph node of an elementwise function on an accelerator: launches <c>{name}_backward</c>.</summary>
internal sealed class DeviceElementwiseBackward : GradFn
{
    private readonly string name;
    private readonly string source;
    private readonly SavedTensor[] inputs;

    public DeviceElementwiseBackward(string name, string source, Tensor[] inputs)
    {
        this.name = name;
        this.source = source;
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
        if (!DeviceData.IsWhole(g) || g.DType != DType.Float32)
        {
            g = DeviceData.Copy(g, DType.Float32, Name);
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
            ((DeviceStorage)xs[0].storage).Backend.LaunchElementwise(source, name + "_backward", buffers, xs[0].numel);
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

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

        var shape = inputs[0].shape;
        foreach (var input in inputs)
        {
            if (!input.shape.AsSpan().SequenceEqual(shape))
            {
                throw new NotSupportedException(
                    $"{name}: broadcasting on {device} is not supported yet: shapes {Shape.Format(shape)} and {Shape.Format(input.shape)}; give every input the same shape.");
            }

            if (input.DType != dtype)
            {
                throw new NotSupportedException($"{name}: its CUDA kernels take {dtype} tensors, but got {input.DType} on {device}; convert with To({dtype}) on the CPU first.");
            }
        }

        var output = Tensor.EmptyOn(device, dtype, shape);
        var buffers = new IDeviceBuffer[inputs.Length + 1];
        for (int i = 0; i < inputs.Length; i++)
        {
            buffers[i] = inputs[i].DeviceBuffer(name);
        }

        buffers[^1] = output.DeviceBuffer(name);
        var backend = ((DeviceStorage)output.storage).Backend;
        backend.LaunchElementwise(cudaSource, name + "_forward", buffers, output.numel);
        if (Autograd.Recording(inputs))
        {
            output.WithHistory(new DeviceElementwiseBackward(name, cudaSource, inputs.ToArray()));
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
        var buffers = new IDeviceBuffer[(2 * xs.Length) + 1];
        var grads = new Tensor[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            buffers[i] = xs[i].DeviceBuffer(Name);
            grads[i] = Tensor.EmptyOn(device, xs[i].DType, xs[i].shape);
            buffers[xs.Length + 1 + i] = grads[i].DeviceBuffer(Name);
        }

        buffers[xs.Length] = g.DeviceBuffer(Name);
        ((DeviceStorage)xs[0].storage).Backend.LaunchElementwise(source, name + "_backward", buffers, xs[0].numel);
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

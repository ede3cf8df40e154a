namespace Gradgen.Data;

/// <summary>
/// A data set over two tensors whose first dimensions index the items (PyTorch's <c>TensorDataset(inputs, targets)</c>):
/// item i is (inputs[i], targets[i]). The tensors are kept as contiguous CPU copies (the given ones when they already
/// are), and batches are row copies.
/// </summary>
public sealed class TensorDataset : Dataset
{
    private readonly Tensor inputs;
    private readonly Tensor targets;

    /// <summary>A data set of the rows of <paramref name="inputs"/> and <paramref name="targets"/>.</summary>
    /// <param name="inputs">The inputs, items along dimension 0.</param>
    /// <param name="targets">The targets, items along dimension 0.</param>
    /// <exception cref="ArgumentException">A tensor has no dimensions, or the first dimensions differ.</exception>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Ndim == 0 || targets.Ndim == 0)
        {
            throw new ArgumentException($"TensorDataset: the tensors need a first dimension that indexes the items; got shapes {inputs.Shape} and {targets.Shape}.");
        }

        if (inputs.Shape[0] != targets.Shape[0])
        {
            throw new ArgumentException($"TensorDataset: size mismatch between tensors: inputs have {inputs.Shape[0]} items (shape {inputs.Shape}), targets {targets.Shape[0]} (shape {targets.Shape}).");
        }

        this.inputs = Host(inputs);
        this.targets = Host(targets);
    }

    static Tensor Host(Tensor t)
    {
        var cpu = t.Detach().To(Device.Cpu);
        return cpu.ContiguousData();
    }

    /// <inheritdoc/>
    public override int Count => inputs.Shape[0];

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) GetItem(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return (inputs.Select(0, index), targets.Select(0, index));
    }

    /// <inheritdoc/>
    public override (int[] Shape, DType DType) InputInfo => (inputs.Shape.ToArray()[1..], inputs.DType);

    /// <inheritdoc/>
    public override (int[] Shape, DType DType) TargetInfo => (targets.Shape.ToArray()[1..], targets.DType);

    /// <inheritdoc/>
    public override void Collate(ReadOnlySpan<int> indices, Tensor inputs, Tensor targets)
    {
        CopyRows(this.inputs, indices, inputs);
        CopyRows(this.targets, indices, targets);
    }

    /// <summary>Copies rows <paramref name="indices"/> of <paramref name="source"/> into the rows of the contiguous <paramref name="destination"/>.</summary>
    internal static void CopyRows(Tensor source, ReadOnlySpan<int> indices, Tensor destination)
    {
        if (destination.DType != source.DType || !destination.IsContiguous || destination.Device.Type != DeviceType.Cpu || destination.Shape[0] != indices.Length)
        {
            throw new ArgumentException($"Collate: the batch tensor must be a contiguous CPU {source.DType} tensor with {indices.Length} rows; got {destination.DType} of shape {destination.Shape} on {destination.Device}.");
        }

        switch (source.DType)
        {
            case DType.Float32: CopyRows<float>(source, indices, destination); break;
            case DType.Float64: CopyRows<double>(source, indices, destination); break;
            case DType.Int32: CopyRows<int>(source, indices, destination); break;
            case DType.Int64: CopyRows<long>(source, indices, destination); break;
            default: CopyRows<bool>(source, indices, destination); break;
        }
    }

    static void CopyRows<T>(Tensor source, ReadOnlySpan<int> indices, Tensor destination)
        where T : unmanaged
    {
        int items = source.Shape[0];
        int row = items == 0 ? 0 : source.numel / items;
        ReadOnlySpan<T> from = source.Elements<T>();
        var to = destination.Elements<T>();
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)items)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Collate: index {index} is out of range for a data set of {items} items.");
            }

            from.Slice(index * row, row).CopyTo(to.Slice(i * row, row));
        }
    }
}

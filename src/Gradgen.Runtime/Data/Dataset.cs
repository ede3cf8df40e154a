namespace Gradgen.Data;

/// <summary>
/// A map-style data set (PyTorch's <c>torch.utils.data.Dataset</c>): <see cref="Count"/> items, each an input and a
/// target tensor. A <see cref="DataLoader"/> asks for batches through <see cref="Collate"/>, which a data set may
/// override to write a whole batch into the loader's reused buffers without per-item tensors.
/// </summary>
public abstract class Dataset
{
    /// <summary>The number of items (PyTorch's <c>__len__</c>).</summary>
    public abstract int Count { get; }

    /// <summary>Item <paramref name="index"/> (PyTorch's <c>__getitem__</c>): its input and its target.</summary>
    /// <param name="index">The position, in [0, <see cref="Count"/>).</param>
    public abstract (Tensor Input, Tensor Target) GetItem(int index);

    /// <summary>The shape and dtype of one item's input (by default, those of item 0).</summary>
    public virtual (int[] Shape, DType DType) InputInfo
    {
        get
        {
            var input = GetItem(0).Input;
            return (input.Shape.ToArray(), input.DType);
        }
    }

    /// <summary>The shape and dtype of one item's target (by default, those of item 0).</summary>
    public virtual (int[] Shape, DType DType) TargetInfo
    {
        get
        {
            var target = GetItem(0).Target;
            return (target.Shape.ToArray(), target.DType);
        }
    }

    /// <summary>
    /// Writes items <paramref name="indices"/> into rows 0, 1, … of <paramref name="inputs"/> and
    /// <paramref name="targets"/> (contiguous CPU tensors whose first dimension is the number of indices and whose
    /// other dimensions are one item's; PyTorch's <c>default_collate</c>). The default copies each
    /// <see cref="GetItem"/>; data sets override it to copy straight from their storage.
    /// </summary>
    /// <param name="indices">The items of the batch, in order.</param>
    /// <param name="inputs">The batch's inputs, overwritten.</param>
    /// <param name="targets">The batch's targets, overwritten.</param>
    public virtual void Collate(ReadOnlySpan<int> indices, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        using var _ = Autograd.Pause();
        for (int i = 0; i < indices.Length; i++)
        {
            var (input, target) = GetItem(indices[i]);
            inputs.Select(0, i).CopyFrom(input);
            targets.Select(0, i).CopyFrom(target);
        }
    }
}

namespace Gradgen.Data;

/// <summary>
/// Images and class labels in MNIST's layout, kept as bytes: item i is the image as a Float32 tensor [1, rows,
/// columns] with values byte/255 in [0, 1] (torchvision's <c>ToTensor()</c>) and its label as an Int64 scalar.
/// </summary>
public sealed class MnistImages : Dataset
{
    private readonly byte[] pixels;
    private readonly byte[] labels;
    private readonly int rows, columns;

    /// <summary>A data set of <paramref name="labels"/>.Length images of <paramref name="rows"/>×<paramref name="columns"/> bytes each, in <paramref name="pixels"/>.</summary>
    /// <param name="pixels">The images, one after the other, row-major.</param>
    /// <param name="labels">One class per image.</param>
    /// <param name="rows">The height of an image.</param>
    /// <param name="columns">The width of an image.</param>
    /// <exception cref="ArgumentException">The sizes disagree.</exception>
    public MnistImages(byte[] pixels, byte[] labels, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows <= 0 || columns <= 0 || (long)labels.Length * rows * columns != pixels.Length)
        {
            throw new ArgumentException($"MnistImages: {labels.Length} labels of {rows}×{columns} images need {(long)labels.Length * rows * columns} pixels; got {pixels.Length}.");
        }

        this.pixels = pixels;
        this.labels = labels;
        this.rows = rows;
        this.columns = columns;
    }

    /// <inheritdoc/>
    public override int Count => labels.Length;

    /// <summary>The label of item <paramref name="index"/>.</summary>
    /// <param name="index">The position.</param>
    public int Label(int index) => labels[index];

    /// <inheritdoc/>
    public override (int[] Shape, DType DType) InputInfo => ([1, rows, columns], DType.Float32);

    /// <inheritdoc/>
    public override (int[] Shape, DType DType) TargetInfo => ([], DType.Int64);

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) GetItem(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var input = Tensor.Empty(DType.Float32, [1, rows, columns]);
        var target = Tensor.Empty(DType.Int64, []);
        Collate([index], input.Reshape(1, 1, rows, columns), target.Reshape(1));
        return (input, target);
    }

    /// <inheritdoc/>
    public override void Collate(ReadOnlySpan<int> indices, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        int size = rows * columns;
        if (inputs.DType != DType.Float32 || !inputs.IsContiguous || inputs.Device.Type != DeviceType.Cpu || inputs.numel != indices.Length * size ||
            targets.DType != DType.Int64 || !targets.IsContiguous || targets.Device.Type != DeviceType.Cpu || targets.numel != indices.Length)
        {
            throw new ArgumentException($"MnistImages.Collate: expected contiguous CPU tensors Float32 [{indices.Length}, 1, {rows}, {columns}] and Int64 [{indices.Length}]; got {inputs.DType} {inputs.Shape} and {targets.DType} {targets.Shape}.");
        }

        var x = inputs.Elements<float>();
        var y = targets.Elements<long>();
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            ReadOnlySpan<byte> image = pixels.AsSpan(index * size, size);
            var row = x.Slice(i * size, size);
            for (int j = 0; j < size; j++)
            {
                row[j] = image[j] / 255f;
            }

            y[i] = labels[index];
        }
    }
}

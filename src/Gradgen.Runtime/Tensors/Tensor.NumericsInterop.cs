using NumericsTensor = System.Numerics.Tensors.Tensor;

namespace Gradgen;

/// <summary>Copies to and from <see cref="System.Numerics.Tensors.Tensor{T}"/>, .NET's own dense tensor type.</summary>
public partial class Tensor
{
    /// <summary>
    /// A tensor with a copy of <paramref name="source"/>'s elements and shape (its strides are read, so a sliced or
    /// transposed <c>Tensor&lt;T&gt;</c> copies the elements it shows, in row-major order).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="int"/>, <see cref="long"/> or <see cref="bool"/>.</typeparam>
    /// <param name="source">The .NET tensor.</param>
    /// <param name="dtype">Convert to this dtype; default: the one of <typeparamref name="T"/>.</param>
    /// <param name="device">Where it lives (default: the CPU).</param>
    /// <param name="requiresGrad">Whether autograd records operations on it.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of Gradgen's element types.</exception>
    /// <exception cref="ArgumentException">A dimension of <paramref name="source"/> is larger than <see cref="int.MaxValue"/>.</exception>
    public static Tensor FromNumericsTensor<T>(System.Numerics.Tensors.Tensor<T> source, DType? dtype = null, Device? device = null, bool requiresGrad = false)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        DTypes.Of<T>();    // throws NotSupportedException naming T when it has no dtype
        var lengths = source.Lengths;
        var shape = new int[lengths.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (lengths[i] > int.MaxValue)
            {
                throw new ArgumentException($"FromNumericsTensor: dimension {i} of the source has length {lengths[i]}, more than a Gradgen tensor can hold ({int.MaxValue}).", nameof(source));
            }

            shape[i] = (int)lengths[i];
        }

        var values = new T[CheckedNumel(shape, "FromNumericsTensor")];
        source.FlattenTo(values);
        return FromCopy<T>(values, shape, dtype, device, requiresGrad, "FromNumericsTensor");
    }

    /// <summary>A dense <see cref="System.Numerics.Tensors.Tensor{T}"/> with a copy of this tensor's elements (converted to <typeparamref name="T"/>) and shape.</summary>
    /// <typeparam name="T">The element type of the result.</typeparam>
    /// <returns>A new .NET tensor, row-major.</returns>
    public System.Numerics.Tensors.Tensor<T> ToNumericsTensor<T>()
        where T : unmanaged
    {
        var lengths = new nint[shape.Length];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = shape[i];
        }

        return NumericsTensor.Create(ToArray<T>(), lengths);
    }
}

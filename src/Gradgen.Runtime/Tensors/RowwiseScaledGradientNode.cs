using System.Numerics;

namespace Gradgen;

/// <summary>
/// The graph node of a row function with a value whose forward kept each row's gradient at seed 1
/// (<see cref="RowwiseValueAndGradient"/>): the backward multiplies each row's gradient by that row's incoming
/// gradient and sums the rows back to each argument's shape. The function's body does not run again.
/// </summary>
internal sealed class RowwiseScaledGradientNode : GradFn
{
    readonly string name;
    readonly Tensor?[] gradients;
    readonly RowArgument[] kinds;
    readonly int[][] shapes;
    readonly DType[] dtypes;
    readonly int rows;

    public RowwiseScaledGradientNode(string name, Tensor[] original, Tensor?[] gradients, RowArgument[] kinds, int rows)
    {
        this.name = name + "Backward";
        this.gradients = gradients;
        this.kinds = kinds;
        this.rows = rows;
        SetInputs(original);
        shapes = original.Select(t => t.shape).ToArray();
        dtypes = original.Select(t => t.DType).ToArray();
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        for (int i = 0; i < gradients.Length; i++)
        {
            if (gradients[i] is not { } kept || !Needs(i)) continue;
            var g = grad.DType == kept.DType ? grad.ContiguousData() : grad.ToDTypeData(kept.DType);
            var scaled = Tensor.Empty(kept.DType, kept.shape);
            int rowLength = kinds[i] == RowArgument.Row ? kept.shape[^1] : 1;
            if (kept.DType == DType.Float32) Scale(kept.AsSpan<float>(), g.AsSpan<float>(), scaled.AsSpan<float>(), rowLength);
            else Scale(kept.AsSpan<double>(), g.AsSpan<double>(), scaled.AsSpan<double>(), rowLength);
            var summed = ElementwiseOp.SumToShape(scaled, shapes[i]);
            inputGrads[i] = summed.DType == dtypes[i] ? summed : summed.ToDTypeData(dtypes[i]);
        }
    }

    /// <summary>Each row of <paramref name="kept"/> (<paramref name="rowLength"/> values) times that row's incoming gradient.</summary>
    void Scale<T>(ReadOnlySpan<T> kept, ReadOnlySpan<T> g, Span<T> scaled, int rowLength)
        where T : unmanaged, INumber<T>
    {
        for (int row = 0; row < rows; row++)
        {
            T factor = g[row];
            int start = row * rowLength;
            for (int k = start; k < start + rowLength; k++) scaled[k] = kept[k] * factor;
        }
    }

    internal override void ReleaseSaved()
    {
        for (int i = 0; i < gradients.Length; i++) gradients[i] = null;
    }
}

namespace Gradgen.Tests.Tensors;

/// <summary>Copies between Gradgen tensors and .NET's System.Numerics.Tensors.Tensor&lt;T&gt;, both ways.</summary>
public class NumericsTensorInteropTests
{
    [Fact]
    public void ANumericsTensorBecomesAGradgenTensorOfTheSameShapeAndValues()
    {
        var source = System.Numerics.Tensors.Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var t = Tensor.FromNumericsTensor(source, requiresGrad: true);
        Assert.Equal("[2, 3]", t.Shape.ToString());
        Assert.Equal(DType.Float32, t.DType);
        Assert.True(t.RequiresGrad);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());
    }

    [Fact]
    public void ATransposedNumericsTensorIsCopiedAsItShowsItsElements()
    {
        var source = System.Numerics.Tensors.Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var transposed = System.Numerics.Tensors.Tensor.PermuteDimensions(source, [1, 0]);
        var t = Tensor.FromNumericsTensor(transposed, dtype: DType.Float32);
        Assert.Equal("[3, 2]", t.Shape.ToString());
        Assert.Equal([1f, 4, 2, 5, 3, 6], t.ToArray<float>());
    }

    [Fact]
    public void AGradgenTensorBecomesANumericsTensor()
    {
        var t = Tensor.Arange(6).Reshape(2, 3).T;
        var n = t.ToNumericsTensor<long>();
        Assert.Equal([3, 2], n.Lengths.ToArray());
        var flat = new long[6];
        n.FlattenTo(flat);
        Assert.Equal([0L, 3, 1, 4, 2, 5], flat);
    }

    [Fact]
    public void RoundTripKeepsBoolsAndIntegers()
    {
        var mask = Tensor.FromArray(new[] { true, false, true });
        Assert.Equal([true, false, true], Tensor.FromNumericsTensor(mask.ToNumericsTensor<bool>()).ToArray<bool>());
        var ints = Tensor.FromArray(new[] { 7, -1 });
        Assert.Equal(DType.Int32, Tensor.FromNumericsTensor(ints.ToNumericsTensor<int>()).DType);
    }
}

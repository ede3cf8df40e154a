using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// A compiled graph's sums and means (LayerNorm's statistics, mean pooling) are eager <c>Sum</c>'s and <c>Mean</c>'s
/// to the bit: the same summing loop, Float32 accumulated in Float64, so <c>Call</c> and <c>Forward</c> agree in them
/// exactly.
/// </summary>
public sealed class CompiledGraphReductionTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    [InlineData(2, true)]
    public void SumsAndMeansAreEagersToTheBit(int dim, bool keepDim)
    {
        RandomGenerator.ManualSeed(11);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            // 513 values along the last dim: more than the vector width and not a multiple of it; a large offset makes
            // a Float32 running sum lose bits that the Float64 accumulator keeps.
            var x = (Tensor.Randn([3, 4, 513], dtype) + 1000).Transpose(0, 1);
            AssertSameBits(x.Sum(dim, keepDim), CompiledGraph.Sum(x, dim, keepDim));
            AssertSameBits(x.Mean(dim, keepDim), CompiledGraph.Mean(x, dim, keepDim));
        }
    }

    [Fact]
    public void AMeanOverNoElementsIsNaNAsEagers()
    {
        var x = Tensor.Zeros([2, 0]);
        AssertSameBits(x.Mean(1, false), CompiledGraph.Mean(x, 1, false));
        Assert.True(float.IsNaN(CompiledGraph.Mean(x, 1, false).ToArray<float>()[0]));
    }

    private static void AssertSameBits(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Assert.Equal(expected.DType, actual.DType);
        if (expected.DType == DType.Float64)
        {
            Assert.Equal(expected.ToArray<double>().Select(BitConverter.DoubleToInt64Bits), actual.ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
        }
        else
        {
            Assert.Equal(expected.ToArray<float>().Select(BitConverter.SingleToInt32Bits), actual.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        }
    }
}

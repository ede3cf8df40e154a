using Gradgen.Optim;

namespace Gradgen.Tests.Optim;

/// <summary>
/// A large contiguous parameter is updated in chunks on Gradgen's worker threads; each element's update must be the
/// same as in the whole-tensor form of the same rule (a strided parameter takes that form), bit for bit in the
/// arithmetic that matters: within float32 rounding of one operation.
/// </summary>
public class ParallelUpdateTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void A_large_parameter_updated_in_chunks_matches_the_whole_tensor_form(string name)
    {
        const int n = 200_003;    // several chunks of 65,536 and a ragged end
        var values = Tensor.Randn(n);
        var contiguous = values.Clone();
        contiguous.RequiresGrad = true;

        // The same values as a strided leaf: column 0 of an [n, 2] tensor.
        var wide = Tensor.Zeros(n, 2);
        wide.Select(1, 0).CopyFrom(values);
        var strided = wide.Select(1, 0).Detach();
        strided.RequiresGrad = true;
        Assert.False(strided.IsContiguous);

        Optimizer a = name == "adam" ? new Adam([contiguous], lr: 0.01) : new Sgd([contiguous], lr: 0.05, momentum: 0.9);
        Optimizer b = name == "adam" ? new Adam([strided], lr: 0.01) : new Sgd([strided], lr: 0.05, momentum: 0.9);
        for (int step = 0; step < 3; step++)
        {
            var g = Tensor.Randn(n);
            contiguous.Grad = g.Clone();
            strided.Grad = g.Clone();
            a.Step();
            b.Step();
        }

        var expected = strided.ToArray<float>();
        var actual = contiguous.ToArray<float>();
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1, Math.Abs(expected[i])), $"element {i}: chunked {actual[i]}, whole-tensor {expected[i]}");
        }
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// Max pooling's 2×2 stride-2 path, which compares four windows at a time in Float32: values and gradients against
/// the window-by-window comparisons (Float64 takes them) at row widths that leave no, some or all windows to an overlapping
/// last group, with ties, NaNs and infinities placed in every position of a window.
/// </summary>
public class MaxPoolKernelTests
{
    /// <summary>Input widths: 2 windows per row (no vector group), 4 (one), 5 and 7 (an overlapping last group), 14 (the CNN's).</summary>
    [Theory]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(6, 15)]
    [InlineData(2, 28)]
    public void Float32_two_by_two_windows_agree_with_the_window_by_window_comparisons(int h, int w)
    {
        var x = Tricky(2, 3, h, w);
        var expected = Pool(x, out var expectedGrad, general: true);
        var actual = Pool(x, out var actualGrad, general: false);
        Assert.Equal(expected.ToArray<float>(), actual.ToArray<float>());
        Assert.Equal(expectedGrad.ToArray<float>(), actualGrad.ToArray<float>());
    }

    /// <summary>A 2×2 window with dilation 2 reads every other row and column, not adjacent ones.</summary>
    [Fact]
    public void Dilated_two_by_two_windows_read_every_other_element()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 25).Select(i => (float)((i * 7) % 11)).ToArray()).Reshape(1, 1, 5, 5);
        var y = Functional.MaxPool2d(x, 2, 2, 0, dilation: 2).ToArray<float>();
        var v = x.ToArray<float>();
        float Max(int r, int c) => new[] { v[(r * 5) + c], v[(r * 5) + c + 2], v[((r + 2) * 5) + c], v[((r + 2) * 5) + c + 2] }.Max();
        Assert.Equal([Max(0, 0), Max(0, 2), Max(2, 0), Max(2, 2)], y);
    }

    /// <summary>
    /// Pools <paramref name="x"/> with 2×2 windows and stride 2 and returns the gradient of Σ y·v;
    /// <paramref name="general"/> runs it in Float64, which takes the window-by-window comparisons instead of the
    /// Float32 vectors (every value here is exact in both).
    /// </summary>
    static Tensor Pool(Tensor x, out Tensor grad, bool general)
    {
        var input = (general ? x.To(DType.Float64) : x).Detach();
        input.RequiresGrad = true;
        var y = Functional.MaxPool2d(input, 2, 2);
        RandomGenerator.ManualSeed(3);
        (y * Tensor.Randn(y.Shape.ToArray()).To(y.DType)).Sum().Backward();
        grad = input.Grad!.To(DType.Float32);
        return y.To(DType.Float32);
    }

    /// <summary>Random values with repeated values (ties), NaNs, and ±∞ in some windows.</summary>
    static Tensor Tricky(int n, int c, int h, int w)
    {
        var random = new Random(11);
        var values = new float[n * c * h * w];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(4);
        }

        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < values.Length; i += 5)
        {
            values[i] = specials[i / 5 % 3];
        }

        return Tensor.FromArray(values).Reshape(n, c, h, w);
    }
}

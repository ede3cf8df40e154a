namespace Gradgen.EndToEnd.Tests;

/// <summary>Element-by-element comparison of the eager definition with a fused path, relative to the magnitude.</summary>
internal static class Close
{
    public static void All(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: eager {expected[i]}, fused {actual[i]}");
        }
    }
}

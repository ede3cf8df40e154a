namespace Gradgen.Tests.Nn;

internal static class Close
{
    public static void All(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
    }

    public static void All(float[] expected, float[] actual, double tolerance) =>
        All(expected.Select(v => (double)v).ToArray(), actual.Select(v => (double)v).ToArray(), tolerance);
}

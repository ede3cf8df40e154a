namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>The inputs of the tensor-overload tests: seeded random rows and leaf tensors of a given shape.</summary>
internal static class RowTensors
{
    /// <summary><paramref name="count"/> values uniform in [−scale, scale), the same for the same seed.</summary>
    public static double[] Random(int seed, int count, double scale = 2)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>A leaf tensor of the given shape that requires gradients.</summary>
    public static Tensor Leaf(double[] data, params int[] shape)
    {
        var leaf = Tensor.FromArray(data).Reshape(shape).Detach();
        leaf.RequiresGrad = true;
        return leaf;
    }
}

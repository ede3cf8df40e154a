using System.Text.Json.Nodes;
using Gradgen.Nn;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// Average pooling against real PyTorch (pooling.py): <c>AvgPool2d</c> with every argument PyTorch has for square
/// windows (stride, padding, ceil_mode, count_include_pad, divisor_override) and <c>AdaptiveAvgPool2d</c> to output
/// sizes smaller than, equal to and larger than the input, on batched and unbatched float64 images. The output and
/// the input's gradient of Σ y·w (w random, so every output's gradient differs) must equal PyTorch's to rounding.
/// </summary>
public sealed class PoolingOracleTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "gradgen-pooling-" + Guid.NewGuid().ToString("N"));

    public PoolingOracleTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A pooling: how Gradgen builds it and how pooling.py names it.</summary>
    sealed record PoolCase(string Name, Func<Module> Create, JsonArray Spec);

    static PoolCase Avg(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true, int? divisor = null) =>
        new($"AvgPool2d(k={kernel}, s={stride}, p={padding}, ceil={ceilMode}, include={countIncludePad}, divisor={divisor})",
            () => new AvgPool2d(kernel, stride, padding, countIncludePad, ceilMode, divisor),
            new JsonArray("avg", kernel, stride ?? kernel, padding, ceilMode, countIncludePad, divisor));

    static PoolCase Adaptive(int h, int w) => new($"AdaptiveAvgPool2d({h}, {w})", () => new AdaptiveAvgPool2d(h, w), new JsonArray("adaptive", h, w));

    static readonly PoolCase[] Pools =
    [
        Avg(2),
        Avg(3, 2, 1),
        Avg(3, 2, 1, countIncludePad: false),
        Avg(3, 2, 1, ceilMode: true),
        Avg(3, 2, 1, ceilMode: true, countIncludePad: false),
        Avg(2, 3, 1, ceilMode: true),
        Avg(4, 3, 2, ceilMode: true, countIncludePad: false),
        Avg(3, 1, 1, divisor: 5),
        Avg(2, 2, 0, ceilMode: true, divisor: 3),
        Avg(1),
        Adaptive(1, 1),
        Adaptive(2, 3),
        Adaptive(3, 2),
        Adaptive(4, 4),
        Adaptive(5, 7),
        Adaptive(9, 10),
    ];

    static readonly int[][] Shapes = [[2, 3, 7, 6], [1, 2, 5, 5], [3, 1, 9, 4], [2, 8, 5]];

    [SkippableFact]
    public void Average_pooling_values_and_gradients_equal_PyTorchs()
    {
        OracleTests.RequireTorch();
        var jobs = new JsonArray();
        var expected = new List<(string What, Tensor Y, Tensor Grad, string Output)>();
        RandomGenerator.ManualSeed(12);
        foreach (var pool in Pools)
        {
            foreach (var shape in Shapes)
            {
                string what = $"{pool.Name} of [{string.Join(", ", shape)}]";
                var x = Tensor.Randn(shape, DType.Float64);
                x.RequiresGrad = true;
                var y = pool.Create().Call(x);
                var w = Tensor.Randn(y.Shape.ToArray(), DType.Float64);
                (y * w).Sum().Backward();
                string input = Path.Combine(dir, $"in{expected.Count}.safetensors"), output = Path.Combine(dir, $"out{expected.Count}.safetensors");
                Safetensors.Save(new Dictionary<string, Tensor> { ["x"] = x.Detach(), ["w"] = w }, input);
                jobs.Add(new JsonObject { ["pool"] = pool.Spec.DeepClone(), ["input"] = input, ["output"] = output });
                expected.Add((what, y.Detach(), x.Grad!, output));
            }
        }

        SafetensorsInterchangeTests.RunPython(jobs, "pooling.py");
        foreach (var (what, y, grad, output) in expected)
        {
            var torch = Safetensors.Load(output);
            AssertClose(what + ": output", torch["y"], y);
            AssertClose(what + ": input gradient", torch["grad"], grad);
        }
    }

    /// <summary>Same shape, and each value within 1e-13 relative of PyTorch's: the sums of a window are added in another order.</summary>
    static void AssertClose(string what, Tensor expected, Tensor actual)
    {
        Assert.True(expected.Shape.Equals(actual.Shape), $"{what}: shape {actual.Shape}, PyTorch's {expected.Shape}");
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - e[i]) <= 1e-13 * Math.Max(1, Math.Abs(e[i])), $"{what}: element {i} is {a[i]:R}, PyTorch's {e[i]:R}");
        }
    }
}

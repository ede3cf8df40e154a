using System.Runtime.Intrinsics;
using Gradgen.Kernels;
using Gradgen.Nn;
using Gradgen.Runtime.Tests.Devices;
using Gradgen.Tests.Nn;

namespace Gradgen.Tests.Tensors;

/// <summary>
/// The one backward of every matrix product (<see cref="ProductGradients"/>), seen from each site that calls it:
/// eager MatMul and Linear pass a float64 gradcheck in every operand layout the product reads in place, Float32 gives
/// the float64 gradients, and the compiled models' and compiled graphs' products are the same gradients, fused
/// activation derivative included.
/// </summary>
public class ProductGradientsTests
{
    public ProductGradientsTests() => RandomGenerator.ManualSeed(23);

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    private static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.ToString());
    }

    /// <summary>Each way a MatMul operand reaches the product: the backward reads transposed views in place, B of one matrix takes the row form.</summary>
    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> Inputs)> Layouts = new()
    {
        ["matrix times matrix"] = (x => x[0].MatMul(x[1]), () => [R(4, 3), R(3, 5)]),
        ["B a transposed view"] = (x => x[0].MatMul(x[1].T), () => [R(4, 3), R(5, 3)]),
        ["A a transposed view"] = (x => x[0].T.MatMul(x[1]), () => [R(3, 4), R(3, 5)]),
        ["A narrowed (rows with a gap)"] = (x => x[0].Narrow(1, 1, 3).MatMul(x[1]), () => [R(4, 6), R(3, 2)]),
        ["every row of a 3-D A times one matrix"] = (x => x[0].MatMul(x[1]), () => [R(2, 3, 4), R(4, 5)]),
        ["3-D A times a transposed matrix"] = (x => x[0].MatMul(x[1].T), () => [R(2, 3, 4), R(5, 4)]),
        ["batch by batch"] = (x => x[0].MatMul(x[1]), () => [R(2, 3, 4), R(2, 4, 5)]),
        ["batches that broadcast"] = (x => x[0].MatMul(x[1]), () => [R(2, 1, 3, 4), R(5, 4, 2)]),
        ["a matrix times a batch"] = (x => x[0].MatMul(x[1]), () => [R(3, 4), R(2, 4, 5)]),
        ["vector times matrix"] = (x => x[0].MatMul(x[1]), () => [R(4), R(4, 3)]),
        ["matrix times vector"] = (x => x[0].MatMul(x[1]), () => [R(3, 4), R(4)]),
        ["dot product"] = (x => x[0].MatMul(x[1]), () => [R(5), R(5)]),
        ["sizes for the packed kernel"] = (x => x[0].MatMul(x[1].T), () => [R(17, 33), R(19, 33)]),
    };

    public static TheoryData<string> LayoutNames => new(Layouts.Keys);

    [Theory]
    [MemberData(nameof(LayoutNames))]
    public void MatmulGradientsPassGradcheckInEveryLayout(string layout)
    {
        var (f, inputs) = Layouts[layout];
        Check(f, inputs());
    }

    [Fact]
    public void MatmulNodesKeepTheirNames()
    {
        var a = R(3, 4);
        var b = R(4, 2);
        a.RequiresGrad = true;
        Assert.Equal("MmBackward", a.MatMul(b).GradFn!.Name);
        Assert.Equal("BmmBackward", a.Reshape(1, 3, 4).MatMul(b).GradFn!.Name);
        Assert.Equal("AddmmBackward", Functional.Linear(a, R(5, 4), R(5)).GradFn!.Name);
        Assert.Equal("MmBackward", Functional.Linear(a, R(5, 4)).GradFn!.Name);
    }

    [Theory]
    [InlineData(5, 2, 3)]     // a tiny layer: plain loops over the rows
    [InlineData(37, 40, 24)]  // the packed GEMM
    public void Float32LinearAndMatmulGiveTheFloat64Gradients(int rows, int inFeatures, int outFeatures)
    {
        var x = Tensor.Randn(rows, inFeatures);
        var w = Tensor.Randn(outFeatures, inFeatures);
        var b = Tensor.Randn(outFeatures);
        var v = Tensor.Randn(rows, outFeatures);

        var expected = Gradients(t => Functional.Linear(t[0], t[1], t[2]), v.To(DType.Float64), x.To(DType.Float64), w.To(DType.Float64), b.To(DType.Float64));
        var linear = Gradients(t => Functional.Linear(t[0], t[1], t[2]), v, x, w, b);
        var matmul = Gradients(t => t[0].MatMul(t[1].T) + t[2], v, x, w, b);
        for (int i = 0; i < 3; i++)
        {
            Close.All(expected[i], linear[i], 1e-4 * Math.Sqrt(Math.Max(rows, inFeatures)));
            Close.All(expected[i], matmul[i], 1e-4 * Math.Sqrt(Math.Max(rows, inFeatures)));
        }
    }

    [Fact]
    public void AnEmptyBatchGivesZeroWeightAndBiasGradients()
    {
        var x = Tensor.Zeros(0, 3);
        var w = Tensor.Randn(4, 3);
        var b = Tensor.Randn(4);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        Functional.Linear(x, w, b).Sum().Backward();
        Assert.Equal(new float[12], w.Grad!.ToArray<float>());
        Assert.Equal(new float[4], b.Grad!.ToArray<float>());
        Assert.Equal([0, 3], x.Grad!.Shape.ToArray());
    }

    [Theory]
    [InlineData(7, 2, 3)]
    [InlineData(64, 40, 24)]
    [InlineData(0, 3, 4)]
    public void TheLinearLayersProductsAreItsGradients(int rows, int inFeatures, int outFeatures)
    {
        var layer = new Linear(inFeatures, outFeatures);
        var x = Tensor.Randn(rows, inFeatures);
        var dz = Tensor.Randn(rows, outFeatures);
        var (x64, dz64, w64) = (x.To(DType.Float64), dz.To(DType.Float64), layer.Weight.Detach().To(DType.Float64));
        double tolerance = 1e-4 * Math.Sqrt(Math.Max(rows, outFeatures) + 1);

        Close.All(dz64.T.MatMul(x64).ToArray<double>(), ToDoubles(ProductGradients.AcrossRows(dz, x)), tolerance);
        Close.All(dz64.Sum(0).ToArray<double>(), ToDoubles(ProductGradients.ColumnSums(dz)), tolerance);
        Close.All(dz64.MatMul(w64).ToArray<double>(), ToDoubles(ProductGradients.Times(dz, layer.Weight, transposeB: false)), tolerance);
    }

    [Theory]
    [InlineData(7, 2, 3)]
    [InlineData(64, 40, 24)]
    public void TheFusedInputGradientAppliesTheActivationsDerivative(int rows, int inFeatures, int outFeatures)
    {
        var layer = new Linear(inFeatures, outFeatures);
        var dz = Tensor.Randn(rows, outFeatures);
        var y = Functional.Relu(Tensor.Randn(rows, inFeatures));
        var product = dz.To(DType.Float64).MatMul(layer.Weight.Detach().To(DType.Float64));
        var expected = product * (y.To(DType.Float64) > 0).To(DType.Float64);

        var fused = ProductGradients.Times<ReluDerivativeFromOutput>(dz, layer.Weight, y);
        Close.All(expected.ToArray<double>(), ToDoubles(fused), 1e-4 * Math.Sqrt(outFeatures));
        Assert.Contains(0f, fused.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TheCompiledGraphsProductsAreTheRulesProducts(DType dtype)
    {
        var a = Tensor.Randn([2, 3, 4], dtype);
        var g = Tensor.Randn([2, 3, 5], dtype);
        var w = Tensor.Randn([5, 4], dtype);
        var batch = Tensor.Randn([2, 4, 5], dtype);
        double tolerance = dtype == DType.Float64 ? 1e-12 : 1e-5;

        // dx = g·W, dW = gᵀ·x over every row, db = g summed over every row: TensorRules' Linear case.
        Close.All(ToDoubles(g.MatMul(w)), ToDoubles(CompiledGraph.MatMul(g, w, transposeB: false)), tolerance);
        Close.All(ToDoubles(a.MatMul(w.T)), ToDoubles(CompiledGraph.MatMul(a, w, transposeB: true)), tolerance);
        Close.All(ToDoubles(g.Reshape(6, 5).T.MatMul(a.Reshape(6, 4))), ToDoubles(CompiledGraph.MatMulAcrossRows(g, a)), tolerance);
        Close.All(ToDoubles(g.Sum(0).Sum(0)), ToDoubles(CompiledGraph.SumToShapeOf(g, Tensor.Zeros([5], dtype))), tolerance);
        Close.All(ToDoubles(a.MatMul(batch)), ToDoubles(CompiledGraph.MatMul(a, batch, transposeB: false)), tolerance);
    }

    /// <summary>The gradients of Σ f(inputs)·v with respect to each input, on the CPU as doubles.</summary>
    internal static double[][] Gradients(Func<Tensor[], Tensor> f, Tensor v, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t =>
        {
            var leaf = t.Detach().Clone();
            leaf.RequiresGrad = true;
            return leaf;
        }).ToArray();
        (f(leaves) * v).Sum().Backward();
        return leaves.Select(l => ToDoubles(l.Grad!)).ToArray();
    }

    private static double[] ToDoubles(Tensor t) => t.To(Device.Cpu).To(DType.Float64).ToArray<double>();

    /// <summary>relu′ from relu's output y: g where y &gt; 0, else 0 (what the generator writes as a gradient epilogue).</summary>
    private readonly struct ReluDerivativeFromOutput : IGemmEpilogue
    {
        public static bool ReadsOther => true;

        public static float Apply(float value, float other) => other > 0 ? value : 0;

        public static Vector256<float> Apply(Vector256<float> value, Vector256<float> other) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(other, Vector256<float>.Zero), value, Vector256<float>.Zero);

        public static Vector512<float> Apply(Vector512<float> value, Vector512<float> other) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(other, Vector512<float>.Zero), value, Vector512<float>.Zero);
    }
}

/// <summary>On the emulated device the same products run through the device GEMM and give the CPU's gradients.</summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceProductGradientsTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceProductGradientsTests()
    {
        DeviceBackends.Register(device);
        RandomGenerator.ManualSeed(29);
    }

    public void Dispose() => DeviceBackends.Register(null);

    [Theory]
    [InlineData("linear")]
    [InlineData("matmul of every row")]
    [InlineData("batched matmul")]
    public void DeviceGradientsAreTheCpus(string site)
    {
        Func<Tensor[], Tensor> f = site switch
        {
            "linear" => t => Functional.Linear(t[0], t[1], t[2]),
            "matmul of every row" => t => t[0].MatMul(t[1].T) + t[2],
            _ => t => t[0].MatMul(t[1].T.Unsqueeze(0).Expand(2, 4, 5)) + t[2],
        };
        var inputs = new[] { Tensor.Randn(2, 3, 4), Tensor.Randn(5, 4), Tensor.Randn(5) };
        var v = Tensor.Randn(2, 3, 5);

        var cpu = ProductGradientsTests.Gradients(f, v, inputs);
        var onDevice = ProductGradientsTests.Gradients(f, v.To(Device.Cuda()), inputs.Select(t => t.To(Device.Cuda())).ToArray());
        for (int i = 0; i < cpu.Length; i++)
        {
            Close.All(cpu[i], onDevice[i], 1e-5);
        }
    }
}

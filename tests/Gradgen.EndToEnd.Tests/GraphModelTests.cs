using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The graph model compiler's end-to-end contract, over the models of GraphModelCorpus.cs and four of ModelCorpus.cs:
/// <c>Call</c> agrees with <c>Forward</c> in the output and in the gradient of every parameter and of the input, at
/// batch sizes 1, 7, 64 and 1000 (this holds today too, where <c>Call</c> falls back to <c>Forward</c>); <c>Call</c>
/// records one autograd node, <c>{Model}Backward</c>, whose inputs are leaves (this holds only for compiled models);
/// and <c>Call</c>'s gradients in Float64 agree with central differences.
/// </summary>
public sealed class GraphModelTests
{
    /// <summary>How to build a model and its input, and the sizes its tolerances depend on.</summary>
    /// <param name="Create">The model, with parameters of the given dtype (the four reused classes are Float32 only).</param>
    /// <param name="Input">The input shape for a batch size.</param>
    /// <param name="FanIn">The longest sum in the forward pass: the largest layer input, or the steps a product or mean runs over.</param>
    /// <param name="Steps">Rows per batch element that a parameter gradient sums over (T of a [B, T, F] input, else 1).</param>
    internal sealed record Spec(Func<DType, Module> Create, Func<int, int[]> Input, int FanIn, int Steps);

    private static readonly Dictionary<string, Spec> Specs = new()
    {
        // 1–14: tensor operations beyond a chain of layers (11, 12: loops over a ModuleList; 13: Where; 14: Max()/Min() of whole tensors); each class takes its parameters' dtype.
        ["ResidualMlp"] = new(d => new ResidualMlp(d), b => [b, 8], 32, 1),
        ["ProductEpilogues"] = new(d => new ProductEpilogues(d), b => [b, 6], 16, 1),
        ["GatedUnit"] = new(d => new GatedUnit(d), b => [b, 6], 16, 1),
        ["UserActivationNet"] = new(d => new UserActivationNet(d), b => [b, 5], 12, 1),
        ["LogSoftmaxHead"] = new(d => new LogSoftmaxHead(d), b => [b, 10], 24, 1),
        ["SharedLayerTwice"] = new(d => new SharedLayerTwice(d), b => [b, 9], 9, 1),
        ["TwoBranchCat"] = new(d => new TwoBranchCat(d), b => [b, 7], 16, 1),
        ["SequencePooling"] = new(d => new SequencePooling(d), b => [b, SequencePooling.Steps, 6], 12, SequencePooling.Steps),
        ["ScaledAndShifted"] = new(d => new ScaledAndShifted(d), b => [b, 4], 10, 1),
        ["SoftmaxAttentionLite"] = new(d => new SoftmaxAttentionLite(d), b => [b, SoftmaxAttentionLite.Steps, 16], 16, SoftmaxAttentionLite.Steps),
        ["ReshapeNarrow"] = new(d => new ReshapeNarrow(d), b => [b, 12], 24, 1),
        ["StackedResidualBlocks"] = new(d => new StackedResidualBlocks(d), b => [b, 6], 16, 1),
        ["IndexedLayerLoop"] = new(d => new IndexedLayerLoop(d), b => [b, 5], 12, 1),
        ["SelectionGate"] = new(d => new SelectionGate(d), b => [b, 6], 16, 1),
        ["ExtremumScaled"] = new(d => new ExtremumScaled(d), b => [b, 6], 12, 1),

        // Images [B, C, H, W]: a parameter gradient of a convolution sums over every position of every image.
        ["SmallConvNet"] = new(d => new SmallConvNet(d), b => [b, 1, SmallConvNet.Side, SmallConvNet.Side], 36, SmallConvNet.Side * SmallConvNet.Side),
        ["StridedConvNet"] = new(d => new StridedConvNet(d), b => [b, 2, StridedConvNet.Side, StridedConvNet.Side], 18, 25),
        ["ConvBatchNormNet"] = new(d => new ConvBatchNormNet(d), b => [b, 1, ConvBatchNormNet.Side, ConvBatchNormNet.Side], 64, ConvBatchNormNet.Side * ConvBatchNormNet.Side),
        ["GlobalPoolConvNet"] = new(d => new GlobalPoolConvNet(d), b => [b, 3, GlobalPoolConvNet.Side, GlobalPoolConvNet.Side], 49, GlobalPoolConvNet.Side * GlobalPoolConvNet.Side),
        ["AveragePoolConvNet"] = new(d => new AveragePoolConvNet(d), b => [b, 2, AveragePoolConvNet.Side, AveragePoolConvNet.Side], 24, AveragePoolConvNet.Side * AveragePoolConvNet.Side),
        ["ResidualConvBlock"] = new(d => new ResidualConvBlock(d), b => [b, 2, ResidualConvBlock.Side, ResidualConvBlock.Side], 36, ResidualConvBlock.Side * ResidualConvBlock.Side),

        // 14–17: the seed MLP 2-2-1 sigmoid, a 784-256-10 ReLU MLP, a Sequential model, a model nesting another.
        ["MultiLayerPerceptron"] = new(_ => new MultiLayerPerceptron(2, 2, 1), b => [b, 2], 2, 1),
        ["MnistMlp"] = new(_ => new MnistMlp(), b => [b, 784], 784, 1),
        ["SequentialPerceptron"] = new(_ => new SequentialPerceptron(), b => [b, 2], 2, 1),
        ["EncoderClassifier"] = new(_ => new EncoderClassifier(), b => [b, 3], 8, 1),

        // Forward factored into helper methods of the class, inlined.
        ["HelperBlocks"] = new(d => new HelperBlocks(d), b => [b, 5], 12, 1),

        // A custom layer with Parameter fields.
        ["ParameterLayers"] = new(d => new ParameterLayers(d), b => [b, 6], 8, 1),

        // Views: Permute, Expand, Select and stepped Slice.
        ["TimeMixer"] = new(d => new TimeMixer(d), b => [b, TimeMixer.Steps, 6], 8, TimeMixer.Steps),
        ["ExpandGate"] = new(d => new ExpandGate(d), b => [b, 6], 8, 1),
        ["ClsPooling"] = new(d => new ClsPooling(d), b => [b, ClsPooling.Steps, 6], 8, ClsPooling.Steps),
        ["StridedSlices"] = new(d => new StridedSlices(d), b => [b, StridedSlices.Steps, 5], 16, StridedSlices.Steps),
        ["ViewOutput"] = new(d => new ViewOutput(d), b => [b, 6], 8, 1),

        // The indexer (x[.., 0], x[.., ^1], ranges) and ExpandAs, lowered to the views above.
        ["TokenIndexing"] = new(d => new TokenIndexing(d), b => [b, TokenIndexing.Steps, 6], 8, TokenIndexing.Steps),
        ["ExpandAsGate"] = new(d => new ExpandAsGate(d), b => [b, 6], 24, 1),
    };

    private static readonly string[] Float64Models =
        ["ResidualMlp", "ProductEpilogues", "GatedUnit", "UserActivationNet", "LogSoftmaxHead", "SharedLayerTwice", "TwoBranchCat", "SequencePooling", "ScaledAndShifted", "SoftmaxAttentionLite", "ReshapeNarrow", "StackedResidualBlocks", "IndexedLayerLoop", "SelectionGate", "ExtremumScaled", "SmallConvNet", "StridedConvNet", "ConvBatchNormNet", "GlobalPoolConvNet", "AveragePoolConvNet", "ResidualConvBlock", "HelperBlocks", "ParameterLayers", "TimeMixer", "ExpandGate", "ClsPooling", "StridedSlices", "ViewOutput", "TokenIndexing", "ExpandAsGate"];

    public static TheoryData<string> Models => new(Specs.Keys);

    /// <summary>The names of the models above.</summary>
    internal static IEnumerable<string> ModelNames => Specs.Keys;

    public static TheoryData<string> NewModels => new(Float64Models);

    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var name in Specs.Keys)
            {
                foreach (var batch in new[] { 1, 7, 64, 1000 }) data.Add(name, batch);
            }

            return data;
        }
    }

    internal static (Module Model, Tensor Input, Spec Spec) Create(string name, int batch, DType dtype = DType.Float32)
    {
        var spec = Specs[name];
        RandomGenerator.ManualSeed(name.Length + (31 * batch));
        var model = spec.Create(dtype);
        return (model, Tensor.Randn(spec.Input(batch), dtype), spec);
    }

    /// <summary>
    /// Runs the model on a fresh leaf copy of <paramref name="x"/> that requires grad, with the parameters' gradients
    /// cleared first, and backpropagates Σy² + Σy (a gradient that depends on y, not all ones).
    /// </summary>
    internal static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad, string Node) Run(Module model, Tensor x, bool compiled)
    {
        model.ZeroGrad();
        var input = x.Detach();
        input.RequiresGrad = true;
        var y = compiled ? model.Call(input) : model.Forward(input);
        var loss = (y * y).Sum() + y.Sum();
        loss.Backward();
        return (y.ToArray<float>(),
            model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray<float>()),
            input.Grad!.ToArray<float>(),
            y.GradFn!.Name);
    }

    /// <summary>
    /// Call and Forward do the same float32 arithmetic in another order (blocked products, fused kernels, vector
    /// activations). Every value is a sum of K rounded terms; rounding to nearest makes the error of such a sum a
    /// random walk of about u·√K times the size of its terms (u = 2⁻²⁴ ≈ 6·10⁻⁸), and the terms are bounded by the
    /// largest element of the tensor, so an element that cancels to near zero keeps its terms' absolute error: the
    /// bound is 10⁻⁵·√K relative to max(1, max |eager|), two orders of magnitude above u·√K for the few layers that
    /// carry the error on. K is the model's largest fan-in for the output and the input gradient, and that times
    /// the rows a parameter gradient sums over (batch × steps) for the parameters.
    /// </summary>
    internal static void AssertAgree(
        (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad, string Node) eager,
        (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad, string Node) call,
        int fanIn, int rows)
    {
        double forward = 1e-5 * Math.Sqrt(fanIn);
        double parameters = 1e-5 * Math.Sqrt((double)fanIn * rows);
        AllClose(eager.Output, call.Output, forward, "output");
        AllClose(eager.InputGrad, call.InputGrad, forward, "input gradient");
        Assert.Equal(eager.Grads.Keys, call.Grads.Keys);
        foreach (var (parameter, grad) in eager.Grads)
        {
            AllClose(grad, call.Grads[parameter], parameters, parameter);
        }
    }

    private static void AllClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale,
                $"{what}[{i}]: Forward {expected[i]}, Call {actual[i]} (tolerance {tolerance * scale:G3})");
        }
    }

    /// <summary>One graph node named after the model, whose inputs are leaves (the input and the parameters), not other nodes.</summary>
    internal static void AssertOneNode(Tensor y, string model)
    {
        Assert.NotNull(y.GradFn);
        Assert.Equal($"{model}Backward", y.GradFn.Name);
        foreach (var next in y.GradFn.NextFunctions)
        {
            Assert.True(next is null or AccumulateGrad, $"{model}Backward reads another node, {next}: the model is more than one node.");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CallMatchesForwardInValuesAndEveryGradient(string model, int batch)
    {
        var (m, x, spec) = Create(model, batch);
        var eager = Run(m, x, compiled: false);
        var call = Run(m, x, compiled: true);
        AssertAgree(eager, call, spec.FanIn, batch * spec.Steps);
    }

    // The compiled-path assertion: fails for a model the compiler does not compile (Call runs Forward, whose last
    // operation names the node), until it does.
    [Theory]
    [MemberData(nameof(Models))]
    public void CallRecordsOneNodeNamedAfterTheModel(string model)
    {
        var (m, x, _) = Create(model, 7);
        x.RequiresGrad = true;
        AssertOneNode(m.Call(x), model);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void CallUnderNoGradRecordsNothingAndGivesForwardsValues(string model)
    {
        var (m, x, spec) = Create(model, 64);
        float[] expected;
        Tensor y;
        using (Autograd.NoGrad())
        {
            expected = m.Forward(x).ToArray<float>();
            y = m.Call(x);
        }

        Assert.Null(y.GradFn);
        AllClose(expected, y.ToArray<float>(), 1e-5 * Math.Sqrt(spec.FanIn), "output");
    }

    // Float64 models: today Call runs Forward for them (the compiled path takes Float32 only), so this checks the eager
    // definitions; once the compiler takes Float64 it checks the generated backward exactly where float32 rounding
    // cannot hide an error.
    [Theory]
    [MemberData(nameof(NewModels))]
    public void CallGradientsMatchCentralDifferencesInFloat64(string model)
    {
        var (m, x, _) = Create(model, 3, DType.Float64);
        CheckCentralDifferences(m, x);
    }

    /// <summary>
    /// Checks <c>Call</c>'s gradients in Float64 by central differences: the input's with <see cref="GradCheck"/>, each
    /// parameter's by the same method written out here (GradCheck perturbs only its own inputs, and a model reads its
    /// parameters): ∂Σ(y·v)/∂p from backward against (Σ(f(p+ε)·v) − Σ(f(p−ε)·v)) / 2ε, with v fixed and random.
    /// </summary>
    internal static void CheckCentralDifferences(Module model, Tensor x)
    {
        const double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
        var input = GradCheck.Run(xs => model.Call(xs[0]), [x], eps, atol, rtol);
        Assert.True(input.Passed, "input: " + input);

        model.ZeroGrad();
        var y = model.Call(x);

        // The compiled graph runs in Float64 too: this checks its generated backward, not Forward's.
        Assert.Equal(model.GetType().Name + "Backward", y.GradFn!.Name);
        var rng = new System.Random(42);
        var v = Tensor.FromArray(Enumerable.Range(0, y.NumElements).Select(_ => (rng.NextDouble() * 2) - 1).ToArray()).Reshape(y.Shape.ToArray());
        (y * v).Sum().Backward();

        double Objective()
        {
            using (Autograd.NoGrad())
            {
                return (model.Call(x) * v).Sum().Item<double>();
            }
        }

        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(DType.Float64, p.DType);
            var analytic = p.Grad!.ToArray<double>();
            var values = p.ToArray<double>();
            for (int j = 0; j < values.Length; j++)
            {
                double original = values[j];
                values[j] = original + eps;
                Set(p, values);
                double plus = Objective();
                values[j] = original - eps;
                Set(p, values);
                double minus = Objective();
                values[j] = original;
                Set(p, values);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(analytic[j] - numeric) <= atol + (rtol * Math.Abs(numeric)),
                    $"{name}[{j}]: Call's backward {analytic[j]:R}, central difference {numeric:R}");
            }
        }

        static void Set(Parameter p, double[] values)
        {
            using (Autograd.NoGrad())
            {
                p.CopyFrom(Tensor.FromArray(values).Reshape(p.Shape.ToArray()));
            }
        }
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>GELU, SiLU, LeakyReLU, ELU, Softplus, LayerNorm, Dropout, Max(dim) and LogSumExp.</summary>
public class NnBlocksTests
{
    public NnBlocksTests() => RandomGenerator.ManualSeed(5);

    static readonly double[] Points = [-30, -4, -1.5, -0.5, -0.01, 0, 0.01, 0.3, 1, 2.5, 19, 25, 100];

    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Run(f, inputs);
        Assert.True(r.Passed, r.ToString());
    }

    static double Erf(double x) => SpecialFunctions.Erf(x);

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static TheoryData<string> Activations() => ["gelu", "gelu-tanh", "silu", "leaky", "elu", "softplus"];

    static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => Functional.Gelu(x),
        "gelu-tanh" => Functional.Gelu(x, "tanh"),
        "silu" => Functional.Silu(x),
        "leaky" => Functional.LeakyRelu(x, 0.2),
        "elu" => Functional.Elu(x, 1.5),
        _ => Functional.Softplus(x, 2, 5),
    };

    /// <summary>PyTorch's formulas, in double, written independently of the runtime's one-liners.</summary>
    static double Reference(string name, double x) => name switch
    {
        "gelu" => x * 0.5 * (1 + Erf(x / Math.Sqrt(2))),
        "gelu-tanh" => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        "silu" => x * Sigmoid(x),
        "leaky" => x > 0 ? x : 0.2 * x,
        "elu" => x > 0 ? x : 1.5 * (Math.Exp(x) - 1),
        _ => 2 * x > 5 ? x : Math.Log(1 + Math.Exp(2 * x)) / 2,
    };

    /// <summary>The derivatives, by hand.</summary>
    static double Derivative(string name, double x) => name switch
    {
        "gelu" => (0.5 * (1 + Erf(x / Math.Sqrt(2)))) + (x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI)),
        "gelu-tanh" => GeluTanhDerivative(x),
        "silu" => Sigmoid(x) * (1 + (x * (1 - Sigmoid(x)))),
        "leaky" => x > 0 ? 1 : 0.2,
        "elu" => x > 0 ? 1 : 1.5 * Math.Exp(x),
        _ => 2 * x > 5 ? 1 : Sigmoid(2 * x),
    };

    static double GeluTanhDerivative(double x)
    {
        double c = Math.Sqrt(2 / Math.PI), u = c * (x + (0.044715 * x * x * x)), t = Math.Tanh(u);
        return (0.5 * (1 + t)) + (0.5 * x * (1 - (t * t)) * c * (1 + (3 * 0.044715 * x * x)));
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Values_and_gradients_match_the_formulas_in_float64(string name)
    {
        var x = Tensor.FromArray(Points);
        x.RequiresGrad = true;
        var y = Apply(name, x);
        Assert.Equal(DType.Float64, y.DType);
        y.Sum().Backward();
        var values = y.ToArray<double>();
        var grads = x.Grad!.ToArray<double>();
        for (int i = 0; i < Points.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - Reference(name, Points[i])) <= 1e-12 * Math.Max(1, Math.Abs(values[i])), $"{name}({Points[i]}) = {values[i]:R}, expected {Reference(name, Points[i]):R}");
            Assert.True(Math.Abs(grads[i] - Derivative(name, Points[i])) <= 1e-12, $"{name}'({Points[i]}) = {grads[i]:R}, expected {Derivative(name, Points[i]):R}");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Float32_values_are_close_to_the_formulas_and_gradients_are_finite(string name)
    {
        var x = Tensor.FromArray(Points.Select(v => (float)v).ToArray());
        x.RequiresGrad = true;
        var y = Apply(name, x);
        Assert.Equal(DType.Float32, y.DType);
        y.Sum().Backward();
        var values = y.ToArray<float>();
        for (int i = 0; i < Points.Length; i++)
            Assert.True(Math.Abs(values[i] - Reference(name, Points[i])) <= 2e-6 * Math.Max(1, Math.Abs(Points[i])), $"{name}({Points[i]}) = {values[i]:R}");
        Assert.All(x.Grad!.ToArray<float>(), g => Assert.True(float.IsFinite(g)));
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void GradCheck_passes(string name) => Check(t => Apply(name, t[0]), R(4, 5));

    [Fact]
    public void Known_PyTorch_values()
    {
        // torch.nn.functional.gelu(torch.tensor([1., -1., 0.5]), approximate=...) and softplus(1.) etc.
        Close.All([0.8413447460685429, -0.15865525393145707, 0.34573123063700656], Functional.Gelu(Tensor.FromArray(new[] { 1.0, -1, 0.5 })).ToArray<double>(), 1e-12);
        Close.All([0.8411919906082768, -0.15880800939172324], Functional.Gelu(Tensor.FromArray(new[] { 1.0, -1 }), "tanh").ToArray<double>(), 1e-12);
        Close.All([0.7310585786300049, -0.2689414213699951], Functional.Silu(Tensor.FromArray(new[] { 1.0, -1 })).ToArray<double>(), 1e-12);
        Close.All([1.3132616875182228, 0.31326168751822286], Functional.Softplus(Tensor.FromArray(new[] { 1.0, -1 })).ToArray<double>(), 1e-12);
        Close.All([-0.6321205588285577], Functional.Elu(Tensor.FromArray(new[] { -1.0 })).ToArray<double>(), 1e-12);
        Close.All([-0.01], Functional.LeakyRelu(Tensor.FromArray(new[] { -1.0 })).ToArray<double>(), 1e-15);
    }

    [Fact]
    public void Subgradients_at_zero_are_PyTorch_s()
    {
        double GradAtZero(Func<Tensor, Tensor> f)
        {
            var x = Tensor.FromArray(new[] { 0.0 });
            x.RequiresGrad = true;
            f(x).Sum().Backward();
            return x.Grad!.ToArray<double>()[0];
        }

        Assert.Equal(0.3, GradAtZero(x => Functional.LeakyRelu(x, 0.3)));
        Assert.Equal(0.01, GradAtZero(x => Functional.LeakyRelu(x)));
        Assert.Equal(2.0, GradAtZero(x => Functional.Elu(x, 2.0)));
        Assert.Equal(0.0, GradAtZero(Functional.Relu));
        Assert.Equal(0.5, GradAtZero(x => Functional.Gelu(x)));
        Assert.Equal(0.5, GradAtZero(Functional.Silu));
    }

    [Fact]
    public void Large_inputs_give_finite_gradients_where_a_branch_not_taken_overflows()
    {
        var x = Tensor.FromArray(new[] { 100f, 1000f, -1000f });
        x.RequiresGrad = true;
        (Functional.Elu(x) + Functional.Softplus(x) + Functional.Silu(x)).Sum().Backward();
        Assert.Equal([3f, 3f, 0f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Bad_gelu_approximation_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.Gelu(Tensor.Zeros(2), "erf"));
        Assert.Contains("\"erf\"", e.Message);
        Assert.Contains("\"erf\"", Assert.Throws<ArgumentException>(() => new GELU("erf")).Message);
    }

    [Fact]
    public void Modules_forward_to_functional_and_print_like_PyTorch()
    {
        var x = R(3, 4);
        Close.All(Functional.Gelu(x, "tanh").ToArray<double>(), new GELU("tanh").Call(x).ToArray<double>(), 0);
        Close.All(Functional.Silu(x).ToArray<double>(), new SiLU().Call(x).ToArray<double>(), 0);
        Close.All(Functional.LeakyRelu(x, 0.1).ToArray<double>(), new LeakyReLU(0.1).Call(x).ToArray<double>(), 0);
        Close.All(Functional.Elu(x, 0.5).ToArray<double>(), new ELU(0.5).Call(x).ToArray<double>(), 0);
        Close.All(Functional.Softplus(x, 2, 3).ToArray<double>(), new Softplus(2, 3).Call(x).ToArray<double>(), 0);
        Assert.Equal("tanh", new GELU("tanh").Approximate);
        Assert.Equal("none", new GELU().Approximate);
        Assert.Equal(0.01, new LeakyReLU().NegativeSlope);
        Assert.Equal(1.0, new ELU().Alpha);
        Assert.Equal((1.0, 20.0), (new Softplus().Beta, new Softplus().Threshold));
        Assert.Equal("GELU(approximate='tanh')", new GELU("tanh").ToString());
        Assert.Equal("LeakyReLU(negative_slope=0.1)", new LeakyReLU(0.1).ToString());
        Assert.Equal("ELU(alpha=0.5)", new ELU(0.5).ToString());
        Assert.Equal("Softplus(beta=2, threshold=3)", new Softplus(2, 3).ToString());
        Assert.Equal("SiLU()", new SiLU().ToString());
        Assert.Equal("Dropout(p=0.25)", new Dropout(0.25).ToString());
        Assert.Equal("LayerNorm((4,), eps=1E-05, elementwise_affine=True)", new LayerNorm(4).ToString());
    }

    // ---- LayerNorm ----

    static double[] LayerNormReference(double[] x, int rows, int n, double[]? w, double[]? b, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, variance = 0;
            for (int j = 0; j < n; j++) mean += x[(r * n) + j];
            mean /= n;
            for (int j = 0; j < n; j++) variance += (x[(r * n) + j] - mean) * (x[(r * n) + j] - mean);
            variance /= n;
            for (int j = 0; j < n; j++)
                y[(r * n) + j] = ((x[(r * n) + j] - mean) / Math.Sqrt(variance + eps) * (w?[j] ?? 1)) + (b?[j] ?? 0);
        }
        return y;
    }

    [Fact]
    public void LayerNorm_matches_a_hand_computed_reference()
    {
        var x = R(2, 3, 4);
        var w = R(4);
        var b = R(4);
        var expected = LayerNormReference(x.ToArray<double>(), 6, 4, w.ToArray<double>(), b.ToArray<double>(), 1e-5);
        Close.All(expected, Functional.LayerNorm(x, [4], w, b).ToArray<double>(), 1e-12);
        // Over the last two dimensions, without affine parameters, with another eps.
        var expected2 = LayerNormReference(x.ToArray<double>(), 2, 12, null, null, 0.1);
        Close.All(expected2, Functional.LayerNorm(x, [3, 4], eps: 0.1).ToArray<double>(), 1e-12);
        Close.All(expected2, new LayerNorm([3, 4], eps: 0.1, elementwiseAffine: false).Call(x).ToArray<double>(), 1e-6);
        // A known value: [1, 2, 3] normalises to [−1.2247, 0, 1.2247] (PyTorch: tensor([-1.2247, 0.0000, 1.2247])).
        Close.All([-1.2247356859083902, 0, 1.2247356859083902], Functional.LayerNorm(Tensor.FromArray(new[] { 1.0, 2, 3 }), [3]).ToArray<double>(), 1e-12);
    }

    [Fact]
    public void LayerNorm_module_has_PyTorch_s_parameters()
    {
        var ln = new LayerNorm(5);
        Assert.Equal([5], ln.NormalizedShape);
        Assert.Equal(1e-5, ln.Eps);
        Assert.True(ln.ElementwiseAffine);
        Assert.Equal(Enumerable.Repeat(1f, 5), ln.Weight!.ToArray<float>());
        Assert.Equal(Enumerable.Repeat(0f, 5), ln.Bias!.ToArray<float>());
        Assert.Equal(["weight", "bias"], ln.NamedParameters().Select(p => p.Name));
        var plain = new LayerNorm([2, 5], elementwiseAffine: false);
        Assert.Null(plain.Weight);
        Assert.Null(plain.Bias);
        Assert.Empty(plain.Parameters());
        Assert.Equal([2, 5], plain.NormalizedShape);
    }

    [Fact]
    public void LayerNorm_gradients_pass_GradCheck()
    {
        Check(t => Functional.LayerNorm(t[0], [4], t[1], t[2]), R(3, 4), R(4), R(4));
        Check(t => Functional.LayerNorm(t[0], [2, 3], eps: 1e-3), R(2, 2, 3));
    }

    [Fact]
    public void LayerNorm_names_both_shapes_when_they_do_not_match()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.LayerNorm(Tensor.Zeros(2, 3), [4]));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.LayerNorm(Tensor.Zeros(2, 3), [3], Tensor.Ones(4)));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Throws<ArgumentException>(() => new LayerNorm([]));
        Assert.Throws<ArgumentException>(() => new LayerNorm(4).Call(Tensor.Zeros(4, 3)));
    }

    // ---- Dropout ----

    [Fact]
    public void Dropout_is_the_identity_in_eval_mode_and_for_p_0()
    {
        var x = R(4, 5);
        var d = new Dropout(0.5);
        d.Eval();
        Assert.Same(x, d.Call(x));
        Assert.Same(x, new Dropout(0).Call(x));
        Assert.Same(x, Functional.Dropout(x, 0.5, training: false));
    }

    [Fact]
    public void Dropout_with_p_1_gives_zeros_and_zero_gradients()
    {
        var x = R(3, 3);
        x.RequiresGrad = true;
        var y = new Dropout(1).Call(x);
        Assert.All(y.ToArray<double>(), v => Assert.Equal(0, v));
        y.Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), g => Assert.Equal(0, g));
    }

    [Fact]
    public void The_same_seed_gives_the_same_mask_and_the_mask_has_mean_one()
    {
        RandomGenerator.ManualSeed(42);
        var a = Functional.DropoutMask([100, 100], 0.3);
        RandomGenerator.ManualSeed(42);
        var b = Functional.DropoutMask([100, 100], 0.3, DType.Float64);
        Assert.Equal(a.ToArray<float>().Select(v => (double)v), b.ToArray<double>().Select(v => (double)(float)v));
        var values = a.ToArray<float>();
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - (1 / 0.7)) < 1e-6));
        Assert.InRange(values.Average(), 0.97, 1.03);
        Assert.InRange(values.Count(v => v == 0) / 10000.0, 0.28, 0.32);
        var c = Functional.DropoutMask([100, 100], 0.3);
        Assert.NotEqual(values, c.ToArray<float>());

        // The module draws the same mask as DropoutMask after the same seed.
        var x = Tensor.Ones([100, 100], DType.Float32);
        RandomGenerator.ManualSeed(42);
        Assert.Equal(values, new Dropout(0.3).Call(x).ToArray<float>());
        RandomGenerator.ManualSeed(42);
        Assert.Equal(values, Functional.Dropout(x, 0.3).ToArray<float>());
    }

    [Fact]
    public void Dropout_gradient_is_the_mask()
    {
        var x = R(20, 20);
        x.RequiresGrad = true;
        RandomGenerator.ManualSeed(3);
        var y = Functional.Dropout(x, 0.4);
        y.Sum().Backward();
        RandomGenerator.ManualSeed(3);
        Assert.Equal(Functional.DropoutMask([20, 20], 0.4, DType.Float64).ToArray<double>(), x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Dropout_rejects_p_outside_0_1()
    {
        Assert.Contains("1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Dropout(Tensor.Zeros(2), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.DropoutMask([2], -1));
        Assert.Throws<ArgumentException>(() => Functional.DropoutMask([2], 0.5, DType.Int32));
    }

    // ---- Max(dim) and LogSumExp ----

    [Fact]
    public void Max_along_a_dimension_gives_values_and_shares_the_gradient_among_ties()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 3, 3 }, { 5, 2, 4 } });
        x.RequiresGrad = true;
        var m = x.Max(1);
        Assert.Equal([3.0, 5], m.ToArray<double>());
        Assert.Equal("[2, 1]", x.Max(1, keepDim: true).Shape.ToString());
        Assert.Equal([5.0, 3, 4], Tensor.Max(x, 0).ToArray<double>());
        Assert.Equal([5.0, 3, 4], x.Max(-2).ToArray<double>());
        (m * Tensor.FromArray(new[] { 1.0, 10 })).Sum().Backward();
        Assert.Equal([0, 0.5, 0.5, 10, 0, 0], x.Grad!.ToArray<double>());
        Check(t => t[0].Max(1, keepDim: true), R(3, 4));
        Check(t => t[0].Max(0), R(3, 4));
    }

    [Fact]
    public void LogSumExp_is_stable_and_its_gradient_is_the_softmax()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 1000, 1000, -1000 } });
        var r = x.LogSumExp(1).ToArray<double>();
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)), r[0], 12);
        Assert.Equal(1000 + Math.Log(2), r[1], 10);
        Assert.Equal("[2, 1]", Tensor.LogSumExp(x, -1, keepDim: true).Shape.ToString());
        var y = R(3, 5);
        y.RequiresGrad = true;
        y.LogSumExp(1).Sum().Backward();
        Close.All(Functional.Softmax(y.Detach(), 1).ToArray<double>(), y.Grad!.ToArray<double>(), 1e-12);
        Check(t => t[0].LogSumExp(0), R(4, 3));
        Check(t => t[0].LogSumExp(1, keepDim: true), R(4, 3));
        // All −∞ gives −∞ (not NaN); an empty dimension gives −∞.
        Assert.Equal(double.NegativeInfinity, Tensor.Full([1, 2], double.NegativeInfinity, DType.Float64).LogSumExp(1).ToArray<double>()[0]);
        Assert.Equal(double.NegativeInfinity, Tensor.Zeros([2, 0], DType.Float64).LogSumExp(1).ToArray<double>()[0]);
    }

    [Fact]
    public void Reductions_name_the_dimension_and_shape_in_errors()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Contains("3", Assert.Throws<ArgumentOutOfRangeException>(() => x.Max(3)).Message);
        Assert.Contains("LogSumExp", Assert.Throws<ArgumentOutOfRangeException>(() => x.LogSumExp(-3)).Message);
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 0).Max(1));
        Assert.Contains("[2, 0]", e.Message);
    }
}

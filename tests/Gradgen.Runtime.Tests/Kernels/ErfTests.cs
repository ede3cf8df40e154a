using System.Globalization;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>erf: the double function against 40-digit values (mpmath), every width of ISimd against it, and its rule.</summary>
public class ErfTests
{
    /// <summary>x and erf(x) to 25 digits, from mpmath at 40 digits.</summary>
    private static readonly double[][] Reference =
    [
        [0.0, 0.0],
        [0.0625, 0.07043197772238707805059006],
        [0.125, 0.1403162048013338173930294],
        [0.1875, 0.2091176770593758483008706],
        [0.25, 0.2763263901682369329850683],
        [0.3125, 0.3414686335015950062933371],
        [0.375, 0.4041169094348222983238251],
        [0.4375, 0.4638981357499329730186612],
        [0.5, 0.5204998778130465376827467],
        [0.5625, 0.5736744566155919539905535],
        [0.625, 0.6232408821884179724486405],
        [0.6875, 0.6690846628860812822284375],
        [0.75, 0.7111556336535151315989378],
        [0.8125, 0.7494640255863620676101870],
        [0.875, 0.7840750610598596583145357],
        [0.9375, 0.8151024010343998041769596],
        [1.0, 0.8427007929497148693412206],
        [1.0625, 0.8670582694349527553838465],
        [1.125, 0.8883882317017077640695784],
        [1.1875, 0.9069217197816864892612724],
        [1.25, 0.9229001282564582301365235],
        [1.3125, 0.9365685747113887137019405],
        [1.375, 0.9481700727820903225639295],
        [1.4375, 0.9579406060564600637129543],
        [1.5, 0.9661051464753107270669763],
        [1.5625, 0.9728746138209335373723152],
        [1.625, 0.9784437332399836647201839],
        [1.6875, 0.9829897166019780297587453],
        [1.75, 0.9866716712191824437722111],
        [1.8125, 0.9896306257947751849563282],
        [1.875, 0.9919900576701199702964631],
        [1.9375, 0.9938568063952131999931299],
        [2.0, 0.9953222650189527341620693],
        [2.0625, 0.9964637508747902110125809],
        [2.125, 0.9973459706405176584693268],
        [2.1875, 0.9980225088163892029859859],
        [2.25, 0.9985372834133188483020892],
        [2.3125, 0.9989259267092776151276212],
        [2.375, 0.9992170617821088808024489],
        [2.4375, 0.9994334567454198350935493],
        [2.5, 0.9995930479825550410604358],
        [2.5625, 0.9997098311383265939258360],
        [2.625, 0.9997946242638587825595181],
        [2.6875, 0.9998557114825745199486953],
        [2.75, 0.9998993780778803631630956],
        [2.8125, 0.9999303492456073562207023],
        [2.875, 0.9999521451602562265870027],
        [2.9375, 0.9999673647128524387369679],
        [3.0, 0.9999779095030014145586272],
        [3.0625, 0.9999851585892071028044669],
        [3.125, 0.9999901032653747543805314],
        [3.1875, 0.9999934498492239695318299],
        [3.25, 0.9999956972205363248781695],
        [3.3125, 0.9999971946873958270698186],
        [3.375, 0.9999981847185725596442382],
        [3.4375, 0.9999988341746510258058979],
        [3.5, 0.9999992569016276585872545],
        [3.5625, 0.9999995299121609667129673],
        [3.625, 0.9999997048598074884301414],
        [3.6875, 0.9999998160959875250596613],
        [3.75, 0.9999998862727434302033467],
        [3.8125, 0.9999999302015868143788233],
        [3.875, 0.9999999574860559175088780],
        [3.9375, 0.9999999743008093870884943],
        [4.0, 0.9999999845827420997199811],
        [4.0625, 0.9999999908210709751918086],
        [4.125, 0.9999999945765992004349340],
        [4.1875, 0.9999999968198769483374218],
        [4.25, 0.9999999981494258626132575],
        [4.3125, 0.9999999989312963912262850],
        [4.375, 0.9999999993875167046430640],
        [4.4375, 0.9999999996516503007667357],
        [4.5, 0.9999999998033839558457113],
        [4.5625, 0.9999999998898706791859407],
        [4.625, 0.9999999999387838948696577],
        [4.6875, 0.9999999999662319915034412],
        [4.75, 0.9999999999815149522785147],
        [4.8125, 0.9999999999899582481417650],
        [4.875, 0.9999999999945865935337021],
        [4.9375, 0.9999999999971039734139258],
        [5.0, 0.9999999999984625402055720],
        [5.0625, 0.9999999999991900225759708],
        [5.125, 0.9999999999995765436623664],
        [5.1875, 0.9999999999997803103325438],
        [5.25, 0.9999999999998868968673311],
        [5.3125, 0.9999999999999422166893711],
        [5.375, 0.9999999999999707051144551],
        [5.4375, 0.9999999999999852618952404],
        [5.5, 0.9999999999999926421520820],
        [5.5625, 0.9999999999999963548263011],
        [5.625, 0.9999999999999982079799943],
        [5.6875, 0.9999999999999991257741048],
        [5.75, 0.9999999999999995767863383],
        [5.8125, 0.9999999999999997966941237],
        [5.875, 0.9999999999999999030844435],
        [5.9375, 0.9999999999999999541552656],
        [6.0, 0.9999999999999999784802633],
        [6.0625, 0.9999999999999999899761371],
        [6.125, 0.9999999999999999953667778],
        [6.1875, 0.9999999999999999978748961],
        [6.25, 0.9999999999999999990327796],
        [6.3125, 0.9999999999999999995631642],
        [6.375, 0.9999999999999999998042248],
        [6.4375, 0.9999999999999999999129351],
        [1e-300, 1.128379167095512602172316e-300],
        [1e-10, 1.128379167095512615001730e-10],
        [1e-05, 0.00001128379167057900027298965],
        [0.001, 0.001128378790969236403437564],
        [0.3, 0.3286267594591274161896180],
        [0.7, 0.6778011938374184422768582],
        [1.249999, 0.9228998917350401507329875],
        [1.250001, 0.9229003647772850067340385],
        [2.1, 0.9970205333436670157143094],
        [3.3, 0.9999969422902035618348012],
        [4.4, 0.9999999995108289729394127],
        [5.5, 0.9999999999999926421520820],
        [5.99, 0.9999999999999999756995449],
    ];

    private static double Ulp(double v) => v == 0 ? double.Epsilon : Math.BitIncrement(Math.Abs(v)) - Math.Abs(v);

    [Fact]
    public void The_double_erf_is_within_2_ulp_of_40_digit_values_and_odd()
    {
        foreach (var pair in Reference)
        {
            double x = pair[0], expected = pair[1];
            double actual = SpecialFunctions.Erf(x);
            Assert.True(Math.Abs(actual - expected) <= 2 * Ulp(expected), string.Create(CultureInfo.InvariantCulture, $"erf({x:R}) = {actual:R}, expected {expected:R}"));
            Assert.Equal(-actual, SpecialFunctions.Erf(-x));
        }
    }

    [Fact]
    public void Special_values()
    {
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.Equal(1.0, SpecialFunctions.Erf(7.0));
        Assert.True(double.IsNegative(SpecialFunctions.Erf(-0.0)));
        Assert.True(float.IsNaN(SpecialFunctions.Erf(float.NaN)));
        Assert.Equal(0.84270079294971487, SpecialFunctions.Erf(1.0), 15);
        Assert.Equal(0.8427008f, SpecialFunctions.Erf(1f));
    }

    public static TheoryData<Width> Widths() => [.. Harness.AllWidths];

    [Theory]
    [MemberData(nameof(Widths))]
    public void Float_erf_is_within_5e_minus_7_absolute_of_the_double_one(Width width)
    {
        var xs = new List<float>();
        for (int i = -80000; i <= 80000; i++) xs.Add(i * 1e-4f);
        xs.AddRange([1e-30f, -1e-30f, 1e-7f, 10f, -10f, 1e30f, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity]);
        var x = xs.ToArray();
        var y = Harness.Map(width, Fn.Erf, x);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = SpecialFunctions.Erf((double)x[i]);
            double error = Math.Abs(y[i] - expected);
            worst = Math.Max(worst, error);
            Assert.True(error <= 5e-7, string.Create(CultureInfo.InvariantCulture, $"{width}: erf({x[i]:R}) = {y[i]:R}, expected {expected:R}"));
            // Near 0 the series keeps the relative accuracy.
            if (Math.Abs(x[i]) < 0.5 && x[i] != 0) Assert.True(Math.Abs(error / expected) < 1e-6, $"{width}: relative error at {x[i]:R}");
        }
        Assert.True(worst > 0, "the comparison saw no difference at all, so it checked nothing");
        Assert.True(float.IsNaN(Harness.Map(width, Fn.Erf, [float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])[0]));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Double_erf_is_the_double_function_at_every_width(Width width)
    {
        if (width == Width.V256Portable) return;
        var x = Enumerable.Range(-700, 1401).Select(i => i * 0.01).Append(double.NaN).ToArray();
        var y = Harness.Map(width, Fn.Erf, x);
        for (int i = 0; i < x.Length; i++) Assert.Equal(SpecialFunctions.Erf(x[i]), y[i]);
    }

    [Fact]
    public void Tensor_erf_through_a_differentiable_function_gets_the_rule_s_gradient()
    {
        // GELU's exact form calls SpecialFunctions.Erf; its gradient at x is Φ(x) + x·φ(x).
        var x = Tensor.FromArray(new[] { -2.0, -0.5, 0, 0.3, 1.7 });
        x.RequiresGrad = true;
        Gradgen.Nn.Functional.Gelu(x).Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        double[] xs = [-2.0, -0.5, 0, 0.3, 1.7];
        for (int i = 0; i < xs.Length; i++)
        {
            double cdf = 0.5 * (1 + SpecialFunctions.Erf(xs[i] / Math.Sqrt(2)));
            double pdf = Math.Exp(-xs[i] * xs[i] / 2) / Math.Sqrt(2 * Math.PI);
            Assert.Equal(cdf + (xs[i] * pdf), g[i], 12);
        }
    }
}

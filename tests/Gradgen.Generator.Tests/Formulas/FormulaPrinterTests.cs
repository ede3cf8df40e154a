using CsCheck;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Emitters;
using Gradgen.Generator.Emitters.Formulas;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Tests.Formulas;

/// <summary>
/// The derivative formulas in the XML docs: simplified exactly and written for reading. Examples show each rule; the
/// property test prints random IR, reads the printed text back and checks it has the value of the IR at random points.
/// </summary>
public sealed class FormulaPrinterTests
{
    private static readonly string[] Names = { "x", "y" };

    [Fact]
    public void BumpsDerivativeHasItsFactorsPulledOutAndItsConstantsFirst()
    {
        // Bump(x) = sin(2πx)·exp(−(x − 5)²/3), differentiated as the generator does.
        var b = new GraphBuilder(isFloat: true);
        int x = b.Parameter(0);
        int sin = b.Apply(Op.Sin, b.Multiply(b.Multiply(b.Constant(2), b.Constant(Math.PI)), x));
        int shifted = b.Subtract(x, b.Constant(5));
        int bump = b.Multiply(sin, b.Apply(Op.Exp, b.Divide(b.Multiply(b.Negate(shifted), shifted), b.Constant(3))));
        int derivative = ReverseModeDifferentiator.Differentiate(b, bump, b.Constant(1), Names.Take(1).ToArray())[0];
        var graph = b.ToGraph(new[] { bump, derivative });

        Assert.Equal("sin(2πx)·exp(−(x − 5)²/3)", Print(graph, bump, isFloat: true));
        Assert.Equal("(2π·cos(2πx) − ⅔(x − 5)·sin(2πx))·exp(−(x − 5)²/3)", Print(graph, derivative, isFloat: true));
    }

    [Theory]
    [InlineData("−a/3 − a/3", "−⅔x")]
    [InlineData("x·1 + 0", "x")]
    [InlineData("x·x·x/y", "x³/y")]
    [InlineData("2·(x + 1) − (x + 1)", "x + 1")]
    [InlineData("x·y + x·sin(y)", "x·(y + sin(y))")]
    [InlineData("y·x − x·y", "0")]
    [InlineData("(x + 1)/(2·x + 2)", "½")]
    public void LikeTermsAreCollectedAndCommonFactorsPulledOut(string what, string expected)
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int node = what switch
        {
            "−a/3 − a/3" => b.Subtract(b.Negate(b.Divide(x, b.Constant(3))), b.Divide(x, b.Constant(3))),
            "x·1 + 0" => b.Add(b.Multiply(x, b.Constant(1)), b.Constant(0)),
            "x·x·x/y" => b.Divide(b.Multiply(b.Multiply(x, x), x), y),
            "2·(x + 1) − (x + 1)" => b.Subtract(b.Multiply(b.Constant(2), b.Add(x, b.Constant(1))), b.Add(x, b.Constant(1))),
            "x·y + x·sin(y)" => b.Add(b.Multiply(x, y), b.Multiply(x, b.Apply(Op.Sin, y))),
            "y·x − x·y" => b.Subtract(b.Multiply(y, x), b.Multiply(x, y)),
            _ => b.Divide(b.Add(x, b.Constant(1)), b.Add(b.Multiply(b.Constant(2), x), b.Constant(2))),
        };

        Assert.Equal(expected, Print(b.ToGraph(new[] { node }), node));
    }

    [Fact]
    public void ALongSubexpressionThatOccursTwiceGetsAName()
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int e = b.Apply(Op.Exp, b.Add(b.Add(b.Multiply(x, x), y), b.Constant(1)));
        int node = b.Add(b.Apply(Op.Sin, e), b.Apply(Op.Cos, b.Multiply(y, e)));

        Assert.Equal("sin(e) + cos(y·e), where e = exp(x² + y + 1)", Print(b.ToGraph(new[] { node }), node));
    }

    [Theory]
    [InlineData("max(select, −2)", "max(x < −3 ? −3 : x, −2)")]
    [InlineData("select", "y > x ? y : −x")]
    [InlineData("2·select", "2(y > x ? y : −x)")]
    [InlineData("y + select", "y + (y > x ? y : −x)")]
    [InlineData("select of sums", "x + y > 1 ? y + 1 : −x")]
    [InlineData("select in a select", "y > x ? (y > x ? y : −x) : x")]
    public void ASelectIsBracketedOnlyWhereSomethingBindsToIt(string what, string expected)
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int select = b.Select(b.Apply(Op.GreaterThan, y, x), y, b.Negate(x));
        int node = what switch
        {
            "max(select, −2)" => b.Apply(Op.Max, b.Select(b.Apply(Op.LessThan, x, b.Constant(-3)), b.Constant(-3), x), b.Constant(-2)),
            "select" => select,
            "2·select" => b.Multiply(select, b.Constant(2)),
            "y + select" => b.Add(y, select),
            "select of sums" => b.Select(b.Apply(Op.GreaterThan, b.Add(y, x), b.Constant(1)), b.Add(y, b.Constant(1)), b.Negate(x)),
            _ => b.Select(b.Apply(Op.GreaterThan, y, x), select, x),
        };

        var graph = b.ToGraph(new[] { node });
        Assert.Equal(expected, Print(graph, node));
        // The text reads back to the IR's value, at a point on each side of every condition.
        foreach (var (px, py) in new[] { (-4.0, 0.5), (0.75, 2.0), (2.5, -1.0) })
        {
            double printed = PrintedFormula.Evaluate(expected, new Dictionary<string, double> { ["x"] = px, ["y"] = py });
            Assert.Equal(EvaluateIr(graph, node, px, py, out _, out _), printed, 12);
        }
    }

    [Fact]
    public void TheInlineFallbackBracketsASelectOnlyWhereSomethingBindsToIt()
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int clamped = b.Apply(Op.Max, b.Select(b.Apply(Op.LessThan, x, b.Constant(-3)), b.Constant(-3), x), b.Constant(-2));
        int node = b.Multiply(b.Select(b.Apply(Op.GreaterThan, y, clamped), y, clamped), b.Constant(2));

        Assert.Equal("(y > max(x < -3 ? -3 : x, -2) ? y : max(x < -3 ? -3 : x, -2))·2", FormulaPrinter.Inline(b.ToGraph(new[] { node }), node, Names, "g", isFloat: false));
    }

    [Fact]
    public void AFormulaWhoseFractionsOverflowIsPrintedAsTheIrStands()
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0);
        // (x/63)¹⁶ has the coefficient 1/63¹⁶, beyond a long: the printer falls back to inlining the IR.
        int node = b.Apply(Op.Pow, b.Divide(x, b.Constant(63)), b.Constant(16));

        Assert.Equal("pow(x / 63, 16)", Print(b.ToGraph(new[] { node }), node));
    }

    [Theory]
    [InlineData(true, 0.044715, "0.044715x")]
    [InlineData(false, 0.044715, "0.044715x")]
    [InlineData(false, 0.12345678901234, "0.12345678901234x")]
    [InlineData(true, 0.12345678901234, "0.12345679x")]
    [InlineData(false, 1e-7, "1E-07x")]
    public void AConstantPrintsAsTheShortestTextThatReadsBackAtTheFunctionsPrecision(bool isFloat, double value, string expected)
    {
        // A float function's constant is the float nearest the literal (the builder rounds it), held in a double: it
        // prints as the float's shortest text, not as 0.044714998453855515; a double function's as the double's.
        var b = new GraphBuilder(isFloat);
        int x = b.Parameter(0);
        int node = b.Multiply(b.Constant(value), x);
        var graph = b.ToGraph(new[] { node });

        string printed = Print(graph, node, isFloat);
        Assert.Equal(expected, printed);
        double readBack = PrintedFormula.Evaluate(printed, new Dictionary<string, double> { ["x"] = 1 });
        Assert.Equal(isFloat ? (float)value : value, isFloat ? (float)readBack : readBack);
    }

    [Theory]
    [InlineData("ln 2", "ln 2·x")]
    [InlineData("ln 10", "ln 10·x")]
    [InlineData("√2", "√2·x")]
    [InlineData("1/√2", "x/√2")]
    [InlineData("√(2/π)", "√(2/π)·x")]
    [InlineData("√(2π)", "√(2π)·x")]
    [InlineData("1/√(2π)", "x/√(2π)")]
    [InlineData("2/√π", "2x/√π")]
    [InlineData("e", "e·x")]
    [InlineData("−√2", "−√2·x")]
    public void AUsualConstantPrintsByItsNameAtEitherPrecision(string constant, string expected)
    {
        double value = constant switch
        {
            "ln 2" => Math.Log(2),
            "ln 10" => Math.Log(10),
            "√2" => Math.Sqrt(2),
            "1/√2" => Math.Sqrt(0.5),
            "√(2/π)" => Math.Sqrt(2 / Math.PI),
            "√(2π)" => Math.Sqrt(2 * Math.PI),
            "1/√(2π)" => 1 / Math.Sqrt(2 * Math.PI),
            "2/√π" => 2 / Math.Sqrt(Math.PI),
            "e" => Math.E,
            _ => -Math.Sqrt(2),
        };
        foreach (bool isFloat in new[] { false, true })
        {
            var b = new GraphBuilder(isFloat);
            int x = b.Parameter(0);
            int node = b.Multiply(b.Constant(value), x);
            var graph = b.ToGraph(new[] { node });

            string printed = Print(graph, node, isFloat);
            Assert.Equal(expected, printed);
            // PrintedFormula knows the names with their own values: the name printed is the constant the IR holds.
            double readBack = PrintedFormula.Evaluate(printed, new Dictionary<string, double> { ["x"] = 3 });
            Assert.Equal(isFloat ? (float)(value * 3) : value * 3, isFloat ? (float)readBack : readBack, 14);
        }
    }

    [Theory]
    [InlineData(false, 1.4142135623731)]
    [InlineData(false, 0.6931)]
    [InlineData(true, 0.69315)]
    public void ANumberNearAUsualConstantButNotItAtThePrecisionPrintsAsDigits(bool isFloat, double value)
    {
        var b = new GraphBuilder(isFloat);
        int x = b.Parameter(0);
        int node = b.Multiply(b.Constant(value), x);

        string printed = Print(b.ToGraph(new[] { node }), node, isFloat);
        Assert.Equal((isFloat ? ((float)value).ToString("R", System.Globalization.CultureInfo.InvariantCulture) : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)) + "x", printed);
    }

    [Fact]
    public void GeluTanhsDerivativeShowsItsConstantsAtFullPrecision()
    {
        // PyTorch's tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))) in a float function.
        var b = new GraphBuilder(isFloat: true);
        int x = b.Parameter(0);
        int gelu = ScalarBodies.Gelu(b, x, tanh: true);
        int derivative = ReverseModeDifferentiator.Differentiate(b, gelu, b.Constant(1), Names.Take(1).ToArray())[0];
        var graph = b.ToGraph(new[] { gelu, derivative });

        string printed = Print(graph, derivative, isFloat: true);
        // Before: 0.7978846 for √(2/π), the float's digits (and a double function's 0.7978846 too, at float precision).
        Assert.Equal("t/2 − 3·0.044715·√(2/π)·x³·u/2 − √(2/π)·x·u/2 + ½, where u = (t² − 1); t = tanh(√(2/π)·(x·(0.044715x² + 1)))", printed);
        foreach (double px in new[] { -2.0, 0.3, 1.7 })
        {
            var at = new Dictionary<string, double> { ["x"] = px };
            Assert.Equal(EvaluateIr(graph, derivative, px, 0, out _, out _), PrintedFormula.Evaluate(printed, at), 6);
        }
    }

    [Fact]
    public void ASubexpressionThatOccursInADenominatorCountsAsAnOccurrence()
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int e = b.Apply(Op.Exp, b.Add(b.Add(b.Multiply(x, x), y), b.Constant(1)));
        int node = b.Add(b.Apply(Op.Sin, e), b.Divide(y, e));

        Assert.Equal("sin(e) + y/e, where e = exp(x² + y + 1)", Print(b.ToGraph(new[] { node }), node));
    }

    [Fact]
    public void ARepeatedSubexpressionIsNotNamedAfterTheConstantE()
    {
        var b = new GraphBuilder(isFloat: false);
        int x = b.Parameter(0), y = b.Parameter(1);
        int exp = b.Apply(Op.Exp, b.Add(b.Add(b.Multiply(x, x), y), b.Constant(1)));
        int node = b.Add(b.Multiply(b.Constant(Math.E), b.Apply(Op.Sin, exp)), b.Apply(Op.Cos, exp));

        string printed = Print(b.ToGraph(new[] { node }), node);
        Assert.Equal("e·sin(u) + cos(u), where u = exp(x² + y + 1)", printed);
        Assert.Equal((Math.E * Math.Sin(Math.Exp(4 + 2 + 1))) + Math.Cos(Math.Exp(4 + 2 + 1)), PrintedFormula.Evaluate(printed, new Dictionary<string, double> { ["x"] = 2, ["y"] = 2 }), 9);
    }

    [Fact]
    public void RandomFormulasPrintToTextWithTheValueOfTheIr()
    {
        // A program is a list of instructions over a growing list of values (x and y first); the last value is printed.
        var programs = Gen.Select(Gen.Int[0, int.MaxValue].Array[1, 24], Gen.Double[-2, 2], Gen.Double[-2, 2]);
        int compared = 0;

        // CsCheck runs the seed's program first (a select, once printed with its condition bracketed, ((y > …) ? y : …),
        // which PrintedFormula could not read), then fresh random programs each run: a failure prints the seed to reproduce.
        programs.Sample((program, px, py) =>
        {
            var b = new GraphBuilder(isFloat: false);
            var values = new List<int> { b.Parameter(0), b.Parameter(1) };
            foreach (int instruction in program)
            {
                values.Add(Instruction(b, values, instruction));
            }

            var graph = b.ToGraph(new[] { values[^1] });
            double expected = EvaluateIr(graph, values[^1], px, py, out double largest, out bool nearTie);
            if (!double.IsFinite(expected) || largest > 1e6 || nearTie)
            {
                return;
            }

            if (!FormulaPrinter.TryPrintNormalForm(graph, values[^1], Names, "g", isFloat: false, out string printed))
            {
                // Exact fractions that overflow or divide by zero: the docs get the IR inlined instead (AFormulaWhoseFractionsOverflowIsPrintedAsTheIrStands).
                return;
            }

            double actual = PrintedFormula.Evaluate(printed, new Dictionary<string, double> { ["x"] = px, ["y"] = py });
            Assert.True(Math.Abs(actual - expected) <= 1e-9 * (1 + largest), $"{printed} at x = {px}, y = {py} is {actual}; the IR {FormulaPrinter.Inline(graph, values[^1], Names, "g", isFloat: false)} is {expected}");
            Interlocked.Increment(ref compared);
        }, iter: 3000, seed: "8ZDGeyWr-fw1");

        // Programs whose value is not finite or too large to compare are left out; most are compared.
        Assert.True(compared > 2000, $"only {compared} of 3000 programs were compared");
    }

    [Fact]
    public void TheNormalFormsMeasuredLengthIsTheLengthOfItsTextAndEqualFormsShareAHash()
    {
        // The normal form compares sums by structure and measures their growth without writing them out: the measure
        // must be the length of the text it stands for, and sums written alike must compare and hash alike.
        var programs = Gen.Int[0, int.MaxValue].Array[1, 16];
        programs.Sample(program =>
        {
            var b = new GraphBuilder(isFloat: false);
            var values = new List<int> { b.Parameter(0), b.Parameter(1) };
            foreach (int instruction in program)
            {
                values.Add(Instruction(b, values, instruction));
            }

            var graph = b.ToGraph(new[] { values[^1] });
            Sum first, second;
            try
            {
                first = NormalForm.For(graph, Names, "g", isFloat: false).Of(values[^1]);
                second = NormalForm.For(graph, Names, "g", isFloat: false).Of(values[^1]);
            }
            catch (Exception e) when (e is OverflowException or DivideByZeroException)
            {
                return;
            }

            Assert.Equal(first.Key.Length, first.KeyLength);
            if (first.Terms.Count > 0)
            {
                // Two conversions make two objects (zero is one shared sum): they must compare by structure.
                Assert.NotSame(first, second);
            }

            Assert.True(first.SameAs(second), first.Key);
            Assert.Equal(first.Hash, second.Hash);
            foreach (var term in first.Terms)
            {
                Assert.Equal(term.Key.Length, term.KeyLength);
                Assert.All(term.Factors, f => Assert.Equal(f.Atom.Key.Length, f.Atom.KeyLength));
            }
        }, iter: 500, seed: "8ZDGeyWr-fw1");
    }

    [Fact]
    public void AFormulaThatGrowsPastTheLimitIsPrintedAsTheIrStandsCut()
    {
        // Each step uses the last value twice, in two different calls: written out, the formula doubles at every step.
        var b = new GraphBuilder(isFloat: false);
        int z = b.Parameter(0);
        for (int i = 0; i < 12; i++)
        {
            z = b.Add(b.Apply(Op.Sin, z), b.Apply(Op.Cos, z));
        }

        var graph = b.ToGraph(new[] { z });

        Assert.False(FormulaPrinter.TryPrintNormalForm(graph, z, Names, "g", isFloat: false, out _));
        Assert.Equal(FormulaPrinter.Inline(graph, z, Names, "g", isFloat: false), Print(graph, z));
        Assert.EndsWith(" …", Print(graph, z), StringComparison.Ordinal);
    }

    private static readonly double[] Constants = { 0.5, 2, 3, 1.0 / 3, -1, 5, Math.PI, 2 * Math.PI, 0.1, 1.2345 };

    private static int Instruction(GraphBuilder b, List<int> values, int instruction)
    {
        int Pick(int salt) => values[(int)((uint)(instruction / (salt * 31 + 17)) % (uint)values.Count)];
        int a = Pick(1), c = Pick(2);
        int constant = b.Constant(Constants[(instruction / 7) % Constants.Length]);
        return (instruction % 17) switch
        {
            0 => b.Add(a, c),
            1 => b.Subtract(a, c),
            2 => b.Multiply(a, c),
            3 => b.Divide(a, b.Add(b.Multiply(c, c), b.Constant(1))),
            4 => b.Negate(a),
            5 => b.Multiply(a, constant),
            6 => b.Add(a, constant),
            7 => b.Divide(a, constant),
            8 => b.Apply(Op.Pow, a, b.Constant((instruction / 5 % 5) - 1)),
            9 => b.Apply(Op.Sin, a),
            10 => b.Apply(Op.Exp, b.Apply(Op.Sin, a)),
            11 => b.Apply(Op.FusedMultiplyAdd, a, c, constant),
            12 => b.Apply(Op.Sqrt, b.Add(b.Multiply(a, a), constant)),
            13 => b.Select(b.Apply(Op.GreaterThan, a, c), a, b.Negate(c)),
            14 => b.Apply(Op.Max, a, constant),
            15 => b.Subtract(b.Multiply(a, c), b.Multiply(c, b.Add(a, constant))),
            _ => b.Apply(Op.Pow, b.Add(b.Multiply(a, a), b.Constant(1)), b.Apply(Op.Cos, c)),
        };
    }

    /// <summary>
    /// The IR's value at (x, y), the largest magnitude met, and whether a comparison met operands equal to within
    /// rounding (a near tie): there the simplified formula, rounded differently, may take the other branch.
    /// </summary>
    internal static double EvaluateIr(IrGraph graph, int output, double x, double y, out double largest, out bool nearTie)
    {
        var values = new double[output + 1];
        largest = 0;
        nearTie = false;
        for (int id = 0; id <= output; id++)
        {
            var node = graph.Nodes[id];
            values[id] = node.Op switch
            {
                Op.Parameter => node.Value == 0 ? x : y,
                Op.Constant => node.Value,
                Op.Select => values[node.Args[0]] != 0 ? values[node.Args[1]] : values[node.Args[2]],
                _ => PrimitiveRules.Get(node.Op).Fold!(node.Args.Select(a => values[a]).ToArray()),
            };
            // The scale of the values the output is computed from bounds the rounding error of any order of operations.
            if (!PrimitiveRules.Get(node.Op).IsMask && double.IsFinite(values[id]))
            {
                largest = Math.Max(largest, Math.Abs(values[id]));
            }
            else if (node.Args.Count == 2 && PrimitiveRules.Get(node.Op).IsMask)
            {
                // A comparison of NaN (0/0 at y = 0, say) takes a branch on an undefined value, which the printed form,
                // simplified as algebra is (y/y = 1), does not follow: no value to compare there, as at a near tie.
                double a = values[node.Args[0]], b = values[node.Args[1]];
                nearTie |= double.IsNaN(a) || double.IsNaN(b) || Math.Abs(a - b) <= 1e-9 * (1 + Math.Abs(a) + Math.Abs(b));
            }
        }

        return values[output];
    }

    private static string Print(IrGraph graph, int node, bool isFloat = false) => FormulaPrinter.PrintWhole(graph, node, Names, "g", isFloat);
}

using System;
using System.Collections.Generic;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Rules;

/// <summary>
/// THE table: one entry per primitive, with its folding, its spelling in generated C# and CUDA C, and its
/// vector-Jacobian product written in IR terms (as JAX's defjvp or PyTorch's derivatives.yaml). Adding an operation
/// means adding an entry here (and a member to <c>ISimd</c> if it is a new function); nothing else knows derivatives.
/// </summary>
/// <remarks>
/// At points where a function is not differentiable Gradgen makes PyTorch's choices: |x|' = sign(x), so 0 at 0;
/// min and max split the gradient evenly on a tie; clamp passes the gradient where lo ≤ x ≤ hi; a comparison or a
/// branch has no gradient with respect to its condition; floor, ceiling, round, truncate and sign have gradient 0.
/// </remarks>
internal static class PrimitiveRules
{
    private static readonly Dictionary<Op, PrimitiveRule> Rules = Build();

    public static PrimitiveRule Get(Op op) => Rules[op];

    public static IEnumerable<PrimitiveRule> All => Rules.Values;

    private static int[] None(int count)
    {
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = -1;
        }

        return result;
    }

    private static Dictionary<Op, PrimitiveRule> Build()
    {
        var rules = new List<PrimitiveRule>
        {
            Leaf(Op.Parameter),
            Leaf(Op.Constant),
            Leaf(Op.GradOutput),

            // ---- arithmetic ----
            new(Op.Add, 2)
            {
                IsCommutative = true, MathName = "+", InfixPrecedence = 1, SimdMethod = "Add",
                CudaFloat = "({0} + {1})", CudaDouble = "({0} + {1})", Fold = v => v[0] + v[1],
                Vjp = (b, x, y, g) => new[] { g, g },
                DerivativeNote = "∂(a+b) = (g, g)",
            },
            new(Op.Subtract, 2)
            {
                MathName = "−", InfixPrecedence = 1, SimdMethod = "Subtract",
                CudaFloat = "({0} - {1})", CudaDouble = "({0} - {1})", Fold = v => v[0] - v[1],
                Vjp = (b, x, y, g) => new[] { g, b.Negate(g) },
                DerivativeNote = "∂(a−b) = (g, −g)",
            },
            new(Op.Multiply, 2)
            {
                IsCommutative = true, MathName = "·", InfixPrecedence = 2, SimdMethod = "Multiply",
                CudaFloat = "({0} * {1})", CudaDouble = "({0} * {1})", Fold = v => v[0] * v[1],
                Vjp = (b, x, y, g) => new[] { b.Multiply(g, x[1]), b.Multiply(g, x[0]) },
                DerivativeNote = "∂(a·b) = (g·b, g·a)",
            },
            new(Op.Divide, 2)
            {
                MathName = "/", InfixPrecedence = 2, SimdMethod = "Divide",
                CudaFloat = "({0} / {1})", CudaDouble = "({0} / {1})", Fold = v => v[0] / v[1],
                // d(a/b)/db = −a/b² = −y/b: reuses the quotient.
                Vjp = (b, x, y, g) => new[] { b.Divide(g, x[1]), b.Negate(b.Divide(b.Multiply(g, y), x[1])) },
                DerivativeNote = "∂(a/b) = (g/b, −g·y/b)",
            },
            new(Op.Negate, 1)
            {
                MathName = "−", InfixPrecedence = 3, SimdMethod = "Negate",
                CudaFloat = "(-{0})", CudaDouble = "(-{0})", Fold = v => -v[0],
                Vjp = (b, x, y, g) => new[] { b.Negate(g) },
                DerivativeNote = "∂(−a) = −g",
            },
            new(Op.FusedMultiplyAdd, 3)
            {
                MathName = "fma", SimdMethod = "FusedMultiplyAdd",
                CudaFloat = "fmaf({0}, {1}, {2})", CudaDouble = "fma({0}, {1}, {2})", Fold = v => (v[0] * v[1]) + v[2],
                Vjp = (b, x, y, g) => new[] { b.Multiply(g, x[1]), b.Multiply(g, x[0]), g },
                DerivativeNote = "∂fma(a,b,c) = (g·b, g·a, g)",
            },

            // ---- exponentials and logarithms ----
            Unary(Op.Exp, "exp", "expf", "exp", Math.Exp, (b, x, y, g) => b.Multiply(g, y), "g·y"),
            Unary(Op.Log, "ln", "logf", "log", Math.Log, (b, x, y, g) => b.Divide(g, x[0]), "g/a"),
            Unary(Op.Log2, "log₂", "log2f", "log2", v => Math.Log(v) / Math.Log(2), (b, x, y, g) => b.Divide(g, b.Multiply(x[0], b.Constant(Math.Log(2)))), "g/(a·ln 2)"),
            Unary(Op.Log10, "log₁₀", "log10f", "log10", Math.Log10, (b, x, y, g) => b.Divide(g, b.Multiply(x[0], b.Constant(Math.Log(10)))), "g/(a·ln 10)"),
            Unary(Op.Sqrt, "√", "sqrtf", "sqrt", Math.Sqrt, (b, x, y, g) => b.Divide(b.Multiply(g, b.Constant(0.5)), y), "g/(2y)"),
            Unary(Op.Cbrt, "∛", "cbrtf", "cbrt", Cbrt, (b, x, y, g) => b.Divide(g, b.Multiply(b.Constant(3), b.Multiply(y, y))), "g/(3y²)"),
            new(Op.Pow, 2)
            {
                MathName = "pow", SimdMethod = "Pow", CudaFloat = "powf({0}, {1})", CudaDouble = "pow({0}, {1})", Fold = v => Math.Pow(v[0], v[1]),
                // PyTorch: the base gets b·a^(b−1), 0 where b = 0; the exponent gets y·ln a, 0 where a = 0 and b ≥ 0.
                Vjp = (b, x, y, g) =>
                {
                    int exponentIsZero = b.Apply(Op.Equal, x[1], b.Constant(0));
                    int powered = b.Apply(Op.Pow, x[0], b.Subtract(x[1], b.Constant(1)));
                    int da = b.Select(exponentIsZero, b.Constant(0), b.Multiply(g, b.Multiply(x[1], powered)));
                    int baseIsZero = b.Apply(Op.And, b.Apply(Op.Equal, x[0], b.Constant(0)), b.Apply(Op.GreaterThanOrEqual, x[1], b.Constant(0)));
                    int db = b.Select(baseIsZero, b.Constant(0), b.Multiply(g, b.Multiply(y, b.Apply(Op.Log, x[0]))));
                    return new[] { da, db };
                },
                DerivativeNote = "∂aᵇ = (g·b·a^(b−1), g·y·ln a); 0 where b = 0, resp. a = 0 ∧ b ≥ 0",
            },
            new(Op.Hypot, 2)
            {
                IsCommutative = true, MathName = "hypot", SimdMethod = "Hypot", CudaFloat = "hypotf({0}, {1})", CudaDouble = "hypot({0}, {1})",
                Fold = v => Math.Sqrt((v[0] * v[0]) + (v[1] * v[1])),
                Vjp = (b, x, y, g) => new[] { b.Divide(b.Multiply(g, x[0]), y), b.Divide(b.Multiply(g, x[1]), y) },
                DerivativeNote = "∂hypot(a,b) = (g·a/y, g·b/y)",
            },

            // ---- trigonometric ----
            Unary(Op.Sin, "sin", "sinf", "sin", Math.Sin, (b, x, y, g) => b.Multiply(g, b.Apply(Op.Cos, x[0])), "g·cos a"),
            Unary(Op.Cos, "cos", "cosf", "cos", Math.Cos, (b, x, y, g) => b.Negate(b.Multiply(g, b.Apply(Op.Sin, x[0]))), "−g·sin a"),
            Unary(Op.Tan, "tan", "tanf", "tan", Math.Tan, (b, x, y, g) => b.Multiply(g, b.Add(b.Constant(1), b.Multiply(y, y))), "g·(1 + y²)"),
            Unary(Op.Asin, "asin", "asinf", "asin", Math.Asin, (b, x, y, g) => b.Divide(g, b.Apply(Op.Sqrt, b.Subtract(b.Constant(1), b.Multiply(x[0], x[0])))), "g/√(1 − a²)"),
            Unary(Op.Acos, "acos", "acosf", "acos", Math.Acos, (b, x, y, g) => b.Negate(b.Divide(g, b.Apply(Op.Sqrt, b.Subtract(b.Constant(1), b.Multiply(x[0], x[0]))))), "−g/√(1 − a²)"),
            Unary(Op.Atan, "atan", "atanf", "atan", Math.Atan, (b, x, y, g) => b.Divide(g, b.Add(b.Constant(1), b.Multiply(x[0], x[0]))), "g/(1 + a²)"),
            new(Op.Atan2, 2)
            {
                MathName = "atan2", SimdMethod = "Atan2", CudaFloat = "atan2f({0}, {1})", CudaDouble = "atan2({0}, {1})", Fold = v => Math.Atan2(v[0], v[1]),
                Vjp = (b, x, y, g) =>
                {
                    int scale = b.Divide(g, b.Add(b.Multiply(x[0], x[0]), b.Multiply(x[1], x[1])));
                    return new[] { b.Multiply(scale, x[1]), b.Negate(b.Multiply(scale, x[0])) };
                },
                DerivativeNote = "∂atan2(a,b) = (g·b/(a²+b²), −g·a/(a²+b²))",
            },

            // ---- hyperbolic ----
            Unary(Op.Sinh, "sinh", "sinhf", "sinh", Math.Sinh, (b, x, y, g) => b.Multiply(g, b.Apply(Op.Cosh, x[0])), "g·cosh a"),
            Unary(Op.Cosh, "cosh", "coshf", "cosh", Math.Cosh, (b, x, y, g) => b.Multiply(g, b.Apply(Op.Sinh, x[0])), "g·sinh a"),
            Unary(Op.Tanh, "tanh", "tanhf", "tanh", Math.Tanh, (b, x, y, g) => b.Multiply(g, b.Subtract(b.Constant(1), b.Multiply(y, y))), "g·(1 − y²)"),
            // Recognised by the builder in 1/(1 + exp(−a)): one fused rule that reuses y and never divides ∞ by ∞.
            new(Op.Sigmoid, 1)
            {
                MathName = "σ",
                SimdFormat = "TSimd.Divide(TSimd.Constant(1.0), TSimd.Add(TSimd.Constant(1.0), TSimd.Exp(TSimd.Negate({0}))))",
                CudaFloat = "(1.0f / (1.0f + expf(-{0})))", CudaDouble = "(1.0 / (1.0 + exp(-{0})))",
                Fold = v => 1 / (1 + Math.Exp(-v[0])),
                Vjp = (b, x, y, g) => new[] { b.Multiply(g, b.Multiply(y, b.Subtract(b.Constant(1), y))) },
                DerivativeNote = "g·y·(1 − y)",
            },
            Unary(Op.Asinh, "asinh", "asinhf", "asinh", v => Math.Log(v + Math.Sqrt((v * v) + 1)), (b, x, y, g) => b.Divide(g, b.Apply(Op.Sqrt, b.Add(b.Multiply(x[0], x[0]), b.Constant(1)))), "g/√(a² + 1)"),
            Unary(Op.Acosh, "acosh", "acoshf", "acosh", v => Math.Log(v + Math.Sqrt((v * v) - 1)), (b, x, y, g) => b.Divide(g, b.Apply(Op.Sqrt, b.Subtract(b.Multiply(x[0], x[0]), b.Constant(1)))), "g/√(a² − 1)"),
            Unary(Op.Atanh, "atanh", "atanhf", "atanh", v => 0.5 * Math.Log((1 + v) / (1 - v)), (b, x, y, g) => b.Divide(g, b.Subtract(b.Constant(1), b.Multiply(x[0], x[0]))), "g/(1 − a²)"),

            // ---- special functions ----
            // erf' = (2/√π)·e^(−a²): no reuse of y is possible, so the rule recomputes the Gaussian.
            Unary(Op.Erf, "erf", "erff", "erf", Erf, (b, x, y, g) => b.Multiply(g, b.Multiply(b.Constant(TwoOverSqrtPi), b.Apply(Op.Exp, b.Negate(b.Multiply(x[0], x[0]))))), "g·(2/√π)·e^(−a²)"),

            // ---- piecewise ----
            // g·sgn(a) with sgn(a) = (a > 0) − (a < 0), as PyTorch's abs_backward: sgn is 0 at a = 0 and at a NaN, and
            // the product keeps an infinite or NaN incoming gradient's NaN there (a select of 0 would hide it).
            Unary(Op.Abs, "abs", "fabsf", "fabs", Math.Abs, (b, x, y, g) =>
            {
                int zero = b.Constant(0);
                int sign = b.Select(b.Apply(Op.GreaterThan, x[0], zero), b.Constant(1), b.Select(b.Apply(Op.LessThan, x[0], zero), b.Constant(-1), zero));
                return b.Multiply(g, sign);
            }, "g·sgn(a) (sgn(a) = 0 at a = 0 and at NaN, as PyTorch)"),
            new(Op.Min, 2)
            {
                IsCommutative = true, MathName = "min", SimdMethod = "Min", CudaFloat = "gg_minf({0}, {1})", CudaDouble = "gg_min({0}, {1})",
                Fold = v => double.IsNaN(v[0]) || double.IsNaN(v[1]) ? double.NaN : Math.Min(v[0], v[1]),
                Vjp = (b, x, y, g) => TieSplit(b, x, g, Op.LessThan),
                DerivativeNote = "g to the smaller operand; g/2 to each on a tie; g to both where one is NaN (PyTorch)",
            },
            new(Op.Max, 2)
            {
                IsCommutative = true, MathName = "max", SimdMethod = "Max", CudaFloat = "gg_maxf({0}, {1})", CudaDouble = "gg_max({0}, {1})",
                Fold = v => double.IsNaN(v[0]) || double.IsNaN(v[1]) ? double.NaN : Math.Max(v[0], v[1]),
                Vjp = (b, x, y, g) => TieSplit(b, x, g, Op.GreaterThan),
                DerivativeNote = "g to the larger operand; g/2 to each on a tie; g to both where one is NaN (PyTorch)",
            },
            new(Op.Clamp, 3)
            {
                MathName = "clamp", SimdFormat = "TSimd.Min(TSimd.Max({0}, {1}), {2})", CudaFloat = "gg_minf(gg_maxf({0}, {1}), {2})", CudaDouble = "gg_min(gg_max({0}, {1}), {2})",
                Fold = v => Math.Min(Math.Max(v[0], v[1]), v[2]),
                // PyTorch's clamp, min(max(a, lo), hi): the value gets g where lo ≤ a ≤ hi, and each bound where it is the
                // result (hi wins when lo > hi, as min is applied last).
                Vjp = (b, x, y, g) =>
                {
                    int zero = b.Constant(0);
                    int lower = b.Apply(Op.Max, x[0], x[1]);
                    int hiIsResult = b.Apply(Op.GreaterThan, lower, x[2]);
                    int notHi = b.Apply(Op.Not, hiIsResult);
                    int loIsResult = b.Apply(Op.LessThan, x[0], x[1]);
                    return new[]
                    {
                        // lo ≤ a rather than ¬(a < lo): a NaN gets no gradient, as in PyTorch's clamp_backward.
                        b.Select(b.Apply(Op.And, notHi, b.Apply(Op.GreaterThanOrEqual, x[0], x[1])), g, zero),
                        b.Select(b.Apply(Op.And, notHi, loIsResult), g, zero),
                        b.Select(hiIsResult, g, zero),
                    };
                },
                DerivativeNote = "g to a where lo ≤ a ≤ hi, else to the bound that is the result (PyTorch)",
            },
            ZeroGradient(Op.Floor, "floor", "floorf", "floor", Math.Floor),
            ZeroGradient(Op.Ceiling, "ceiling", "ceilf", "ceil", Math.Ceiling),
            ZeroGradient(Op.Round, "round", "rintf", "rint", v => Math.Round(v, MidpointRounding.ToEven)),
            ZeroGradient(Op.Truncate, "truncate", "truncf", "trunc", Math.Truncate),
            ZeroGradient(Op.Sign, "sign", "gg_signf({0})", "gg_sign({0})", v => double.IsNaN(v) ? double.NaN : Math.Sign(v)),
            new(Op.StopGradient, 1)
            {
                MathName = "stopGradient", SimdFormat = "{0}", CudaFloat = "{0}", CudaDouble = "{0}",
                Fold = v => v[0],
                DerivativeNote = "0: the value passes unchanged and no gradient flows back (Grad.StopGradient)",
            },

            // A method Gradgen has no derivative for, called inside Grad.StopGradient: it runs as C# in the forward code
            // (only span/loop functions, whose code is plain C#, contain it) and nothing flows back through it.
            new(Op.OpaqueCall, PrimitiveRule.AnyArity)
            {
                MathName = "call",
                DerivativeNote = "0: a call inside Grad.StopGradient runs as C# and has no derivative",
            },

            // ---- masks ----
            Comparison(Op.LessThan, "<", "LessThan", (a, c) => a < c),
            Comparison(Op.LessThanOrEqual, "≤", "LessThanOrEqual", (a, c) => a <= c),
            Comparison(Op.GreaterThan, ">", "GreaterThan", (a, c) => a > c),
            Comparison(Op.GreaterThanOrEqual, "≥", "GreaterThanOrEqual", (a, c) => a >= c),
            Comparison(Op.Equal, "=", "Equal", (a, c) => a == c, commutative: true),
            Comparison(Op.NotEqual, "≠", "NotEqual", (a, c) => a != c, commutative: true),
            new(Op.And, 2) { IsMask = true, IsCommutative = true, MathName = "∧", InfixPrecedence = 0, SimdMethod = "And", CudaFloat = "({0} && {1})", CudaDouble = "({0} && {1})", Fold = v => v[0] != 0 && v[1] != 0 ? 1 : 0 },
            new(Op.Or, 2) { IsMask = true, IsCommutative = true, MathName = "∨", InfixPrecedence = 0, SimdMethod = "Or", CudaFloat = "({0} || {1})", CudaDouble = "({0} || {1})", Fold = v => v[0] != 0 || v[1] != 0 ? 1 : 0 },
            new(Op.Not, 1) { IsMask = true, MathName = "¬", SimdMethod = "Not", CudaFloat = "(!{0})", CudaDouble = "(!{0})", Fold = v => v[0] != 0 ? 0 : 1 },
            new(Op.Select, 3)
            {
                MathName = "select", SimdMethod = "Select", CudaFloat = "({0} ? {1} : {2})", CudaDouble = "({0} ? {1} : {2})",
                Vjp = (b, x, y, g) => new[] { -1, b.Select(x[0], g, b.Constant(0)), b.Select(x[0], b.Constant(0), g) },
                DerivativeNote = "the gradient goes to the branch taken; none to the condition",
            },
        };

        var table = new Dictionary<Op, PrimitiveRule>();
        foreach (var rule in rules)
        {
            table.Add(rule.Op, rule);
        }

        return table;
    }

    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>
    /// erf for constant folding, as the runtime's <c>SpecialFunctions.Erf</c> computes it (within 2 ulp): the
    /// Maclaurin series by Horner's scheme below 1.25, 1 − erfc from its continued fraction up to 6, ±1 beyond.
    /// </summary>
    private static double Erf(double v)
    {
        double a = Math.Abs(v);
        if (a < 1.25)
        {
            double z = v * v, p = 0;
            for (int n = 22; n >= 0; n--)
            {
                // (2/√π)·(−1)ⁿ/(n!·(2n + 1)), computed in double (within an ulp or two of the runtime's table).
                p = (p * z) + ErfCoefficient(n);
            }

            return v * p;
        }

        if (double.IsNaN(v))
        {
            return v;
        }

        double r = 1;
        if (a < 6)
        {
            double f = a;
            for (int k = 120; k > 0; k--)
            {
                f = a + (k * 0.5 / f);
            }

            r = 1 - (Math.Exp(-a * a) / (f * 1.7724538509055159));
        }

        return v < 0 ? -r : r;
    }

    private static double ErfCoefficient(int n)
    {
        double c = TwoOverSqrtPi;
        for (int i = 1; i <= n; i++)
        {
            c = -c / i;
        }

        return c / ((2 * n) + 1);
    }

    private static double Cbrt(double v) => v < 0 ? -Math.Pow(-v, 1.0 / 3) : Math.Pow(v, 1.0 / 3);

    /// <summary>Min/max gradient with PyTorch's even split on ties; <paramref name="wins"/> says when a beats b.</summary>
    private static int[] TieSplit(GraphBuilder b, int[] x, int g, Op wins)
    {
        int zero = b.Constant(0);
        int half = b.Multiply(g, b.Constant(0.5));
        int tie = b.Apply(Op.Equal, x[0], x[1]);
        int aWins = b.Apply(wins, x[0], x[1]);
        int bWins = b.Apply(wins, x[1], x[0]);
        // Each operand gets g unless the other one wins: with a NaN neither wins, and both get g (PyTorch 1.13's
        // where(a == b, g/2, g).masked_fill_(other wins, 0)).
        return new[]
        {
            b.Select(tie, half, b.Select(bWins, zero, g)),
            b.Select(tie, half, b.Select(aWins, zero, g)),
        };
    }

    private static PrimitiveRule Leaf(Op op) => new(op, 0);

    private static PrimitiveRule Unary(Op op, string math, string cudaFloat, string cudaDouble, Func<double, double> fold, Func<GraphBuilder, int[], int, int, int> vjp, string note) =>
        new(op, 1)
        {
            MathName = math,
            SimdMethod = op.ToString(),
            CudaFloat = cudaFloat + "({0})",
            CudaDouble = cudaDouble + "({0})",
            Fold = v => fold(v[0]),
            Vjp = (b, x, y, g) => new[] { vjp(b, x, y, g) },
            DerivativeNote = note,
        };

    private static PrimitiveRule ZeroGradient(Op op, string math, string cudaFloat, string cudaDouble, Func<double, double> fold) =>
        new(op, 1)
        {
            MathName = math,
            SimdMethod = op.ToString(),
            CudaFloat = cudaFloat.Contains("{0}") ? cudaFloat : cudaFloat + "({0})",
            CudaDouble = cudaDouble.Contains("{0}") ? cudaDouble : cudaDouble + "({0})",
            Fold = v => fold(v[0]),
            DerivativeNote = "0",
        };

    private static PrimitiveRule Comparison(Op op, string math, string simd, Func<double, double, bool> fold, bool commutative = false) =>
        new(op, 2)
        {
            IsMask = true,
            IsCommutative = commutative,
            MathName = math,
            SimdMethod = simd,
            CudaFloat = "({0} " + CudaComparison(op) + " {1})",
            CudaDouble = "({0} " + CudaComparison(op) + " {1})",
            Fold = v => fold(v[0], v[1]) ? 1 : 0,
        };

    private static string CudaComparison(Op op) => op switch
    {
        Op.LessThan => "<",
        Op.LessThanOrEqual => "<=",
        Op.GreaterThan => ">",
        Op.GreaterThanOrEqual => ">=",
        Op.Equal => "==",
        _ => "!=",
    };
}

namespace Gradgen.EndToEnd.Tests;

/// <summary>Central finite differences in double, and the comparison of a generated gradient with them.</summary>
internal static class Gradients
{
    /// <summary>∂f/∂xᵢ by central differences with a step relative to |xᵢ|; truncation error O(h²), rounding O(ε/h).</summary>
    public static double[] FiniteDifference(Func<double[], double> f, double[] x)
    {
        var gradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(x[i]));
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            gradient[i] = (f(plus) - f(minus)) / (plus[i] - minus[i]);
        }

        return gradient;
    }

    /// <summary>Whether the finite difference can be trusted at x: the step halved gives the same answer (no kink or jump within reach).</summary>
    public static bool IsSmoothAt(Func<double[], double> f, double[] x, double[] gradient)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double h = 4e-4 * Math.Max(1, Math.Abs(x[i]));
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double coarse = (f(plus) - f(minus)) / (2 * h);
            if (!double.IsFinite(coarse) || Math.Abs(coarse - gradient[i]) > 1e-3 * (1 + Math.Abs(gradient[i])))
            {
                return false;
            }
        }

        return true;
    }
}

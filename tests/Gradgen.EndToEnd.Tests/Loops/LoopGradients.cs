namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// Checks a generated gradient against float64 central finite differences: along two random directions always, and
/// coordinate by coordinate for inputs of up to 12 numbers. Points where the function is not smooth within the finite
/// difference's reach (a branch flips) are skipped and counted; the test asserts most points were checked.
/// </summary>
internal static class LoopGradients
{
    /// <summary>
    /// Runs <paramref name="trials"/> random points. <paramref name="valueAndGradient"/> returns the value and writes the
    /// gradient with respect to the packed inputs; <paramref name="f"/> is the method itself on packed inputs.
    /// </summary>
    public static void Check(int seed, int trials, Func<Random, double[]> sample, Func<double[], double> f, Func<double[], double[], double> valueAndGradient, double tolerance = 1e-6)
    {
        var random = new Random(seed);
        int checkedPoints = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var x = sample(random);
            var gradient = new double[x.Length];
            Array.Fill(gradient, double.NaN);
            double value = valueAndGradient(x, gradient);
            double expected = f(x);
            Assert.True(Close(value, expected, 1e-12), $"trial {trial}: value {value} but the method gives {expected}");
            if (!Smooth(f, x))
            {
                continue;
            }

            checkedPoints++;
            for (int direction = 0; direction < 2; direction++)
            {
                var v = new double[x.Length];
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] = random.NextDouble() * 2 - 1;
                }

                double analytic = 0;
                for (int i = 0; i < v.Length; i++)
                {
                    analytic += gradient[i] * v[i];
                }

                double numeric = Directional(f, x, v, 1e-6);
                Assert.True(Close(analytic, numeric, tolerance), $"trial {trial}, length {x.Length}: gradient·v = {analytic} but finite differences give {numeric}");
            }

            if (x.Length <= 12)
            {
                var numeric = Gradients.FiniteDifference(f, x);
                for (int i = 0; i < x.Length; i++)
                {
                    Assert.True(Close(gradient[i], numeric[i], tolerance), $"trial {trial}: ∂/∂x[{i}] = {gradient[i]} but finite differences give {numeric[i]}");
                }
            }
        }

        Assert.True(checkedPoints >= trials * 3 / 4, $"only {checkedPoints} of {trials} points were smooth enough to check");
    }

    private static double Directional(Func<double[], double> f, double[] x, double[] v, double h)
    {
        var plus = (double[])x.Clone();
        var minus = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            plus[i] += h * v[i];
            minus[i] -= h * v[i];
        }

        return (f(plus) - f(minus)) / (2 * h);
    }

    /// <summary>No branch flips near x: the directional difference at two step sizes agrees.</summary>
    private static bool Smooth(Func<double[], double> f, double[] x)
    {
        var v = new double[x.Length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = Math.Cos(i + 1);
        }

        double coarse = Directional(f, x, v, 1e-3);
        double fine = Directional(f, x, v, 1e-6);
        return double.IsFinite(coarse) && Math.Abs(coarse - fine) <= 1e-3 * (1 + Math.Abs(fine));
    }

    public static bool Close(double actual, double expected, double tolerance) =>
        (double.IsNaN(actual) && double.IsNaN(expected)) || actual == expected || Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected));

    public static double[] Uniform(Random random, int n, double low = -1, double high = 1)
    {
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = low + (random.NextDouble() * (high - low));
        }

        return x;
    }

    public static double[] Concat(params double[][] parts) => parts.SelectMany(p => p).ToArray();
}

namespace Gradgen.Tests.Optim;

/// <summary>
/// PyTorch's documented algorithms (torch.optim's docs, "Algorithm" boxes, and the single-tensor implementations' order
/// of operations), written out in float64 one element at a time: the oracle the optimizers are compared with.
/// </summary>
internal static class OptimizerReference
{
    /// <summary>The gradient of element <paramref name="i"/> at step <paramref name="t"/> (1-based): a fixed, sign-changing sequence.</summary>
    public static double Gradient(int t, int i) => Math.Sin((0.7 * i) + (1.3 * t)) + (0.05 * (i % 3)) - (t % 4 == 0 ? 0.5 : 0);

    /// <summary>The starting value of element <paramref name="i"/>.</summary>
    public static double Start(int i) => Math.Cos(0.37 * i) * 1.5;

    public static double[] Adam(int n, int steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize, bool decoupled)
    {
        var p = Enumerable.Range(0, n).Select(Start).ToArray();
        var m = new double[n];
        var v = new double[n];
        var vMax = new double[n];
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < n; i++)
            {
                double g = Gradient(t, i);
                if (maximize) g = -g;
                if (decoupled) p[i] *= 1 - (lr * weightDecay);
                else if (weightDecay != 0) g += weightDecay * p[i];
                m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double second = v[i];
                if (amsgrad)
                {
                    vMax[i] = Math.Max(vMax[i], v[i]);
                    second = vMax[i];
                }

                double vHat = second / (1 - Math.Pow(beta2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }

        return p;
    }

    public static double[] RMSprop(int n, int steps, double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
    {
        var p = Enumerable.Range(0, n).Select(Start).ToArray();
        var v = new double[n];
        var b = new double[n];
        var gAvg = new double[n];
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < n; i++)
            {
                double g = Gradient(t, i);
                if (maximize) g = -g;
                if (weightDecay != 0) g += weightDecay * p[i];
                v[i] = (alpha * v[i]) + ((1 - alpha) * g * g);
                double vTilde = v[i];
                if (centered)
                {
                    gAvg[i] = (alpha * gAvg[i]) + ((1 - alpha) * g);
                    vTilde -= gAvg[i] * gAvg[i];
                }

                double step = g / (Math.Sqrt(vTilde) + eps);
                if (momentum > 0)
                {
                    b[i] = (momentum * b[i]) + step;
                    p[i] -= lr * b[i];
                }
                else
                {
                    p[i] -= lr * step;
                }
            }
        }

        return p;
    }

    public static double[] Adagrad(int n, int steps, double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps, bool maximize)
    {
        var p = Enumerable.Range(0, n).Select(Start).ToArray();
        var sum = Enumerable.Repeat(initialAccumulatorValue, n).ToArray();
        for (int t = 1; t <= steps; t++)
        {
            double clr = lr / (1 + ((t - 1) * lrDecay));
            for (int i = 0; i < n; i++)
            {
                double g = Gradient(t, i);
                if (maximize) g = -g;
                if (weightDecay != 0) g += weightDecay * p[i];
                sum[i] += g * g;
                p[i] -= clr * g / (Math.Sqrt(sum[i]) + eps);
            }
        }

        return p;
    }

    public static double[] Sgd(int n, int steps, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var p = Enumerable.Range(0, n).Select(Start).ToArray();
        var b = new double[n];
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < n; i++)
            {
                double g = Gradient(t, i);
                if (maximize) g = -g;
                if (weightDecay != 0) g += weightDecay * p[i];
                if (momentum != 0)
                {
                    b[i] = t == 1 ? g : (momentum * b[i]) + ((1 - dampening) * g);
                    g = nesterov ? g + (momentum * b[i]) : b[i];
                }

                p[i] -= lr * g;
            }
        }

        return p;
    }
}

using System;
using Gradgen;

namespace Demo;

public static partial class Activations
{
    [Differentiable]
    internal static double SoftClip(double x)
    {
        if (x > 3)
        {
            return 3 + Math.Log(x - 2);
        }

        var y = x < -3 ? -3 : x;
        return Math.Max(y, -2) * Math.Abs(x);
    }
}

using System;
using Gradgen;

namespace Demo;

public static partial class Curves
{
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);
}

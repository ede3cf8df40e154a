using System;
using Gradgen;

public static partial class Geometry
{
    const float Scale = 0.5f;

    [Differentiable]
    public static float Angle(float y, float x) => Scale * MathF.Atan2(y, x) + MathF.Pow(x, 3) / (1 + y * y);
}

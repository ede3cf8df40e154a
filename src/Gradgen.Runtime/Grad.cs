namespace Gradgen;

/// <summary>Helpers that a <c>[Differentiable]</c> body calls to steer differentiation.</summary>
public static class Grad
{
    /// <summary>
    /// Returns <paramref name="x"/> unchanged; inside a <c>[Differentiable]</c> method its derivative is zero, so no
    /// gradient flows back through it (PyTorch's <c>detach</c>, JAX's <c>stop_gradient</c>).
    /// </summary>
    /// <param name="x">The value.</param>
    /// <returns><paramref name="x"/>.</returns>
    public static float StopGradient(float x) => x;

    /// <inheritdoc cref="StopGradient(float)"/>
    public static double StopGradient(double x) => x;
}

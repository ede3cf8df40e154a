using Gradgen.Benchmarks.Bump;

namespace Gradgen.Benchmarks.Eager;

/// <summary>
/// The tutorial's Gaussian-windowed sine through Gradgen's tensors and autograd, the way issue 3's benchmark states
/// it: x = linspace(0, 10, N, requiresGrad: true) created once; per call <c>x.Grad = null</c>, forward,
/// <c>y.Backward(Tensor.OnesLike(y))</c>, read <c>x.Grad</c>.
/// </summary>
public sealed class EagerBump
{
    readonly Tensor x;

    /// <summary>Creates x.</summary>
    public EagerBump(int n) => x = Tensor.Linspace(0, 10, n, requiresGrad: true);

    /// <summary>Op by op: 8 forward operations, each its own graph node and kernel.</summary>
    public Tensor Eager()
    {
        x.Grad = null;
        Tensor d = x - 5;
        Tensor y = (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
        y.Backward(Tensor.OnesLike(y));
        return x.Grad!;
    }

    /// <summary>The generated tensor overload of <c>[Differentiable] Curves.Bump</c>: one fused kernel, one node.</summary>
    public Tensor Fused()
    {
        x.Grad = null;
        Tensor y = Curves.Bump(x);
        y.Backward(Tensor.OnesLike(y));
        return x.Grad!;
    }

    /// <summary>Checks <paramref name="run"/>'s gradient (and the value, recomputed) against float64.</summary>
    public void Check(string what, Func<Tensor> run)
    {
        Tensor grad = run();
        float[] xs = x.Detach().ToArray<float>();
        float[] dx = grad.ToArray<float>();
        float[] value = Curves.Bump(x.Detach()).ToArray<float>();
        (double errValue, double errDerivative) = BumpMath.MaxAbsError(xs, value, dx, stride: Math.Max(1, xs.Length / 10_000));
        if (errValue > 1e-4 || errDerivative > 1e-3)
        {
            throw new InvalidOperationException(
                $"{what} is wrong at N = {xs.Length}: max |error| of value {errValue:g3}, of derivative {errDerivative:g3}");
        }
    }
}

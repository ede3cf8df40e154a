using TorchSharp;
using static TorchSharp.torch;

namespace Gradgen.Benchmarks.Bump;

// Inside namespace Gradgen, Tensor would mean Gradgen.Tensor.
using Tensor = TorchSharp.torch.Tensor;

/// <summary>
/// Bump and its derivative the way a .NET user of TorchSharp writes it: eager operations recorded by autograd,
/// then <c>y.backward(ones_like(y))</c> and the gradient read from <c>x.grad</c>.
/// </summary>
/// <remarks>
/// x is created once (<c>linspace(0, 10, N, requires_grad: true)</c>, a leaf); each <see cref="Run"/> clears
/// <c>x.grad</c> first (PyTorch's <c>zero_grad(set_to_none=True)</c>), so backward writes a fresh gradient instead
/// of accumulating into the old one. Every temporary of one run is freed by a dispose scope before the next.
/// </remarks>
public sealed class TorchBump : IDisposable
{
    readonly Tensor x;

    /// <summary>Sets torch's intra-op thread count to <paramref name="threads"/> and creates x.</summary>
    public TorchBump(int n, int threads)
    {
        torch.set_num_threads(threads);
        x = torch.linspace(0, 10, n, dtype: ScalarType.Float32, requires_grad: true);
    }

    /// <summary>torch's intra-op thread count now.</summary>
    public static int Threads => torch.get_num_threads();

    /// <summary>x as floats (torch's own linspace, which may differ in the last bit from <see cref="BumpMath.Linspace"/>).</summary>
    public float[] X() => x.detach().data<float>().ToArray();

    /// <summary>One forward and backward pass; the value and gradient are freed at the end.</summary>
    public void Run()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Forward(out _, out _);
    }

    /// <summary>One forward and backward pass that copies the value and gradient out (for checking).</summary>
    public void Run(float[] value, float[] dx)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Forward(out Tensor y, out Tensor grad);
        y.detach().data<float>().CopyTo(value, 0);
        grad.data<float>().CopyTo(dx, 0);
    }

    void Forward(out Tensor y, out Tensor grad)
    {
        x.grad = null;
        Tensor d = x - 5;
        y = torch.sin(2 * Math.PI * x) * torch.exp(-d * d / 3);
        y.backward(new[] { torch.ones_like(y) });
        grad = x.grad ?? throw new InvalidOperationException("x.grad is null after backward");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        x.grad = null;
        x.Dispose();
    }
}

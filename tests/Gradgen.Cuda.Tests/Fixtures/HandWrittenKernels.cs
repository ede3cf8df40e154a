// Hand-written CUDA sources that follow the generator's kernel ABI (DESIGN.md 7 and the CUDA issue): for
// F(T p1, ..., T pk), one self-contained translation unit (no includes) with three extern "C" kernels using a
// grid-stride loop over int n elements:
//   F_forward(const T* p1, ..., const T* pk, T* result, int n)
//   F_with_gradient(const T* p1, ..., const T* pk, T* result, T* dp1, ..., T* dpk, int n)
//   F_backward(const T* p1, ..., const T* pk, const T* grad_output, T* dp1, ..., T* dpk, int n)
// They stand in for generated code until the generator emits FCudaSource constants: the corpus test finds these
// constants as it will find the generated ones, and tests/Gradgen.GpuCheck (which links this file) runs them.
// Each function also has a double-precision CPU reference (value and gradient) for the GPU checks.

namespace Gradgen.Cuda.Tests.Fixtures;

/// <summary>Hand-written stand-ins for generated <c>FCudaSource</c> constants, with CPU references.</summary>
public static class HandWrittenKernels
{
    /// <summary>
    /// <c>Bump(x) = sin(2πx)·exp(−(x−5)²/3)</c> in float, as the generator would emit it for
    /// <c>MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3)</c>.
    /// </summary>
    public const string BumpCudaSource = """
        // Bump(x) = sin(2*pi*x) * exp(-(x - 5)^2 / 3); dBump/dx = exp(...) * (2*pi*cos(2*pi*x) - sin(2*pi*x) * 2*(x - 5)/3)
        extern "C" __global__ void Bump_forward(const float* x, float* result, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float xi = x[i];
                float d = xi - 5.0f;
                result[i] = sinf(6.28318548f * xi) * expf(-(d * d) / 3.0f);
            }
        }

        extern "C" __global__ void Bump_with_gradient(const float* x, float* result, float* dx, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float xi = x[i];
                float d = xi - 5.0f;
                float e = expf(-(d * d) / 3.0f);
                float s, c;
                sincosf(6.28318548f * xi, &s, &c);
                result[i] = s * e;
                dx[i] = e * fmaf(6.28318548f, c, -s * (2.0f * d / 3.0f));
            }
        }

        extern "C" __global__ void Bump_backward(const float* x, const float* grad_output, float* dx, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float xi = x[i];
                float d = xi - 5.0f;
                float e = expf(-(d * d) / 3.0f);
                float s, c;
                sincosf(6.28318548f * xi, &s, &c);
                dx[i] = grad_output[i] * (e * fmaf(6.28318548f, c, -s * (2.0f * d / 3.0f)));
            }
        }
        """;

    /// <summary><c>BumpDouble(x)</c>: <see cref="BumpCudaSource"/> in double precision.</summary>
    public const string BumpDoubleCudaSource = """
        extern "C" __global__ void BumpDouble_forward(const double* x, double* result, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                double xi = x[i];
                double d = xi - 5.0;
                result[i] = sin(6.283185307179586 * xi) * exp(-(d * d) / 3.0);
            }
        }

        extern "C" __global__ void BumpDouble_with_gradient(const double* x, double* result, double* dx, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                double xi = x[i];
                double d = xi - 5.0;
                double e = exp(-(d * d) / 3.0);
                double s, c;
                sincos(6.283185307179586 * xi, &s, &c);
                result[i] = s * e;
                dx[i] = e * fma(6.283185307179586, c, -s * (2.0 * d / 3.0));
            }
        }

        extern "C" __global__ void BumpDouble_backward(const double* x, const double* grad_output, double* dx, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                double xi = x[i];
                double d = xi - 5.0;
                double e = exp(-(d * d) / 3.0);
                double s, c;
                sincos(6.283185307179586 * xi, &s, &c);
                dx[i] = grad_output[i] * (e * fma(6.283185307179586, c, -s * (2.0 * d / 3.0)));
            }
        }
        """;

    /// <summary><c>Mix(a, b) = a·sin(b) + exp(−a²)·b</c> in float: two parameters, to check the argument order.</summary>
    public const string MixCudaSource = """
        extern "C" __global__ void Mix_forward(const float* a, const float* b, float* result, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float ai = a[i], bi = b[i];
                result[i] = fmaf(ai, sinf(bi), expf(-ai * ai) * bi);
            }
        }

        extern "C" __global__ void Mix_with_gradient(const float* a, const float* b, float* result, float* da, float* db, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float ai = a[i], bi = b[i];
                float s, c;
                sincosf(bi, &s, &c);
                float e = expf(-ai * ai);
                result[i] = fmaf(ai, s, e * bi);
                da[i] = s - 2.0f * ai * e * bi;
                db[i] = fmaf(ai, c, e);
            }
        }

        extern "C" __global__ void Mix_backward(const float* a, const float* b, const float* grad_output, float* da, float* db, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                float ai = a[i], bi = b[i], g = grad_output[i];
                float s, c;
                sincosf(bi, &s, &c);
                float e = expf(-ai * ai);
                da[i] = g * (s - 2.0f * ai * e * bi);
                db[i] = g * fmaf(ai, c, e);
            }
        }
        """;

    /// <summary>Every fixture: its function name, element type, arity, source, CPU reference and input range.</summary>
    public static IReadOnlyList<KernelFixture> All { get; } =
    [
        new("Bump", typeof(float), 1, BumpCudaSource, BumpReference, 0, 10),
        new("BumpDouble", typeof(double), 1, BumpDoubleCudaSource, BumpReference, 0, 10),
        new("Mix", typeof(float), 2, MixCudaSource, MixReference, -3, 3),
    ];

    /// <summary>Bump's value and derivative in double precision.</summary>
    /// <param name="p">The one argument x.</param>
    /// <param name="gradient">Receives dBump/dx.</param>
    /// <returns>Bump(x).</returns>
    public static double BumpReference(ReadOnlySpan<double> p, Span<double> gradient)
    {
        double x = p[0], d = x - 5, e = Math.Exp(-d * d / 3), s = Math.Sin(2 * Math.PI * x), c = Math.Cos(2 * Math.PI * x);
        gradient[0] = e * (2 * Math.PI * c - s * 2 * d / 3);
        return s * e;
    }

    /// <summary>Mix's value and gradient in double precision.</summary>
    /// <param name="p">The arguments a and b.</param>
    /// <param name="gradient">Receives dMix/da and dMix/db.</param>
    /// <returns>Mix(a, b).</returns>
    public static double MixReference(ReadOnlySpan<double> p, Span<double> gradient)
    {
        double a = p[0], b = p[1], e = Math.Exp(-a * a);
        gradient[0] = Math.Sin(b) - 2 * a * e * b;
        gradient[1] = a * Math.Cos(b) + e;
        return a * Math.Sin(b) + e * b;
    }
}

/// <summary>Computes a function's value and writes its gradient, in double precision.</summary>
/// <param name="arguments">The k arguments.</param>
/// <param name="gradient">Receives the k partial derivatives.</param>
/// <returns>The value.</returns>
public delegate double ReferenceFunction(ReadOnlySpan<double> arguments, Span<double> gradient);

/// <summary>One function's CUDA source following the ABI, with what is needed to check it.</summary>
/// <param name="Name">The function name F: the kernels are F_forward, F_with_gradient and F_backward.</param>
/// <param name="ElementType"><see cref="float"/> or <see cref="double"/>.</param>
/// <param name="Arity">The number of parameters k.</param>
/// <param name="Source">The CUDA source.</param>
/// <param name="Reference">The double-precision CPU reference.</param>
/// <param name="Low">Inputs are drawn uniformly from [Low, High).</param>
/// <param name="High">See <paramref name="Low"/>.</param>
public sealed record KernelFixture(
    string Name, Type ElementType, int Arity, string Source, ReferenceFunction Reference, double Low, double High);

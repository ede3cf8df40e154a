using System.Globalization;
using System.Numerics;

namespace Gradgen.Cuda.Tests.Fixtures;

/// <summary>One output array of one kernel compared with the double-precision CPU reference.</summary>
/// <param name="Kernel">The kernel, such as <c>Bump_with_gradient</c>.</param>
/// <param name="Output">The output parameter, such as <c>result</c> or <c>dp1</c>.</param>
/// <param name="MaxError">The largest |GPU − reference|.</param>
/// <param name="Scale">The largest |reference|: errors are measured relative to it (normwise).</param>
/// <param name="Tolerance">The largest normwise error accepted.</param>
/// <param name="Problem">What else was wrong (a NaN, an element written past n), or <see langword="null"/>.</param>
public sealed record AbiCheckResult(string Kernel, string Output, double MaxError, double Scale, double Tolerance, string? Problem)
{
    /// <summary>MaxError / Scale.</summary>
    public double NormwiseError => Scale == 0 ? MaxError : MaxError / Scale;

    /// <summary>Whether the output is within tolerance and nothing else was wrong.</summary>
    public bool Passed => Problem is null && NormwiseError <= Tolerance;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Kernel,-26} {Output,-7} max|err| {MaxError,10:E2}  max|ref| {Scale,9:E2}  normwise {NormwiseError,9:E2} <= {Tolerance:E1}  {(Passed ? "ok" : "FAILED " + Problem)}");
}

/// <summary>
/// Runs the three kernels of a <see cref="KernelFixture"/> (forward, with_gradient, backward) on the GPU over random
/// inputs and compares every output with the double-precision CPU reference, checking that no element past n was
/// written. Shared by the GPU tests and tests/Gradgen.GpuCheck.
/// </summary>
/// <remarks>
/// Tolerance: the normwise error max|GPU − ref| / max|ref| of each output array must be at most 2⁻¹³ ≈ 1.2e-4 for
/// float and 1e-12 for double. Float inputs up to |2π·x| ≈ 63 carry an argument error of about
/// 2π·x·2⁻²⁴ + |float(2π) − 2π|·x ≈ 2e-6 where the Bump envelope is large (x ≈ 5); sin and exp add a few ulps. That
/// makes the value's error about 2π·2e-6 ≈ 1e-5 of its maximum 1, and the derivative's about (2π)²·2e-6 ≈ 8e-5 against
/// its maximum ≈ 2π, so 1.1e-5 normwise: the tolerance leaves about a tenfold margin. Double precision is 2²⁹ times
/// finer, about 2e-14, and 1e-12 leaves fifty. A wrong term, index, sign or argument order errs by 1e-2 or more.
/// </remarks>
public static class AbiChecker
{
    /// <summary>The normwise tolerance for float kernels.</summary>
    public const double FloatTolerance = 1.0 / 8192;

    /// <summary>The normwise tolerance for double kernels.</summary>
    public const double DoubleTolerance = 1e-12;

    /// <summary>Elements after n, filled with a sentinel, that the kernels must not touch.</summary>
    public const int Guard = 64;

    /// <summary>Checks all three kernels of <paramref name="fixture"/> on <paramref name="n"/> elements.</summary>
    /// <param name="context">The CUDA context.</param>
    /// <param name="fixture">The function.</param>
    /// <param name="n">The number of elements.</param>
    /// <param name="seed">The random seed for the inputs.</param>
    /// <param name="shape">The launch shape; <see cref="LaunchShape.ForElements(long, CudaDevice, int, int)"/> when null.</param>
    /// <returns>One result per output array of each kernel.</returns>
    public static IReadOnlyList<AbiCheckResult> Check(CudaContext context, KernelFixture fixture, int n, int seed, LaunchShape? shape = null) =>
        fixture.ElementType == typeof(double)
            ? Check<double>(context, fixture, n, seed, shape, DoubleTolerance)
            : Check<float>(context, fixture, n, seed, shape, FloatTolerance);

    static List<AbiCheckResult> Check<T>(CudaContext context, KernelFixture fixture, int n, int seed, LaunchShape? shape, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = fixture.Arity;
        var random = new Random(seed);
        var inputs = new T[k][];
        for (int j = 0; j < k; j++)
        {
            inputs[j] = new T[n];
            for (int i = 0; i < n; i++)
            {
                inputs[j][i] = T.CreateTruncating(fixture.Low + (fixture.High - fixture.Low) * random.NextDouble());
            }
        }

        var gradOutput = new T[n];
        for (int i = 0; i < n; i++)
        {
            gradOutput[i] = T.CreateTruncating(4 * random.NextDouble() - 2);
        }

        // The reference sees exactly the (rounded) inputs the GPU sees.
        var referenceValue = new double[n];
        var referenceGradient = new double[k][];
        for (int j = 0; j < k; j++)
        {
            referenceGradient[j] = new double[n];
        }

        var arguments = new double[k];
        var gradient = new double[k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                arguments[j] = double.CreateTruncating(inputs[j][i]);
            }

            referenceValue[i] = fixture.Reference(arguments, gradient);
            for (int j = 0; j < k; j++)
            {
                referenceGradient[j][i] = gradient[j];
            }
        }

        var backwardReference = new double[k][];
        for (int j = 0; j < k; j++)
        {
            backwardReference[j] = new double[n];
            for (int i = 0; i < n; i++)
            {
                backwardReference[j][i] = double.CreateTruncating(gradOutput[i]) * referenceGradient[j][i];
            }
        }

        CudaModule module = context.LoadModule(fixture.Source, fixture.Name);
        LaunchShape launch = shape ?? LaunchShape.ForElements(n, context.Device);
        var results = new List<AbiCheckResult>();
        var inputBuffers = new DeviceBuffer<T>[k];
        var gradientBuffers = new DeviceBuffer<T>[k];
        try
        {
            for (int j = 0; j < k; j++)
            {
                inputBuffers[j] = context.Upload<T>(inputs[j]);
                gradientBuffers[j] = Guarded<T>(context, n);
            }

            using DeviceBuffer<T> gradOutputBuffer = context.Upload<T>(gradOutput);
            using DeviceBuffer<T> result = Guarded<T>(context, n);

            // F_forward(p1..pk, result, n)
            Launch(module, fixture.Name + "_forward", launch, [.. inputBuffers.Select(b => (KernelArg)b), result, n]);
            context.Synchronize();
            results.Add(Compare(fixture.Name + "_forward", "result", result, referenceValue, tolerance));

            // F_with_gradient(p1..pk, result, dp1..dpk, n)
            Reset(result, n);
            Launch(module, fixture.Name + "_with_gradient", launch,
                [.. inputBuffers.Select(b => (KernelArg)b), result, .. gradientBuffers.Select(b => (KernelArg)b), n]);
            context.Synchronize();
            results.Add(Compare(fixture.Name + "_with_gradient", "result", result, referenceValue, tolerance));
            for (int j = 0; j < k; j++)
            {
                results.Add(Compare(fixture.Name + "_with_gradient", $"dp{j + 1}", gradientBuffers[j], referenceGradient[j], tolerance));
                Reset(gradientBuffers[j], n);
            }

            // F_backward(p1..pk, grad_output, dp1..dpk, n)
            Launch(module, fixture.Name + "_backward", launch,
                [.. inputBuffers.Select(b => (KernelArg)b), gradOutputBuffer, .. gradientBuffers.Select(b => (KernelArg)b), n]);
            context.Synchronize();
            for (int j = 0; j < k; j++)
            {
                results.Add(Compare(fixture.Name + "_backward", $"dp{j + 1}", gradientBuffers[j], backwardReference[j], tolerance));
            }
        }
        finally
        {
            foreach (DeviceBuffer<T>? buffer in inputBuffers.Concat(gradientBuffers))
            {
                buffer?.Dispose();
            }
        }

        return results;
    }

    static void Launch(CudaModule module, string entry, LaunchShape shape, KernelArg[] arguments) =>
        module.GetKernel(entry).Launch(shape, arguments);

    static T Sentinel<T>() where T : IFloatingPointIeee754<T> => T.CreateTruncating(-7777.25);

    static DeviceBuffer<T> Guarded<T>(CudaContext context, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        DeviceBuffer<T> buffer = context.Allocate<T>(n + Guard);
        Reset(buffer, n);
        return buffer;
    }

    static void Reset<T>(DeviceBuffer<T> buffer, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fill = new T[n + Guard];
        Array.Fill(fill, Sentinel<T>());
        buffer.CopyFromHost(fill);
    }

    static AbiCheckResult Compare<T>(string kernel, string output, DeviceBuffer<T> buffer, double[] reference, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] actual = buffer.ToArray();
        int n = reference.Length;
        double maxError = 0, scale = 0;
        string? problem = null;
        for (int i = 0; i < n; i++)
        {
            double value = double.CreateTruncating(actual[i]);
            if (!double.IsFinite(value))
            {
                problem ??= $"element {i} is {value}";
                continue;
            }

            maxError = Math.Max(maxError, Math.Abs(value - reference[i]));
            scale = Math.Max(scale, Math.Abs(reference[i]));
        }

        for (int i = n; i < actual.Length; i++)
        {
            if (actual[i] != Sentinel<T>())
            {
                problem ??= $"element {i} past n = {n} was written";
            }
        }

        return new AbiCheckResult(kernel, output, maxError, scale, tolerance, problem);
    }
}

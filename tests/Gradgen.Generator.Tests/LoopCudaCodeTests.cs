using System.Text.RegularExpressions;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The row kernels of a span function's tensor overload on a GPU (<c>FRowsCudaSource</c>): which functions get them,
/// what the CUDA reads like (the same sweeps as the C#, one thread per row, the tape in global memory), and what the
/// overload passes to <c>Tensor.ApplyRowwise</c>. That every emitted source compiles with NVRTC is checked by
/// Gradgen.Cuda.Tests over the end-to-end corpus.
/// </summary>
public sealed class LoopCudaCodeTests
{
    private const string Source = """
        using System;
        using Gradgen;
        public static partial class Rows
        {
            [Differentiable]
            public static double LogSumExp(ReadOnlySpan<double> x)
            {
                double max = double.NegativeInfinity;
                double sum = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > max) { sum = sum * Math.Exp(max - x[i]) + 1; max = x[i]; }
                    else sum += Math.Exp(x[i] - max);
                }

                return max + Math.Log(sum);
            }

            [Differentiable]
            public static float Pick(ReadOnlySpan<float> logits, int label, long shift, bool twice)
            {
                float m = logits[0];
                for (int i = 1; i < logits.Length; i++) m = MathF.Max(m, logits[i]);
                float v = logits[Math.Min(label, logits.Length - 1)] - m;
                return twice ? 2 * v : v + shift;
            }

            [Differentiable]
            public static void Prefix(ReadOnlySpan<double> x, Span<double> y)
            {
                Span<double> running = stackalloc double[x.Length];
                double s = 0;
                for (int i = 0; i < x.Length; i++) { s += x[i]; running[i] = s; }
                int k = 0;
                while (k < x.Length) { y[k] = running[k] * running[k]; if (y[k] > 100) break; k++; }
            }

            [Differentiable]
            public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
            {
                double s = 0;
                for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
                return s;
            }

            [Differentiable]
            public static double Norm(ReadOnlySpan<double> x) => Math.Sqrt(Dot(x, x));

            [Differentiable]
            public static double Held(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += x[i] * Grad.StopGradient(Snap(x[i]));
                return s;
            }

            public static double Snap(double v) => Math.Round(v * 4) / 4;

            [Differentiable]
            public static double Cube(double v) => v * v * v;

            [Differentiable]
            public static double HeldCube(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += x[i] * Grad.StopGradient(Cube(x[i]));
                return s;
            }

            [Differentiable]
            public static double Exps(ReadOnlySpan<double> x)
            {
                double exp = 0;
                for (int i = 0; i < x.Length; i++) exp += Math.Exp(x[i]);
                return exp;
            }

            [Differentiable]
            public static double Keywords(ReadOnlySpan<double> x, int register)
            {
                double gg_sum = 0, log = 0, _scale = 2, ε = 1e-9;
                int and = register;
                for (int i = 0; i < x.Length; i++) { gg_sum += Math.Exp(x[i]); log = Math.Max(log, x[i]); }
                return _scale * Math.Log(gg_sum + ε) + log + and;
            }

            [Differentiable]
            public static void MatVec(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> y)
            {
                for (int i = 0; i < y.Length; i++) y[i] = Dot(a.Slice(i * x.Length, x.Length), x) + Norm(x);
            }

            [Differentiable]
            public static double HeldTwice(ReadOnlySpan<double> x) => 2 * Held(x);
        }

        public static partial class Other
        {
            [Differentiable]
            public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => a[0] * b[0];

            [Differentiable]
            public static double BothDots(ReadOnlySpan<double> x, double w) => w * Rows.Dot(x, x) + Dot(x, x);
        }
        """;

    [Fact]
    public void ALoopFunctionGetsAForwardAndABackwardRowKernelThatItsTensorOverloadLaunches()
    {
        string code = Generate();
        string cuda = CudaOf(code, "LogSumExp");

        Assert.Contains("public const string LogSumExpRowsCudaSource = \"\"\"", code);
        Assert.Contains("extern \"C\" __global__ void LogSumExp_rows_forward(const double* __restrict__ gg_in0, double* __restrict__ gg_out, long long* __restrict__ gg_tape, unsigned long long* __restrict__ gg_needed, long long gg_len0, long long gg_capacity, int gg_rows, int gg_first, int gg_count)", cuda);
        Assert.Contains("extern \"C\" __global__ void LogSumExp_rows_backward(const double* __restrict__ gg_in0, const double* __restrict__ gg_grad_out, double* __restrict__ gg_grad0, long long* __restrict__ gg_tape, unsigned long long* __restrict__ gg_needed, long long gg_len0, long long gg_capacity, int gg_rows, int gg_first, int gg_count)", cuda);
        Assert.Contains("global::Gradgen.RowKernels.Cuda(LogSumExpRowsCudaSource, \"LogSumExp_rows\", global::Gradgen.DType.Float64)", code);
        Assert.DoesNotContain("#include", cuda);
    }

    // The statements are the C#'s, printed through the CUDA dialect: C functions for primitives, no SIMD loops, the
    // branch taken pushed on the tape and popped by the backward sweep.
    [Fact]
    public void TheKernelsWalkTheSameStatementsAsTheCSharpInCudaSpelling()
    {
        string code = Generate();
        string cuda = CudaOf(code, "LogSumExp");

        Assert.Contains("gg_row_tape tape(gg_tape + (long long)gg_slot * gg_capacity, gg_capacity, gg_needed, false);", cuda);
        Assert.Contains("gg_row_tape tape(gg_tape + (long long)gg_slot * gg_capacity, gg_capacity, gg_needed, true);", cuda);
        Assert.Contains("gg_span<const double> x(gg_in0 + (long long)gg_row * gg_len0, gg_len0);", cuda);
        Assert.Contains("exp(", cuda);
        Assert.Contains("tape.Push(true);", cuda);
        Assert.Contains("if (tape.Pop<bool>())", cuda);
        Assert.Contains("__longlong_as_double(0xfff0000000000000LL)", cuda);
        Assert.DoesNotContain("TSimd", cuda);
        Assert.DoesNotContain("global::", cuda);
        Assert.Contains("global::Gradgen.Kernels.Scalar<double>.Exp(", code);
    }

    [Fact]
    public void AFloatFunctionsKernelsAreInFloatAndItsIntArgumentsArePassedOrTakenPerRow()
    {
        string code = Generate();
        string cuda = CudaOf(code, "Pick");

        Assert.Contains("Pick_rows_forward(const float* __restrict__ gg_in0, float* __restrict__ gg_out,", cuda);
        Assert.Contains("long long gg_arg0, long long gg_arg1, long long gg_arg2, long long gg_capacity, int gg_rows, int gg_first, int gg_count)", cuda);
        Assert.Contains("int label = (int)gg_arg0;", cuda);
        Assert.Contains("long long shift = (long long)gg_arg1;", cuda);
        Assert.Contains("bool twice = (bool)gg_arg2;", cuda);
        Assert.Contains("Pick_indexed_rows_forward(const float* __restrict__ gg_in0, const long long* __restrict__ gg_in1, float* __restrict__ gg_out,", cuda);
        Assert.Contains("int label = (int)gg_in1[gg_row];", cuda);
        Assert.Contains("gg_Math::Min(label, (logits.Length - 1))", cuda.Replace("gg_Math::Min(label, logits.Length - 1)", "gg_Math::Min(label, (logits.Length - 1))"));
        Assert.Contains("gg_maxf(", cuda);
        Assert.Contains("static __device__ __forceinline__ float gg_maxf(float a, float b)", cuda);
        Assert.Contains("global::Gradgen.RowKernels.Cuda(PickRowsCudaSource, \"Pick_rows\", global::Gradgen.DType.Float32, label, shift, (twice ? 1L : 0L))", code);
        Assert.Contains("global::Gradgen.RowKernels.Cuda(PickRowsCudaSource, \"Pick_indexed_rows\", global::Gradgen.DType.Float32, shift, (twice ? 1L : 0L))", code);
    }

    // Output rows and local arrays come from the tape's top; a row stops where it is full, and the backward sweep
    // runs only where the whole forward sweep fit.
    [Fact]
    public void OutputsAndLocalArraysAreTakenFromTheTapeAndARowStopsWhereItIsFull()
    {
        string cuda = CudaOf(Generate(), "Prefix");

        Assert.Contains("gg_span<double> y(gg_out + 0 + (long long)gg_row * gg_outlen0, gg_outlen0);", cuda);
        Assert.Contains("gg_span<double> y = tape.Scratch<double>(gg_outlen0);", cuda);
        Assert.Matches(new Regex(@"running = tape\.Scratch<double>\(x\.Length\);\s*\n\s*drunning = tape\.Scratch<double>\(x\.Length\);\s*\n\s*if \(!tape\.Fits\(\)\) return;"), cuda);
        Assert.Contains("// Backward sweep, where the whole forward sweep fit on the tape.\n    if (!tape.Fits()) return;", cuda.Replace("\r\n", "\n"));
        Assert.Contains("dyAdjoint[gg_i] = gg_grad_out[0 + (long long)gg_row * gg_outlen0 + gg_i];", cuda);
    }

    // A call of another span function composes: the callee is a device function of the same source, its
    // FAccumulateGradient on the row's tape, called as the C# calls the generated member.
    [Fact]
    public void ACallOfASpanFunctionCallsItsDeviceFunctionDefinedInTheSameSource()
    {
        string cuda = CudaOf(Generate(), "Norm");

        Assert.Contains("static __device__ void gg_f1_Dot(gg_row_tape& tape, double& gg_result, gg_span<const double> a, gg_span<const double> b, double seed, gg_span<double> da, gg_span<double> db)", cuda);
        Assert.Contains("gg_span<const double> DotValueArgument0 = x;", cuda);
        Assert.Contains("gg_span<double> DotValueArgument0Gradient = tape.PushZeroed<double>(DotValueArgument0.Length);", cuda);
        Assert.Contains("gg_f1_Dot(tape, DotValue, DotValueArgument0, DotValueArgument1, 1.0, DotValueArgument0Gradient, DotValueArgument1Gradient);\n        if (!tape.Fits()) return;", cuda);
        Assert.Contains("tape.PopAddScaled(g, dx);", cuda);

        // The callee's backward runs only where the tape records and its forward fit, and leaves the tape as it was.
        Assert.Matches(new Regex(@"gg_result = result;\s*\n.*\n\s*if \(!tape\.recording\) \{ tape\.scratch = gg_scratch; return; \}\s*\n\s*if \(!tape\.Fits\(\)\) return;\s*\n\s*dresult = seed;"), cuda);
        Assert.Contains("tape.size = gg_size;", cuda);
    }

    [Fact]
    public void CalleesAreDefinedOnceEachBeforeTheirCallersAndSameNamesInOtherTypesStayApart()
    {
        string code = Generate();
        string matVec = CudaOf(code, "MatVec");
        string both = CudaOf(code, "BothDots");

        // MatVec calls Dot and Norm, and Norm calls Dot: Dot once, first.
        Assert.Single(Regex.Matches(matVec, @"static __device__ void gg_f\d_Dot\("));
        Assert.True(matVec.IndexOf("void gg_f1_Dot(", StringComparison.Ordinal) < matVec.IndexOf("void gg_f2_Norm(", StringComparison.Ordinal));
        Assert.Contains("gg_f1_Dot(tape, DotValue, ", matVec);
        Assert.Contains("gg_span<const double> DotValueArgument0 = a.Slice(i * x.Length, x.Length);", matVec);
        Assert.Contains("tape.PopAddScaled(g, da.Slice(i * x.Length, x.Length));", matVec);

        // Rows.Dot and Other.Dot are two functions.
        Assert.Contains("static __device__ void gg_f1_Dot(", both);
        Assert.Contains("static __device__ void gg_f2_Dot(", both);
    }

    // Names C++ or CUDA keep, C function names and gg_ are renamed in the CUDA only: gg_u_ and the name (gg_x_ and the
    // characters' hex codes where it is not ASCII).
    [Fact]
    public void VariablesNamedLikeCppKeywordsOrCFunctionsAreRenamedInTheCudaAlone()
    {
        string code = Generate();
        string exps = CudaOf(code, "Exps");
        string keywords = CudaOf(code, "Keywords");

        Assert.Contains("double gg_u_exp = 0, dgg_u_exp = 0;", exps);
        Assert.Contains("gg_u_exp = (exp(x[i]) + gg_u_exp);", exps);
        Assert.Contains("int gg_u_register = (int)gg_arg0;", keywords);
        Assert.Contains("int gg_u_and = 0;", keywords);
        Assert.Contains("gg_u_and = gg_u_register;", keywords);
        Assert.Matches(@"log\(\((gg_u_gg_sum \+ gg_x_3b5|gg_x_3b5 \+ gg_u_gg_sum)\)\)", keywords);
        Assert.Contains("double gg_u_log = 0, dgg_u_log = 0;", keywords);
        Assert.Contains("double gg_x_3b5 = 0, dgg_x_3b5 = 0;", keywords);
        Assert.Contains("gg_u__scale", keywords);
        Assert.DoesNotContain(" exp =", exps);

        // The C# keeps the names as written.
        Assert.Contains("exp = (global::Gradgen.Kernels.Scalar<double>.Exp(x[i]) + exp);", code);
        Assert.Contains("int and = default;", code);
    }

    // A [Differentiable] scalar method is inlined into the expression, inside Grad.StopGradient too: no C# call is
    // left, so the rows have kernels. Only a method Gradgen does not differentiate stays C# (Held, below).
    [Fact]
    public void ADifferentiableScalarMethodInsideStopGradientIsInlinedIntoTheKernels()
    {
        string code = Generate();
        string cuda = CudaOf(code, "HeldCube");

        // The gradient of x[i]·stop(x[i]³) is x[i]³ alone.
        Assert.Contains("s = ((x[i] * (x[i] * (x[i] * x[i]))) + s);", cuda);
        Assert.Contains("dx[i] += ((x[i] * (x[i] * x[i])) * g);", cuda);
        Assert.DoesNotContain("Cube(", cuda);
    }

    [Theory]
    [InlineData("Held", "it calls a method inside Grad.StopGradient")]
    [InlineData("HeldTwice", "it calls the span function Held (it calls a method inside Grad.StopGradient")]
    public void AFunctionTheCudaEmitterCannotWriteGetsNoSourceAndItsOverloadSaysWhy(string function, string reason)
    {
        string code = Generate();

        Assert.DoesNotContain(function + "RowsCudaSource", code);
        Assert.Contains($"global::Gradgen.RowKernels.None(\"{reason}", code);
        Assert.Contains("LogSumExpRowsCudaSource", code);
    }

    [Fact]
    public void ACustomDerivativeIsCSharpSoItsFunctionGetsNoRowKernels()
    {
        string code = Generate("""
            using System;
            using Gradgen;
            public static partial class Custom
            {
                [Differentiable]
                public static double Root(ReadOnlySpan<double> x) => Math.Sqrt(Squares(x));

                [Differentiable(Backward = nameof(SquaresVjp))]
                public static double Squares(ReadOnlySpan<double> x)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length; i++) s += x[i] * x[i];
                    return s;
                }

                public static void SquaresVjp(ReadOnlySpan<double> x, double gradOutput, Span<double> dx)
                {
                    for (int i = 0; i < x.Length; i++) dx[i] += 2 * x[i] * gradOutput;
                }
            }
            """);

        Assert.DoesNotContain("SquaresRowsCudaSource", code);
        Assert.Contains("global::Gradgen.RowKernels.None(\"its derivative is the C# method SquaresVjp", code);
        Assert.DoesNotContain("RootRowsCudaSource", code);
        Assert.Contains("global::Gradgen.RowKernels.None(\"it calls the span function Squares (its derivative is the C# method SquaresVjp", code);
    }

    /// <summary>The CUDA source of <c>{function}RowsCudaSource</c>, as the raw string holds it.</summary>
    private static string CudaOf(string code, string function)
    {
        var match = Regex.Match(code.Replace("\r\n", "\n"), function + "RowsCudaSource = \"\"\"\n(.*?)\n\\s*\"\"\";", RegexOptions.Singleline);
        Assert.True(match.Success, $"no {function}RowsCudaSource");
        string[] lines = match.Groups[1].Value.Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    private static string Generate(string source = Source)
    {
        var output = GeneratorHarness.Run(source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        return string.Join("\n", output.Sources.Values);
    }
}

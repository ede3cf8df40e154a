using System.Collections.Concurrent;

namespace Gradgen.Cuda;

/// <summary>
/// The launches of the runtime's own kernels (src/Gradgen.Cuda/Kernels/Tensor.cu and Gemm.cu) behind the device
/// operations of <see cref="IDeviceBackend"/>: argument lists in the order of the CUDA signatures, and launch shapes.
/// </summary>
internal sealed partial class CudaTensorBackend
{
    private readonly ConcurrentDictionary<string, CudaKernel> builtins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Source, string Function, bool TransposeB), CudaKernel> epilogueKernels = new();

    public void Copy(DeviceView source, DeviceView destination)
    {
        int count = source.Count;
        Span<KernelArg> args = stackalloc KernelArg[5 + (3 * DeviceView.MaxDims)];
        args[0] = Bytes(source.Buffer);
        args[1] = Bytes(destination.Buffer);
        args[2] = count;
        args[3] = source.Offset;
        args[4] = destination.Offset;

        // Dimensions are right-aligned so that the unused leading ones are size 1, stride 0.
        int lead = DeviceView.MaxDims - source.Shape.Length;
        for (int k = 0; k < DeviceView.MaxDims; k++)
        {
            int d = k - lead;
            args[5 + k] = d < 0 ? 1 : source.Shape[d];
            args[5 + DeviceView.MaxDims + k] = d < 0 ? 0 : source.Strides[d];
            args[5 + (2 * DeviceView.MaxDims) + k] = d < 0 ? 0 : destination.Strides[d];
        }

        Builtin(KernelSources.CopyEntry(source.DType, destination.DType)).Launch(Shape(count), args);
    }

    public void Map(DeviceMapOp op, DType dtype, ReadOnlySpan<IDeviceBuffer> inputs, IDeviceBuffer output, int count, double alpha, double beta)
    {
        Builtin(KernelSources.Entry("gg_map", dtype)).Launch(
            Shape(count), (int)op, Input(inputs, 0), Input(inputs, 1), Input(inputs, 2), Bytes(output), count, alpha, beta);
    }

    public void Compare(DeviceCompareOp op, DType dtype, IDeviceBuffer a, IDeviceBuffer b, IDeviceBuffer output, int count) =>
        Builtin(KernelSources.Entry("gg_compare", dtype)).Launch(Shape(count), (int)op, Bytes(a), Bytes(b), Bytes(output), count);

    public void Where(DType dtype, IDeviceBuffer condition, IDeviceBuffer x, IDeviceBuffer y, IDeviceBuffer output, int count) =>
        Builtin(KernelSources.Entry("gg_where", dtype)).Launch(Shape(count), Bytes(condition), Bytes(x), Bytes(y), Bytes(output), count);

    public void Reduce(DeviceReduceOp op, DType dtype, IDeviceBuffer source, int outer, int length, int inner, IDeviceBuffer values, IDeviceBuffer? indices)
    {
        // One block per output; as many threads as the reduced dimension needs, a power of two from 32 to 256.
        int threads = 32;
        while (threads < length && threads < 256)
        {
            threads *= 2;
        }

        var shape = new LaunchShape(new Dim3((uint)((long)outer * inner)), new Dim3((uint)threads));
        Builtin(KernelSources.Entry("gg_reduce", dtype)).Launch(
            shape, (int)op, Bytes(source), outer, length, inner, Bytes(values), indices is null ? KernelArg.Pointer(0) : Bytes(indices));
    }

    public void Gemm(in DeviceGemm g)
    {
        if (g.Epilogue is { } epilogue)
        {
            // A compiled graph's kernel applied as C is written: Gemm.cu compiled after the model's graph source, with
            // GG_PRODUCT_EPILOGUE naming the kernel's function (KernelSources.ProductEpilogueGemm), one module per kernel.
            if (g.DType != DType.Float32 || g.TransposeA || g.Batch != 1)
            {
                throw new ArgumentException($"A product with an epilogue is one Float32 product of an untransposed A, not {g.DType}, transposed A {g.TransposeA}, {g.Batch} matrices.", nameof(g));
            }

            context.MakeCurrent();
            var kernel = epilogueKernels.GetOrAdd((epilogue.CudaSource, epilogue.Function, g.TransposeB), key =>
                Kernel(KernelSources.ProductEpilogueGemm(key.Source, key.Function), KernelSources.ProductEpilogueEntries[key.TransposeB ? 1 : 0]));
            LaunchGemm(kernel, g, g.Bias is null ? KernelArg.Pointer(0) : Bytes(g.Bias), epilogue.Other is null ? KernelArg.Pointer(0) : Bytes(epilogue.Other));
            return;
        }

        if (g.DType != DType.Float32)
        {
            GemmSimple(g);
            return;
        }

        string entry = (g.TransposeA, g.TransposeB) switch
        {
            (false, false) => "gg_gemm_nn",
            (false, true) => "gg_gemm_nt",
            (true, false) => "gg_gemm_tn",
            _ => "gg_gemm_tt",
        };
        LaunchGemm(Builtin(entry), g, g.Bias is null ? KernelArg.Pointer(0) : Bytes(g.Bias));
    }

    /// <summary>One launch of a Float32 product of Gemm.cu: its common arguments, then the epilogue's.</summary>
    private static void LaunchGemm(CudaKernel kernel, in DeviceGemm g, params ReadOnlySpan<KernelArg> epilogue)
    {
        const int Tile = 64;
        var shape = new LaunchShape(new Dim3((uint)((g.N + Tile - 1) / Tile), (uint)((g.M + Tile - 1) / Tile), (uint)g.Batch), new Dim3(256));
        Span<KernelArg> arguments = stackalloc KernelArg[10 + epilogue.Length];
        arguments[0] = g.M;
        arguments[1] = g.N;
        arguments[2] = g.K;
        arguments[3] = At(g.A, g.OffsetA);
        arguments[4] = g.Lda;
        arguments[5] = (long)g.BatchStrideA;
        arguments[6] = At(g.B, g.OffsetB);
        arguments[7] = g.Ldb;
        arguments[8] = (long)g.BatchStrideB;
        arguments[9] = Bytes(g.C);
        epilogue.CopyTo(arguments[10..]);
        kernel.Launch(shape, arguments);
    }

    public void Gather(DType dtype, IDeviceBuffer source, IDeviceBuffer index, IDeviceBuffer output, int outer, int length, int count, int inner, bool scatterAdd)
    {
        int n = outer * count * inner;
        Builtin(KernelSources.Entry(scatterAdd ? "gg_scatter_add" : "gg_gather", dtype)).Launch(
            Shape(n), Bytes(source), Bytes(index), Bytes(output), outer, length, count, inner);
    }

    /// <summary>The simple Float64 and integer GEMM: one 16×16 block per 16×16 tile of C, the transpositions as arguments.</summary>
    private void GemmSimple(in DeviceGemm g)
    {
        const int Tile = 16;
        var shape = new LaunchShape(new Dim3((uint)((g.N + Tile - 1) / Tile), (uint)((g.M + Tile - 1) / Tile), (uint)g.Batch), new Dim3(Tile, Tile));
        Builtin(KernelSources.Entry("gg_gemm", g.DType)).Launch(
            shape,
            g.TransposeA ? 1 : 0,
            g.TransposeB ? 1 : 0,
            g.M,
            g.N,
            g.K,
            At(g.A, g.OffsetA, g.DType.ElementSize()),
            g.Lda,
            (long)g.BatchStrideA,
            At(g.B, g.OffsetB, g.DType.ElementSize()),
            g.Ldb,
            (long)g.BatchStrideB,
            Bytes(g.C),
            g.Bias is null ? KernelArg.Pointer(0) : Bytes(g.Bias));
    }

    private static KernelArg Input(ReadOnlySpan<IDeviceBuffer> inputs, int i) => i < inputs.Length ? Bytes(inputs[i]) : KernelArg.Pointer(0);

    /// <summary>The address of element <paramref name="offset"/> (of <paramref name="size"/> bytes) of a buffer.</summary>
    private static KernelArg At(IDeviceBuffer buffer, int offset, int size = sizeof(float)) => KernelArg.Pointer(Bytes(buffer).DevicePointer + ((ulong)offset * (ulong)size));

    /// <summary>A kernel of the runtime's own sources, by entry name (unique across Tensor.cu and Gemm.cu).</summary>
    private CudaKernel Builtin(string entry)
    {
        context.MakeCurrent();
        return builtins.GetOrAdd(entry, e => Kernel(e.StartsWith("gg_gemm", StringComparison.Ordinal) ? KernelSources.Gemm : KernelSources.Tensor, e));
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Optim;

/// <summary>
/// Runs an <see cref="IUpdateRule"/> over a parameter. A contiguous CPU parameter takes one fused pass: each SIMD
/// vector of parameter, gradient and state elements is loaded once, updated by the rule in registers and stored once,
/// without temporaries. A whole parameter on an accelerator takes one kernel traced from the same rule
/// (<see cref="DeviceUpdate"/>). Any other parameter (a strided view) runs the same rule with whole-tensor operations
/// (<see cref="TensorValue"/>) and copies the results back into the parameter and its state, so there is no second
/// copy of any rule.
/// </summary>
internal static class FusedUpdate
{
    /// <summary>
    /// Updates <paramref name="p"/> (a leaf, under no-grad) and the state buffers in place. The gradient has the
    /// parameter's shape, dtype and device; the state buffers are contiguous tensors like the parameter, or null
    /// where the rule does not use them.
    /// </summary>
    public static void Run<TRule>(in TRule rule, Tensor p, Tensor g, Tensor? s0 = null, Tensor? s1 = null, Tensor? s2 = null)
        where TRule : struct, IUpdateRule
    {
        if (p.Device.Type == DeviceType.Cpu && p.IsContiguous)
        {
            var gc = g.ContiguousData();
            RunCpuChunks(rule, p, gc, s0, s1, s2);

            // The spans above read a possibly converted gradient: it stays reachable (its pooled array in use) until here.
            GC.KeepAlive(gc);
            p.storage.Version++;
            Bump(s0);
            Bump(s1);
            Bump(s2);
            return;
        }

        if (p.Device.Type != DeviceType.Cpu && DeviceUpdate.CanRun(p, g, s0, s1, s2))
        {
            DeviceUpdate.Run(rule, p, g, s0, s1, s2);
            return;
        }

        var pv = new TensorValue(p.Detach());
        var a = new TensorValue(s0 ?? p);
        var b = new TensorValue(s1 ?? p);
        var c = new TensorValue(s2 ?? p);
        rule.Apply(ref pv, new TensorValue(g), ref a, ref b, ref c);
        s0?.CopyFrom(a.Value);
        s1?.CopyFrom(b.Value);
        s2?.CopyFrom(c.Value);
        p.CopyFrom(pv.Value);
    }

    static void Bump(Tensor? t)
    {
        if (t is not null)
        {
            t.storage.Version++;
        }
    }

    static Span<T> Elements<T>(Tensor? t)
        where T : unmanaged => t is null ? default : t.StorageSpan<T>().Slice(t.offset, t.numel);

    /// <summary>
    /// Tests only: the vector width in bits of the fused pass (128, 256 or 512; 1 for none, every element through the
    /// scalar tail); 0, the default, takes the widest the host accelerates. Every width gives the same bits: each
    /// element's update is the same operations in the same order.
    /// </summary>
    internal static int VectorBitsForTests;

    /// <summary>Elements per chunk of a parallel update: large enough that a chunk outweighs handing it to a worker.</summary>
    private const int ChunkElements = 1 << 16;

    /// <summary>
    /// The fused pass over a contiguous CPU parameter, split into chunks over Gradgen's worker threads when it is large
    /// (the pass is memory-bound: on two cores, where the backward's parallel products left the gradient in both
    /// cores' caches, one core alone took ~3× its standalone time). Every element's update is the same whatever the split.
    /// </summary>
    static void RunCpuChunks<TRule>(TRule rule, Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2)
        where TRule : struct, IUpdateRule
    {
        int n = p.NumElements, chunks = (n + ChunkElements - 1) / ChunkElements;
        bool single = p.DType == DType.Float32;
        if (chunks <= 1 || Kernels.Gemm.ThreadCount <= 1)
        {
            RunCpuRange(rule, p, g, s0, s1, s2, 0, n, single);
            return;
        }

        Kernels.ChunkedParallel.Run(chunks, Kernels.Gemm.ThreadCount, chunk =>
        {
            int start = chunk * ChunkElements;
            RunCpuRange(rule, p, g, s0, s1, s2, start, Math.Min(n, start + ChunkElements), single);
        });
    }

    static void RunCpuRange<TRule>(in TRule rule, Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2, int start, int end, bool single)
        where TRule : struct, IUpdateRule
    {
        if (single)
        {
            RunCpu<float, TRule>(rule, p, g, s0, s1, s2, start, end);
        }
        else
        {
            RunCpu<double, TRule>(rule, p, g, s0, s1, s2, start, end);
        }
    }

    static Span<T> Range<T>(Tensor? t, int start, int end)
        where T : unmanaged => t is null ? default : Elements<T>(t)[start..end];

    static void RunCpu<T, TRule>(in TRule rule, Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule
    {
        var ps = Range<T>(p, start, end);
        ReadOnlySpan<T> gs = Range<T>(g, start, end);
        Span<T> a = Range<T>(s0, start, end), b = Range<T>(s1, start, end), c = Range<T>(s2, start, end);
        ref T pr = ref MemoryMarshal.GetReference(ps);
        ref T gr = ref MemoryMarshal.GetReference(gs);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T cr = ref MemoryMarshal.GetReference(c);
        bool hasA = !a.IsEmpty, hasB = !b.IsEmpty, hasC = !c.IsEmpty;
        int n = ps.Length;
        int width = VectorBitsForTests != 0 ? VectorBitsForTests
            : Simd512<T>.IsHardwareAccelerated ? 512 : Simd256<T>.IsHardwareAccelerated ? 256 : Simd128<T>.IsHardwareAccelerated ? 128 : 1;
        int j = width switch
        {
            512 => Vectors<Vector512<T>, Simd512<T>, T, TRule>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n, hasA, hasB, hasC),
            256 => Vectors<Vector256<T>, Simd256<T>, T, TRule>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n, hasA, hasB, hasC),
            128 => Vectors<Vector128<T>, Simd128<T>, T, TRule>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n, hasA, hasB, hasC),
            _ => 0,
        };

        for (; j < n; j++)
        {
            var pv = new Lane<T>(Unsafe.Add(ref pr, j));
            var av = hasA ? new Lane<T>(Unsafe.Add(ref ar, j)) : default;
            var bv = hasB ? new Lane<T>(Unsafe.Add(ref br, j)) : default;
            var cv = hasC ? new Lane<T>(Unsafe.Add(ref cr, j)) : default;
            rule.Apply(ref pv, new Lane<T>(Unsafe.Add(ref gr, j)), ref av, ref bv, ref cv);
            Unsafe.Add(ref pr, j) = pv.Value;
            if (hasA)
            {
                Unsafe.Add(ref ar, j) = av.Value;
            }

            if (hasB)
            {
                Unsafe.Add(ref br, j) = bv.Value;
            }

            if (hasC)
            {
                Unsafe.Add(ref cr, j) = cv.Value;
            }
        }
    }

    /// <summary>The whole vectors of one range, at the width of <typeparamref name="TSimd"/>; returns where the scalar tail starts.</summary>
    static int Vectors<TVec, TSimd, T, TRule>(in TRule rule, ref T pr, ref T gr, ref T ar, ref T br, ref T cr, int n, bool hasA, bool hasB, bool hasC)
        where TVec : struct
        where TSimd : struct, ISimd<TVec, T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule => (hasA, hasB, hasC) switch
        {
            (false, false, false) => VectorPass<TVec, TSimd, T, TRule, Absent, Absent, Absent>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (true, false, false) => VectorPass<TVec, TSimd, T, TRule, Present, Absent, Absent>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (false, true, false) => VectorPass<TVec, TSimd, T, TRule, Absent, Present, Absent>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (true, true, false) => VectorPass<TVec, TSimd, T, TRule, Present, Present, Absent>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (false, false, true) => VectorPass<TVec, TSimd, T, TRule, Absent, Absent, Present>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (true, false, true) => VectorPass<TVec, TSimd, T, TRule, Present, Absent, Present>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (false, true, true) => VectorPass<TVec, TSimd, T, TRule, Absent, Present, Present>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
            (true, true, true) => VectorPass<TVec, TSimd, T, TRule, Present, Present, Present>(rule, ref pr, ref gr, ref ar, ref br, ref cr, n),
        };

    /// <summary>
    /// The loop of <see cref="Vectors"/>: a method of its own, specialised on which state buffers exist
    /// (<typeparamref name="TA"/>, <typeparamref name="TB"/>, <typeparamref name="TC"/>), so that it holds no test of
    /// them and few enough live values for the JIT to keep them in registers. Inlined into the optimizer's <c>Step</c>
    /// with run-time tests, the loop spilled its counter and vectors to the stack at every iteration
    /// (docs/benchmarks.md §6.4).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static int VectorPass<TVec, TSimd, T, TRule, TA, TB, TC>(TRule rule, ref T pr, ref T gr, ref T ar, ref T br, ref T cr, int n)
        where TVec : struct
        where TSimd : struct, ISimd<TVec, T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule
        where TA : struct, IBufferPresence
        where TB : struct, IBufferPresence
        where TC : struct, IBufferPresence
    {
        var ps = MemoryMarshal.CreateSpan(ref pr, n);
        var gs = MemoryMarshal.CreateReadOnlySpan(ref gr, n);
        var a = TA.Exists ? MemoryMarshal.CreateSpan(ref ar, n) : default;
        var b = TB.Exists ? MemoryMarshal.CreateSpan(ref br, n) : default;
        var c = TC.Exists ? MemoryMarshal.CreateSpan(ref cr, n) : default;
        int j = 0;
        for (; j <= n - TSimd.Count; j += TSimd.Count)
        {
            var pv = new SimdLanes<TVec, TSimd, T>(TSimd.Load(ps, j));
            var av = TA.Exists ? new SimdLanes<TVec, TSimd, T>(TSimd.Load(a, j)) : default;
            var bv = TB.Exists ? new SimdLanes<TVec, TSimd, T>(TSimd.Load(b, j)) : default;
            var cv = TC.Exists ? new SimdLanes<TVec, TSimd, T>(TSimd.Load(c, j)) : default;
            rule.Apply(ref pv, new SimdLanes<TVec, TSimd, T>(TSimd.Load(gs, j)), ref av, ref bv, ref cv);
            TSimd.Store(pv.Value, ps, j);
            if (TA.Exists)
            {
                TSimd.Store(av.Value, a, j);
            }

            if (TB.Exists)
            {
                TSimd.Store(bv.Value, b, j);
            }

            if (TC.Exists)
            {
                TSimd.Store(cv.Value, c, j);
            }
        }

        return j;
    }

    /// <summary>Whether a state buffer exists, as a type, so that <see cref="VectorPass"/>'s tests fold away.</summary>
    private interface IBufferPresence
    {
        static abstract bool Exists { get; }
    }

    private readonly struct Present : IBufferPresence
    {
        public static bool Exists => true;
    }

    private readonly struct Absent : IBufferPresence
    {
        public static bool Exists => false;
    }
}

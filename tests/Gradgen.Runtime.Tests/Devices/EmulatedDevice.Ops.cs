using System.Numerics;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// The emulated device's versions of the backend's tensor kernels, written from the interface's contract as plain
/// loops over each dtype (not by calling the runtime's CPU operations), so that the tests compare two independent
/// computations: a runtime that passes the wrong shape, stride, offset, dtype or operand to a kernel gets a different
/// answer from the CPU. Float kernels compute in their own type (float or double), integer ones in long with C#'s
/// wrapping, as the CUDA kernels do.
/// </summary>
internal sealed partial class EmulatedDevice
{
    /// <summary>The kernels that ran, by name, for tests that check what ran where.</summary>
    public List<string> Ran { get; } = [];

    /// <summary>The dtypes the kernels ran in, by kernel name (<c>map:Affine:Float64</c>), for tests of the dtype rules.</summary>
    public List<string> RanTyped { get; } = [];

    public void Copy(DeviceView source, DeviceView destination)
    {
        Assert.Equal(source.Shape, destination.Shape);
        Assert.True(source.Shape.Length <= DeviceView.MaxDims);
        Record("copy", destination.DType);
        var from = (Buffer)source.Buffer;
        var to = (Buffer)destination.Buffer;
        Assert.Equal(source.DType, from.DType);
        Assert.Equal(destination.DType, to.DType);
        int count = source.Count;
        for (int i = 0; i < count; i++)
        {
            int rest = i, s = source.Offset, d = destination.Offset;
            for (int k = source.Shape.Length - 1; k >= 0; k--)
            {
                int j = rest % source.Shape[k];
                rest /= source.Shape[k];
                s += j * source.Strides[k];
                d += j * destination.Strides[k];
            }

            if (from.DType == to.DType)
            {
                from.Element(s).CopyTo(to.Element(d));
            }
            else if (!from.DType.IsFloating() && !to.DType.IsFloating() && to.DType != DType.Bool)
            {
                to.SetInteger(d, from.GetInteger(s));
            }
            else
            {
                to.Set(d, from.Get(s));
            }
        }
    }

    public void Map(DeviceMapOp op, DType dtype, ReadOnlySpan<IDeviceBuffer> inputs, IDeviceBuffer output, int count, double alpha, double beta)
    {
        Record("map:" + op, dtype);
        var x = new Buffer?[3];
        for (int i = 0; i < inputs.Length; i++)
        {
            x[i] = (Buffer)inputs[i];
            Assert.Equal(dtype, x[i]!.DType);
            Assert.True(x[i]!.Length >= count);
        }

        var y = (Buffer)output;
        Assert.Equal(dtype, y.DType);
        switch (dtype)
        {
            case DType.Float32: MapFloat<float>(op, x, y, count, (float)alpha, (float)beta); break;
            case DType.Float64: MapFloat<double>(op, x, y, count, alpha, beta); break;
            default: MapInteger(op, x, y, count, (long)alpha, (long)beta); break;
        }
    }

    private static void MapFloat<T>(DeviceMapOp op, Buffer?[] x, Buffer output, int count, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = x[0]!.As<T>().ToArray(), b = x[1]?.As<T>().ToArray() ?? new T[count], c = x[2]?.As<T>().ToArray() ?? new T[count];
        var y = output.As<T>();
        T zero = T.Zero, two = T.One + T.One;
        for (int i = 0; i < count; i++)
        {
            T ai = a[i], bi = b[i], ci = c[i];
            y[i] = op switch
            {
                DeviceMapOp.Affine => (alpha * ai) + beta,
                DeviceMapOp.DivideByScalar => ai / alpha,
                DeviceMapOp.ScalarDivide => alpha / ai,
                DeviceMapOp.Relu => ai > zero ? ai : zero,
                DeviceMapOp.Abs => T.Abs(ai),
                DeviceMapOp.PowScalar => alpha == two ? ai * ai : T.Pow(ai, alpha),
                DeviceMapOp.Clamp => T.IsNaN(ai) ? ai : ai < alpha ? alpha : ai > beta ? beta : ai,
                DeviceMapOp.Maximum => T.IsNaN(ai) || T.IsNaN(bi) ? T.NaN : T.Max(ai, bi),
                DeviceMapOp.Minimum => T.IsNaN(ai) || T.IsNaN(bi) ? T.NaN : T.Min(ai, bi),
                DeviceMapOp.Add => ai + bi,
                DeviceMapOp.Subtract => ai - bi,
                DeviceMapOp.Multiply => ai * bi,
                DeviceMapOp.Pow => T.Pow(ai, bi),
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
            };
        }
    }

    /// <summary>The operations the contract allows on integer tensors, in long with C#'s wrapping; any other is a runtime bug.</summary>
    private static void MapInteger(DeviceMapOp op, Buffer?[] x, Buffer output, int count, long alpha, long beta)
    {
        for (int i = 0; i < count; i++)
        {
            long a = x[0]!.GetInteger(i), b = x[1]?.GetInteger(i) ?? 0;
            output.SetInteger(i, unchecked(op switch
            {
                DeviceMapOp.Affine => (alpha * a) + beta,
                DeviceMapOp.Add => a + b,
                DeviceMapOp.Subtract => a - b,
                DeviceMapOp.Multiply => a * b,
                DeviceMapOp.Relu => a > 0 ? a : 0,
                DeviceMapOp.Abs => a < 0 ? -a : a,
                DeviceMapOp.Clamp => a < alpha ? alpha : a > beta ? beta : a,
                DeviceMapOp.Maximum => Math.Max(a, b),
                DeviceMapOp.Minimum => Math.Min(a, b),
                DeviceMapOp.PowScalar => IntegerPower(a, alpha),
                _ => throw new InvalidOperationException($"{op} is not an integer operation of the map contract"),
            }));
        }
    }

    private static long IntegerPower(long x, long p)
    {
        long r = 1;
        for (; p > 0; p--)
        {
            r = unchecked(r * x);
        }

        return r;
    }

    public void Compare(DeviceCompareOp op, DType dtype, IDeviceBuffer a, IDeviceBuffer b, IDeviceBuffer output, int count)
    {
        Record("compare:" + op, dtype);
        Buffer x = (Buffer)a, y = (Buffer)b, r = (Buffer)output;
        Assert.Equal(dtype, x.DType);
        Assert.Equal(dtype, y.DType);
        Assert.NotEqual(DType.Bool, dtype);
        Assert.Equal(DType.Bool, r.DType);
        for (int i = 0; i < count; i++)
        {
            // Integers compare exactly as long, floats as double (exact for float, NaN compares false).
            int order = dtype.IsFloating() ? x.Get(i).CompareTo(y.Get(i)) : x.GetInteger(i).CompareTo(y.GetInteger(i));
            bool nan = dtype.IsFloating() && (double.IsNaN(x.Get(i)) || double.IsNaN(y.Get(i)));
            r.Set(i, op switch
            {
                DeviceCompareOp.Eq => !nan && order == 0,
                DeviceCompareOp.Ne => nan || order != 0,
                DeviceCompareOp.Gt => !nan && order > 0,
                DeviceCompareOp.Lt => !nan && order < 0,
                DeviceCompareOp.Ge => !nan && order >= 0,
                _ => !nan && order <= 0,
            } ? 1 : 0);
        }
    }

    public void Where(DType dtype, IDeviceBuffer condition, IDeviceBuffer x, IDeviceBuffer y, IDeviceBuffer output, int count)
    {
        Record("where", dtype);
        var c = (Buffer)condition;
        Buffer a = (Buffer)x, b = (Buffer)y, r = (Buffer)output;
        Assert.Equal(DType.Bool, c.DType);
        Assert.All(new[] { a, b, r }, t => Assert.Equal(dtype, t.DType));
        for (int i = 0; i < count; i++)
        {
            (c.GetInteger(i) != 0 ? a : b).Element(i).CopyTo(r.Element(i));
        }
    }

    public void Reduce(DeviceReduceOp op, DType dtype, IDeviceBuffer source, int outer, int length, int inner, IDeviceBuffer values, IDeviceBuffer? indices)
    {
        Record("reduce:" + op, dtype);
        Buffer x = (Buffer)source, v = (Buffer)values;
        var ix = (Buffer?)indices;
        Assert.Equal(dtype, x.DType);
        Assert.Equal(dtype, v.DType);
        Assert.True(x.Length >= outer * length * inner);
        Assert.False(op == DeviceReduceOp.Sum && dtype == DType.Int32, "integer sums run in Int64");
        switch (dtype)
        {
            case DType.Float32: Reduce<float>(op, x.As<float>(), outer, length, inner, v.As<float>(), ix); break;
            case DType.Float64: Reduce<double>(op, x.As<double>(), outer, length, inner, v.As<double>(), ix); break;
            case DType.Int32: Reduce<int>(op, x.As<int>(), outer, length, inner, v.As<int>(), ix); break;
            case DType.Int64: Reduce<long>(op, x.As<long>(), outer, length, inner, v.As<long>(), ix); break;
            default: throw new InvalidOperationException("Bool is reduced as Int32 or Int64");
        }
    }

    private static void Reduce<T>(DeviceReduceOp op, Span<T> x, int outer, int length, int inner, Span<T> v, Buffer? ix)
        where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int At(int j) => (((o * length) + j) * inner) + i;
                T best = op == DeviceReduceOp.Sum ? T.Zero : x[At(0)];
                int bestIndex = 0;
                for (int j = op == DeviceReduceOp.Sum ? 0 : 1; j < length && !T.IsNaN(best); j++)
                {
                    T e = x[At(j)];
                    if (op == DeviceReduceOp.Sum)
                    {
                        best = unchecked(best + e);
                    }
                    else if (T.IsNaN(e) || (op == DeviceReduceOp.Max ? e > best : e < best))
                    {
                        (best, bestIndex) = (e, j);
                    }
                }

                v[(o * inner) + i] = best;
                ix?.SetInteger((o * inner) + i, bestIndex);
            }
        }
    }

    public void Gemm(in DeviceGemm g)
    {
        if (g.Epilogue is { } epilogue)
        {
            EpilogueGemm(g, epilogue);
            return;
        }

        Record($"gemm:{(g.TransposeA ? 't' : 'n')}{(g.TransposeB ? 't' : 'n')}{(g.Bias is null ? "" : "+bias")}", g.DType);
        switch (g.DType)
        {
            case DType.Float32: Gemm<float>(g); break;
            case DType.Float64: Gemm<double>(g); break;
            default: GemmInteger(g); break;
        }
    }

    /// <summary>
    /// A product with a compiled graph's kernel as its epilogue, as Gemm.cu's gg_gemm_nn_epilogue and gg_gemm_nt_epilogue
    /// compute it: checks that the source really defines the device function the CUDA backend will name, then applies
    /// the kernel's generated C# twin (CompiledGraph.CpuTwins) to the product and the other matrix.
    /// </summary>
    private void EpilogueGemm(in DeviceGemm g, DeviceGemmEpilogue epilogue)
    {
        Record($"gemm:n{(g.TransposeB ? 't' : 'n')}{(g.Bias is null ? "" : "+bias")}+{epilogue.Function}", g.DType);
        Assert.True(g.DType == DType.Float32 && !g.TransposeA && g.Batch == 1, "a product with an epilogue is one Float32 product of an untransposed A");
        Assert.Contains($"float {epilogue.Function}(float product, float other)", epilogue.CudaSource, StringComparison.Ordinal);
        Assert.True(Gradgen.Nn.CompiledGraph.CpuTwins.TryGetValue(epilogue.Function, out var twin), $"no C# twin for {epilogue.Function}");
        Gemm<float>(g with { Epilogue = null });
        var c = (Buffer)g.C;
        var product = ToTensor(c).Reshape(g.M, g.N);
        Tensor[] inputs = epilogue.Other is null ? [product] : [product, ToTensor((Buffer)epilogue.Other).Reshape(g.M, g.N)];
        var output = Tensor.Zeros([g.M, g.N], DType.Float32);
        twin.Run(inputs, [output]);
        Write(output, c);
    }

    /// <summary>An integer product: accumulated in long and wrapped to the dtype (the same bits as wrapping all along); no bias or activation.</summary>
    private static void GemmInteger(in DeviceGemm g)
    {
        Assert.True(g.Bias is null, "integer products have no epilogue");
        Buffer a = (Buffer)g.A, b = (Buffer)g.B, c = (Buffer)g.C;
        for (int batch = 0; batch < g.Batch; batch++)
        {
            for (int i = 0; i < g.M; i++)
            {
                for (int j = 0; j < g.N; j++)
                {
                    long sum = 0;
                    for (int p = 0; p < g.K; p++)
                    {
                        long av = a.GetInteger(g.OffsetA + (batch * g.BatchStrideA) + (g.TransposeA ? (p * g.Lda) + i : (i * g.Lda) + p));
                        long bv = b.GetInteger(g.OffsetB + (batch * g.BatchStrideB) + (g.TransposeB ? (j * g.Ldb) + p : (p * g.Ldb) + j));
                        sum = unchecked(sum + (av * bv));
                    }

                    c.SetInteger((batch * g.M * g.N) + (i * g.N) + j, sum);
                }
            }
        }
    }

    private static void Gemm<T>(in DeviceGemm g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> a = ((Buffer)g.A).As<T>(), b = ((Buffer)g.B).As<T>(), c = ((Buffer)g.C).As<T>();
        Span<T> bias = g.Bias is null ? default : ((Buffer)g.Bias).As<T>();
        for (int batch = 0; batch < g.Batch; batch++)
        {
            for (int i = 0; i < g.M; i++)
            {
                for (int j = 0; j < g.N; j++)
                {
                    T sum = T.Zero;
                    for (int p = 0; p < g.K; p++)
                    {
                        T av = a[g.OffsetA + (batch * g.BatchStrideA) + (g.TransposeA ? (p * g.Lda) + i : (i * g.Lda) + p)];
                        T bv = b[g.OffsetB + (batch * g.BatchStrideB) + (g.TransposeB ? (j * g.Ldb) + p : (p * g.Ldb) + j)];
                        sum += av * bv;
                    }

                    c[(batch * g.M * g.N) + (i * g.N) + j] = sum + (bias.IsEmpty ? T.Zero : bias[j]);
                }
            }
        }
    }

    public void Gather(DType dtype, IDeviceBuffer source, IDeviceBuffer index, IDeviceBuffer output, int outer, int length, int count, int inner, bool scatterAdd)
    {
        Record(scatterAdd ? "scatter-add" : "gather", dtype);
        Buffer x = (Buffer)source, r = (Buffer)output, ix = (Buffer)index;
        Assert.Equal(dtype, x.DType);
        Assert.Equal(dtype, r.DType);
        Assert.Equal(DType.Int64, ix.DType);
        Assert.True(!scatterAdd || dtype.IsFloating(), "scatter-add runs over Float32 and Float64");
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < count; j++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int at = (((o * count) + j) * inner) + i;
                    long k = ix.GetInteger(at);
                    Assert.InRange(k, 0, length - 1);
                    int from = (int)((((o * length) + k) * inner) + i);
                    if (scatterAdd)
                    {
                        x.Set(from, x.Get(from) + r.Get(at));
                    }
                    else
                    {
                        x.Element(from).CopyTo(r.Element(at));
                    }
                }
            }
        }
    }

    private void Record(string kernel, DType dtype)
    {
        Ran.Add(kernel);
        RanTyped.Add(kernel + ":" + dtype);
    }
}

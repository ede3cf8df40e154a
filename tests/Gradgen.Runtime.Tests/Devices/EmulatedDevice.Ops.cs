namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// The emulated device's versions of the backend's tensor kernels, written from the interface's contract as plain
/// loops (not by calling the runtime's CPU operations), so that the tests compare two independent computations: a
/// runtime that passes the wrong shape, stride, offset or operand to a kernel gets a different answer from the CPU.
/// </summary>
internal sealed partial class EmulatedDevice
{
    /// <summary>The kernels that ran, by name, for tests that check what ran where.</summary>
    public List<string> Ran { get; } = [];

    public void Copy(DeviceView source, DeviceView destination)
    {
        Assert.Equal(source.Shape, destination.Shape);
        Assert.True(source.Shape.Length <= DeviceView.MaxDims);
        Ran.Add("copy");
        var from = (Buffer)source.Buffer;
        var to = (Buffer)destination.Buffer;
        Assert.Equal(source.DType, from.DType);
        Assert.Equal(destination.DType, to.DType);
        int count = source.Count;
        Span<int> index = stackalloc int[source.Shape.Length];
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

            to.Set(d, from.Get(s));
        }
    }

    public void Map(DeviceMapOp op, ReadOnlySpan<IDeviceBuffer> inputs, IDeviceBuffer output, int count, float alpha, float beta)
    {
        Ran.Add("map:" + op);
        var x = new float[3][];
        for (int i = 0; i < inputs.Length; i++)
        {
            x[i] = ((Buffer)inputs[i]).Floats;
            Assert.True(x[i].Length >= count);
        }

        var y = ((Buffer)output).Floats;
        for (int i = 0; i < count; i++)
        {
            float a = x[0][i], b = x[1]?[i] ?? 0, c = x[2]?[i] ?? 0;
            y[i] = op switch
            {
                DeviceMapOp.Affine => (alpha * a) + beta,
                DeviceMapOp.DivideByScalar => a / alpha,
                DeviceMapOp.ScalarDivide => alpha / a,
                DeviceMapOp.ScalarDivideBackward => -alpha * b / (a * a),
                DeviceMapOp.Relu => a > 0 ? a : 0,
                DeviceMapOp.ReluBackward => a > 0 ? b : 0,
                DeviceMapOp.Abs => MathF.Abs(a),
                DeviceMapOp.AbsBackward => a > 0 ? b : a < 0 ? -b : 0,
                DeviceMapOp.PowScalar => MathF.Pow(a, alpha),
                DeviceMapOp.PowScalarBackward => alpha == 0 ? 0 : alpha * MathF.Pow(a, alpha - 1) * b,
                DeviceMapOp.Clamp => MathF.Min(MathF.Max(a, alpha), beta),
                DeviceMapOp.ClampBackward => a >= alpha && a <= beta ? b : 0,
                DeviceMapOp.Maximum => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : MathF.Max(a, b),
                DeviceMapOp.Minimum => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : MathF.Min(a, b),
                DeviceMapOp.MaximumBackward => a > b ? c : a == b ? c / 2 : 0,
                DeviceMapOp.MinimumBackward => a < b ? c : a == b ? c / 2 : 0,
                DeviceMapOp.SgdStep => a - (alpha * (b + (beta * a))),
                DeviceMapOp.Axpy => a + (alpha * b),
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
            };
        }
    }

    public void Compare(DeviceCompareOp op, IDeviceBuffer a, IDeviceBuffer b, IDeviceBuffer output, int count)
    {
        Ran.Add("compare:" + op);
        float[] x = ((Buffer)a).Floats, y = ((Buffer)b).Floats;
        var r = (Buffer)output;
        Assert.Equal(DType.Bool, r.DType);
        for (int i = 0; i < count; i++)
        {
            r.Set(i, op switch
            {
                DeviceCompareOp.Eq => x[i] == y[i],
                DeviceCompareOp.Ne => x[i] != y[i],
                DeviceCompareOp.Gt => x[i] > y[i],
                DeviceCompareOp.Lt => x[i] < y[i],
                DeviceCompareOp.Ge => x[i] >= y[i],
                _ => x[i] <= y[i],
            } ? 1 : 0);
        }
    }

    public void Where(IDeviceBuffer condition, IDeviceBuffer x, IDeviceBuffer y, IDeviceBuffer output, int count)
    {
        Ran.Add("where");
        var c = (Buffer)condition;
        Assert.Equal(DType.Bool, c.DType);
        float[] a = ((Buffer)x).Floats, b = ((Buffer)y).Floats, r = ((Buffer)output).Floats;
        for (int i = 0; i < count; i++)
        {
            r[i] = c.Get(i) != 0 ? a[i] : b[i];
        }
    }

    public void Reduce(DeviceReduceOp op, IDeviceBuffer source, int outer, int length, int inner, IDeviceBuffer values, IDeviceBuffer? indices)
    {
        Ran.Add("reduce:" + op);
        var x = ((Buffer)source).Floats;
        var v = ((Buffer)values).Floats;
        var ix = (Buffer?)indices;
        Assert.True(x.Length >= outer * length * inner);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int at(int j) => (((o * length) + j) * inner) + i;
                float best = op == DeviceReduceOp.Sum ? 0 : x[at(0)];
                int bestIndex = 0;
                for (int j = op == DeviceReduceOp.Sum ? 0 : 1; j < length && !float.IsNaN(best); j++)
                {
                    float e = x[at(j)];
                    if (op == DeviceReduceOp.Sum)
                    {
                        best += e;
                    }
                    else if (float.IsNaN(e) || (op == DeviceReduceOp.Max ? e > best : e < best))
                    {
                        (best, bestIndex) = (e, j);
                    }
                }

                v[(o * inner) + i] = best;
                ix?.Set((o * inner) + i, bestIndex);
            }
        }
    }

    public void Gemm(in DeviceGemm g)
    {
        Ran.Add($"gemm:{(g.TransposeA ? 't' : 'n')}{(g.TransposeB ? 't' : 'n')}{(g.Bias is null ? "" : "+bias")}{(g.Activation == Gradgen.Nn.CompiledActivation.None ? "" : "+" + g.Activation)}");
        float[] a = ((Buffer)g.A).Floats, b = ((Buffer)g.B).Floats, c = ((Buffer)g.C).Floats;
        float[]? bias = g.Bias is null ? null : ((Buffer)g.Bias).Floats;
        for (int batch = 0; batch < g.Batch; batch++)
        {
            for (int i = 0; i < g.M; i++)
            {
                for (int j = 0; j < g.N; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < g.K; p++)
                    {
                        float av = a[g.OffsetA + (batch * g.BatchStrideA) + (g.TransposeA ? (p * g.Lda) + i : (i * g.Lda) + p)];
                        float bv = b[g.OffsetB + (batch * g.BatchStrideB) + (g.TransposeB ? (j * g.Ldb) + p : (p * g.Ldb) + j)];
                        sum += av * bv;
                    }

                    float z = sum + (bias?[j] ?? 0);
                    c[(batch * g.M * g.N) + (i * g.N) + j] = g.Activation switch
                    {
                        Gradgen.Nn.CompiledActivation.Relu => MathF.Max(z, 0),
                        Gradgen.Nn.CompiledActivation.Sigmoid => 1 / (1 + MathF.Exp(-z)),
                        Gradgen.Nn.CompiledActivation.Tanh => MathF.Tanh(z),
                        _ => z,
                    };
                }
            }
        }
    }

    public void Gather(IDeviceBuffer source, IDeviceBuffer index, IDeviceBuffer output, int outer, int length, int count, int inner, bool scatterAdd)
    {
        Ran.Add(scatterAdd ? "scatter-add" : "gather");
        float[] x = ((Buffer)source).Floats, r = ((Buffer)output).Floats;
        var ix = (Buffer)index;
        Assert.Equal(DType.Int64, ix.DType);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < count; j++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int at = (((o * count) + j) * inner) + i;
                    long k = (long)ix.Get(at);
                    Assert.InRange(k, 0, length - 1);
                    int from = (int)((((o * length) + k) * inner) + i);
                    if (scatterAdd)
                    {
                        x[from] += r[at];
                    }
                    else
                    {
                        r[at] = x[from];
                    }
                }
            }
        }
    }
}

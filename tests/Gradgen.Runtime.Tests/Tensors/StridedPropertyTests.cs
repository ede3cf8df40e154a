namespace Gradgen.Tests.Tensors;

/// <summary>
/// Random shapes, broadcasts and strided views against a naive reference that reads every element by its index:
/// exercises the one strided iteration (dimension merging, broadcast strides, offsets) behind every operation.
/// </summary>
public class StridedPropertyTests
{
    /// <summary>A tensor of the given shape, made in a random non-trivial way: permuted, sliced, or plain.</summary>
    static Tensor RandomLayout(System.Random rng, int[] shape)
    {
        int kind = rng.Next(3);
        if (kind == 0 || shape.Length < 2) return Tensor.Randn(shape);
        if (kind == 1)
        {
            // Build the permuted shape, then permute back: same logical shape, transposed strides.
            var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
            var inv = new int[perm.Length];
            for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
            var stored = perm.Select(p => shape[p]).ToArray();
            return Tensor.Randn(stored).Permute(inv);
        }
        // A slice with a step out of a bigger tensor.
        var big = (int[])shape.Clone();
        big[^1] = shape[^1] * 2 + 1;
        return Tensor.Randn(big).Slice(-1, 1, big[^1], 2);
    }

    static int[] RandomShape(System.Random rng) => Enumerable.Range(0, rng.Next(0, 5)).Select(_ => rng.Next(1, 4)).ToArray();

    static int[] BroadcastPartner(System.Random rng, int[] shape)
    {
        var s = shape.Skip(rng.Next(0, shape.Length + 1)).ToArray();
        for (int i = 0; i < s.Length; i++) if (rng.Next(3) == 0) s[i] = 1;
        return s;
    }

    static double At(Tensor t, int[] outIndex)
    {
        int lead = outIndex.Length - t.Ndim;
        var idx = new TensorIndex[t.Ndim];
        for (int i = 0; i < t.Ndim; i++) idx[i] = t.Shape[i] == 1 ? 0 : outIndex[i + lead];
        return t.Ndim == 0 ? t.Item<double>() : t[idx].Item<double>();
    }

    static IEnumerable<int[]> Indices(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        for (int f = 0; f < n; f++)
        {
            var idx = new int[shape.Length];
            int rem = f;
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
            yield return idx;
        }
    }

    [Fact]
    public void Broadcast_binary_ops_on_random_layouts_match_the_reference()
    {
        var rng = new System.Random(11);
        Gradgen.RandomGenerator.ManualSeed(11);
        for (int trial = 0; trial < 200; trial++)
        {
            var sa = RandomShape(rng);
            var sb = BroadcastPartner(rng, sa);
            if (rng.Next(2) == 0) (sa, sb) = (sb, sa);
            var a = RandomLayout(rng, sa);
            var b = RandomLayout(rng, sb);
            var r = a * b - a;
            foreach (var idx in Indices(r.Shape.ToArray()))
            {
                double expected = (float)((float)(At(a, idx) * At(b, idx)) - At(a, idx));
                Assert.Equal(expected, At(r, idx), 5);
            }
        }
    }

    [Fact]
    public void Sums_over_every_dimension_of_random_layouts_match_the_reference()
    {
        var rng = new System.Random(12);
        Gradgen.RandomGenerator.ManualSeed(12);
        for (int trial = 0; trial < 100; trial++)
        {
            var shape = RandomShape(rng);
            if (shape.Length == 0) continue;
            var x = RandomLayout(rng, shape);
            int dim = rng.Next(shape.Length);
            var s = x.Sum(dim, keepDim: true);
            foreach (var idx in Indices(s.Shape.ToArray()))
            {
                double expected = 0;
                for (int k = 0; k < shape[dim]; k++)
                {
                    var j = (int[])idx.Clone();
                    j[dim] = k;
                    expected += At(x, j);
                }
                Assert.Equal(expected, At(s, idx), 4);
            }
            Assert.Equal(x.ToArray<float>().Sum(v => (double)v), x.Sum().Item<double>(), 4);
        }
    }

    [Fact]
    public void Copies_of_random_layouts_keep_every_element()
    {
        var rng = new System.Random(13);
        for (int trial = 0; trial < 100; trial++)
        {
            var shape = RandomShape(rng);
            var x = RandomLayout(rng, shape);
            var c = x.Contiguous();
            Assert.True(c.IsContiguous);
            foreach (var idx in Indices(shape)) Assert.Equal(At(x, idx), At(c, idx));
            var r = x.Reshape(-1);
            Assert.Equal(c.ToArray<float>(), r.ToArray<float>());
        }
    }
}

using System.Runtime.Intrinsics;
using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Tests.Optim;

/// <summary>
/// The CPU's fused update runs at the widest vector the host accelerates. Every width must give the parameter and
/// state bits that the scalar path (every element through the tail) gives, for rules that use none, one, two or three
/// state buffers, in float32 and float64: an element's update is the same operations whatever the width.
/// </summary>
[Collection(nameof(FusedUpdateWidthTests))]    // the width is a static of the runtime
public class FusedUpdateWidthTests
{
    public static TheoryData<int> Widths => new() { 128, 256, 512 };

    static readonly (string Name, Func<Tensor, Optimizer> Make)[] Optimizers =
    [
        ("Sgd", p => new Sgd([p], lr: 0.05)),
        ("Sgd momentum", p => new Sgd([p], lr: 0.05, momentum: 0.9, weightDecay: 0.01)),
        ("Adam", p => new Adam([p], lr: 0.05)),
        ("Adam amsgrad", p => new Adam([p], lr: 0.05, amsgrad: true)),
        ("RMSprop centered", p => new RMSprop([p], centered: true)),
        ("RMSprop centered momentum", p => new RMSprop([p], momentum: 0.5, centered: true)),
        ("Adagrad", p => new Adagrad([p])),
    ];

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Every_width_gives_the_scalar_paths_bits(int bits)
    {
        Skip.IfNot(bits switch { 512 => Vector512.IsHardwareAccelerated, 256 => Vector256.IsHardwareAccelerated, _ => Vector128.IsHardwareAccelerated }, $"this host does not accelerate {bits}-bit vectors");
        foreach (var (name, make) in Optimizers)
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                var scalar = Run(make, dtype, 1);
                var vectors = Run(make, dtype, bits);
                for (int i = 0; i < scalar.Length; i++)
                {
                    Assert.True(scalar[i].Equals(vectors[i]), $"{name}, {dtype}, {bits}-bit vectors: element {i} is {vectors[i]:R}, the scalar path gives {scalar[i]:R}");
                }
            }
        }
    }

    /// <summary>Five steps on a parameter of 67 elements (whole vectors of every width and a tail), at <paramref name="bits"/>; the parameter and every state buffer after them.</summary>
    static double[] Run(Func<Tensor, Optimizer> make, DType dtype, int bits)
    {
        FusedUpdate.VectorBitsForTests = bits;
        try
        {
            var p = new Parameter(Tensor.FromArray(Enumerable.Range(0, 67).Select(i => Math.Sin(i) * 3).ToArray()).To(dtype));
            var optimizer = make(p);
            for (int t = 1; t <= 5; t++)
            {
                p.Grad = Tensor.FromArray(Enumerable.Range(0, 67).Select(i => Math.Cos((i * t) + 0.5)).ToArray()).To(dtype);
                optimizer.Step();
            }

            var state = optimizer.StateDict();
            var buffers = state.State.Values.SelectMany(entries => entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value));
            return p.Detach().To(DType.Float64).ToArray<double>()
                .Concat(buffers.SelectMany(b => b.To(DType.Float64).Contiguous().ToArray<double>()))
                .ToArray();
        }
        finally
        {
            FusedUpdate.VectorBitsForTests = 0;
        }
    }
}

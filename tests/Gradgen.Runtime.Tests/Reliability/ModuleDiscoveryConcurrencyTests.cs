using Gradgen.Nn;

namespace Gradgen.Tests.Reliability;

/// <summary>The first use of a fresh module from several threads at once: every thread sees the whole registry.</summary>
public sealed class ModuleDiscoveryConcurrencyTests
{
    // Declared fields only: the registry is filled by reflection at first use.
    private sealed class Wide : Module
    {
        private readonly Linear a = new(3, 4), b = new(4, 4), c = new(4, 4), d = new(4, 4), e = new(4, 4), f = new(4, 2);
        private readonly Parameter scale = new(Tensor.Ones(1));

        public override Tensor Forward(Tensor input) => f.Forward(e.Forward(d.Forward(c.Forward(b.Forward(a.Forward(input)))))) * scale;
    }

    private sealed class Outer : Module
    {
        private readonly Wide left = new(), right = new();

        public override Tensor Forward(Tensor input) => left.Forward(input) + right.Forward(input);
    }

    [Fact]
    public void SixThreadsMakingTheFirstUseAtOnceAllSeeEveryParameter()
    {
        const int Threads = 6;
        for (int trial = 0; trial < 200; trial++)
        {
            var model = new Outer();
            var counts = new int[Threads];
            var keys = new int[Threads];
            var errors = new Exception?[Threads];
            using var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    counts[t] = t % 2 == 0 ? model.Parameters().Count() : model.NamedParameters().Count();
                    keys[t] = model.StateDict().Count;
                }
                catch (Exception e)
                {
                    errors[t] = e;
                }
            })).ToArray();
            foreach (var w in workers)
            {
                w.Start();
            }

            foreach (var w in workers)
            {
                w.Join();
            }

            Assert.All(errors, e => Assert.Null(e));
            Assert.All(counts, c => Assert.Equal(26, c));
            Assert.All(keys, k => Assert.Equal(26, k));
        }
    }
}

namespace Gradgen.Tests.Reliability;

/// <summary>
/// <c>Gradgen.Autograd.NoGrad()</c> flows with the async context: a scope that spans awaits covers its own continuation on
/// whatever thread it resumes, tasks it starts inherit it, and no unrelated work on any thread ever sees it.
/// </summary>
public sealed class GradModeFlowTests
{
    private static async Task<bool> EvaluateUnderNoGradAcrossAwaits(bool configureAwait)
    {
        using (Gradgen.Autograd.NoGrad())
        {
            Assert.False(Gradgen.Autograd.IsGradEnabled);
            await Task.Yield();
            Assert.False(Gradgen.Autograd.IsGradEnabled);
            await Task.Delay(1).ConfigureAwait(configureAwait);
            Assert.False(Gradgen.Autograd.IsGradEnabled);
            var w = Tensor.Ones(3);
            w.RequiresGrad = true;
            Assert.False((w * 2).RequiresGrad);
            await Task.Run(() => Assert.False(Gradgen.Autograd.IsGradEnabled)).ConfigureAwait(configureAwait);
        }

        return Gradgen.Autograd.IsGradEnabled;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AScopeSpanningAwaitsHoldsToItsEndAndIsRestoredExactly(bool configureAwait)
    {
        Assert.True(Gradgen.Autograd.IsGradEnabled);
        Assert.True(await EvaluateUnderNoGradAcrossAwaits(configureAwait));
        Assert.True(Gradgen.Autograd.IsGradEnabled);
    }

    [Fact]
    public async Task NoUnrelatedWorkRunsWithRecordingOffWhileOrAfterScopesSpanAwaits()
    {
        // Many handlers evaluating under NoGrad across awaits, interleaved on the pool with plain work items.
        int off = 0;
        var handlers = Enumerable.Range(0, 100).Select(i => Task.Run(() => EvaluateUnderNoGradAcrossAwaits(i % 2 == 0))).ToArray();
        var plain = Enumerable.Range(0, 400).Select(_ => Task.Run(async () =>
        {
            await Task.Yield();
            if (!Gradgen.Autograd.IsGradEnabled)
            {
                Interlocked.Increment(ref off);
            }

            var w = Tensor.Ones(2);
            w.RequiresGrad = true;
            Assert.True((w * 3).RequiresGrad);
        })).ToArray();
        Assert.All(await Task.WhenAll(handlers), enabledAfter => Assert.True(enabledAfter));
        await Task.WhenAll(plain);
        Assert.Equal(0, off);

        // And after everything, on fresh pool threads.
        var after = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => Gradgen.Autograd.IsGradEnabled)));
        Assert.All(after, Assert.True);
    }

    [Fact]
    public async Task TasksAndParallelLoopsStartedInsideAScopeInheritIt()
    {
        using (Gradgen.Autograd.NoGrad())
        {
            Assert.False(await Task.Run(() => Gradgen.Autograd.IsGradEnabled));
            var seen = new bool[64];
            Parallel.For(0, seen.Length, i => seen[i] = Gradgen.Autograd.IsGradEnabled);
            Assert.All(seen, Assert.False);
        }

        var afterwards = new bool[64];
        Parallel.For(0, afterwards.Length, i => afterwards[i] = Gradgen.Autograd.IsGradEnabled);
        Assert.All(afterwards, Assert.True);
    }

    [Fact]
    public async Task AChildChangingTheModeDoesNotChangeItsParent()
    {
        await Task.Run(() =>
        {
            // Entered and never disposed in the child: the parent flow is unaffected.
            _ = Gradgen.Autograd.NoGrad();
            Assert.False(Gradgen.Autograd.IsGradEnabled);
        });
        Assert.True(Gradgen.Autograd.IsGradEnabled);
    }

    [Fact]
    public async Task EnableGradInsideNoGradAcrossAwaitsNestsAndRestores()
    {
        using (Gradgen.Autograd.NoGrad())
        {
            using (Gradgen.Autograd.EnableGrad())
            {
                await Task.Yield();
                Assert.True(Gradgen.Autograd.IsGradEnabled);
            }

            Assert.False(Gradgen.Autograd.IsGradEnabled);
            await Task.Yield();
            Assert.False(Gradgen.Autograd.IsGradEnabled);
        }

        Assert.True(Gradgen.Autograd.IsGradEnabled);
    }

    [Fact]
    public void BackwardStillRunsItsNodesWithRecordingOffAndLeavesTheModeAsItWas()
    {
        var x = Tensor.Ones(4);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        Assert.False(x.Grad!.RequiresGrad);
        Assert.True(Gradgen.Autograd.IsGradEnabled);
        using (Gradgen.Autograd.NoGrad())
        {
            Assert.False(Gradgen.Autograd.IsGradEnabled);
        }
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Autograd;

/// <summary><see cref="Tensor.RegisterPostAccumulateGradHook"/>: PyTorch's <c>register_post_accumulate_grad_hook</c>.</summary>
public sealed class PostAccumulateGradHookTests
{
    [Fact]
    public void TheHookSeesTheAccumulatedGradientOncePerBackward()
    {
        var w = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        var seen = new List<double[]>();
        using var handle = w.RegisterPostAccumulateGradHook(t =>
        {
            Assert.Same(w, t);
            Assert.False(global::Gradgen.Autograd.IsGradEnabled);
            seen.Add(t.Grad!.ToArray<double>());
        });
        // w is used twice: the engine sums both contributions before the one accumulation.
        var y = (w * w + w * 3).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(2, seen.Count);
        Assert.Equal([5.0, 7.0], seen[0]);
        Assert.Equal([10.0, 14.0], seen[1]);
    }

    [Fact]
    public void HooksRunInOrderUntilRemoved()
    {
        var w = new Parameter(Tensor.Ones(3));
        var calls = new List<string>();
        var first = w.RegisterPostAccumulateGradHook(_ => calls.Add("first"));
        w.RegisterPostAccumulateGradHook(_ => calls.Add("second"));
        (w * 2).Sum().Backward();
        first.Remove();
        first.Dispose();
        (w * 2).Sum().Backward();
        Assert.Equal(["first", "second", "second"], calls);
    }

    [Fact]
    public void EveryParameterOfACompiledOrEagerModelGetsItsHookDuringBackward()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        var ready = new List<string>();
        foreach (var (name, p) in model.NamedParameters())
            p.RegisterPostAccumulateGradHook(t => ready.Add(name + (t.Grad is null ? " without grad" : "")));
        model.Call(Tensor.Randn(5, 4)).Sum().Backward();
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], ready.Order());
    }

    [Fact]
    public void OnlyLeavesThatRequireGradTakeHooks()
    {
        var leaf = Tensor.Ones(2);
        Assert.Contains("doesn't require gradient", Assert.Throws<InvalidOperationException>(() => leaf.RegisterPostAccumulateGradHook(_ => { })).Message);
        leaf.RequiresGrad = true;
        var computed = leaf * 2;
        Assert.Contains("non-leaf", Assert.Throws<InvalidOperationException>(() => computed.RegisterPostAccumulateGradHook(_ => { })).Message);
        Assert.Throws<ArgumentNullException>(() => leaf.RegisterPostAccumulateGradHook(null!));
    }
}

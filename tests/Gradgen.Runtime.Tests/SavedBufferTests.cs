using System.Runtime.CompilerServices;
using Gradgen.Nn;
using Gradgen.Runtime.Tests.Devices;

namespace Gradgen.Runtime.Tests;

/// <summary>Tests that count finalizers run alone, after the parallel tests, so that nobody else's garbage is counted.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FinalizerCountingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Finalizer counting";
}

/// <summary>
/// A narrow compiled model keeps its saved activations in one pooled buffer. A call outside <c>Autograd.NoGrad()</c>
/// that nobody backpropagates through (evaluating the model) must still give that buffer back, or every such call
/// allocates and page-faults a fresh large array: the next rent takes it back once the node is collected.
/// </summary>
[Collection(FinalizerCountingCollection.Name)]
public class SavedBufferTests
{
    [Fact]
    public void ARecordedCallThatIsNeverBackpropagatedGivesItsBufferBackOnceCollected()
    {
        var model = new DeviceChainNet();    // 3 → 6 → 5 → 2: the narrow path
        var x = Tensor.Randn(300, 3);
        Drain();
        new SavedBuffer(1).Return();            // takes back whatever earlier tests dropped
        long before = SavedBuffer.ReclaimedReturns;
        for (int i = 0; i < 5; i++)
        {
            CallAndDrop(model, x);
        }

        Drain();
        new SavedBuffer(1).Return();            // the next rent takes back the dropped nodes' arrays
        Assert.Equal(5, SavedBuffer.ReclaimedReturns - before);
    }

    [Fact]
    public void BackwardGivesTheBufferBackAtOnce()
    {
        var model = new DeviceChainNet();
        var x = Tensor.Randn(300, 3);
        Drain();
        new SavedBuffer(1).Return();
        long before = SavedBuffer.ReclaimedReturns;
        for (int i = 0; i < 5; i++)
        {
            model.Call(x).Sum().Backward();
        }

        Drain();
        new SavedBuffer(1).Return();
        Assert.Equal(0, SavedBuffer.ReclaimedReturns - before);
    }

    [Fact]
    public void ReturningTwiceReturnsOnce()
    {
        var buffer = new SavedBuffer(1000);
        Assert.True(buffer.Array!.Length >= 1000);
        buffer.Return();
        buffer.Return();
        Assert.Null(buffer.Array);
    }

    private static void Drain()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallAndDrop(Module model, Tensor x) => Assert.Equal("DeviceChainNetBackward", model.Call(x).GradFn!.Name);
}

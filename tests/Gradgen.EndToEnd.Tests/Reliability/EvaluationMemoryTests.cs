using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests.Reliability;

/// <summary>
/// The test classes that count the storage cache's process-wide traffic (<c>StoragePool.Returns</c>): they run alone,
/// so that what they count is their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StorageCacheCollection
{
    public const string Name = "Storage cache";
}

/// <summary>
/// Evaluation under <see cref="Autograd.NoGrad"/> records no node, so the values a compiled graph keeps for its
/// backward are needed by no one once the output is computed: they go back to the storage cache at once (as the
/// node's would after its backward), and the next call reuses them instead of allocating.
/// </summary>
[Collection(StorageCacheCollection.Name)]
public sealed class EvaluationMemoryTests
{
    [Fact]
    public void UnderNoGradTheValuesKeptForTheBackwardGoBackToTheStorageCacheAtOnce()
    {
        // 784-256-10 ReLU at a batch of 128: the hidden activation the backward would read is 128 KB, a cached size.
        var model = new MnistMlp();
        var x = Tensor.Randn(128, 784);
        using (Autograd.NoGrad())
        {
            model.Call(x);
            long before = StoragePool.Returns;
            for (int call = 0; call < 10; call++)
            {
                Assert.Null(model.Call(x).GradFn);
            }

            Assert.True(StoragePool.Returns - before >= 10, $"{StoragePool.Returns - before} arrays came back over 10 calls");
        }
    }
}

using Gradgen.Data;
using Gradgen.Nn;
using Gradgen.Optim;
using Xunit.Abstractions;

namespace Gradgen.EndToEnd.Tests;

/// <summary>PyTorch's quickstart network (after its nn.Flatten): 784-512-512-10 with ReLUs, compiled by the generator.</summary>
public sealed partial class QuickstartMlp : Module
{
    private readonly Linear l1 = new(28 * 28, 512);
    private readonly Linear l2 = new(512, 512);
    private readonly Linear l3 = new(512, 10);

    public override Tensor Forward(Tensor x) => l3.Forward(l2.Forward(l1.Forward(x).Relu()).Relu());
}

/// <summary>
/// The quickstart for real: one epoch of Fashion-MNIST through the DataLoader (batch 64, shuffled), Adam at 1e-3 and
/// cross-entropy, then the test accuracy, which PyTorch's quickstart network reaches above 80% after one such epoch.
/// </summary>
public class FashionMnistTrainingTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void One_epoch_of_the_quickstart_mlp_reaches_80_percent_test_accuracy()
    {
        FashionMnist data;
        try
        {
            data = FashionMnist.Load();
        }
        catch (FileNotFoundException)
        {
            throw new SkipException("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist (or set GRADGEN_DATA)");
        }

        RandomGenerator.ManualSeed(0);
        var model = new QuickstartMlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var lossFunction = new CrossEntropyLoss();
        double firstLoss = double.NaN, lastLoss = double.NaN;
        int batches = 0;
        foreach (var (x, y) in new DataLoader(data.Train, batchSize: 64, shuffle: true, seed: 0))
        {
            optimizer.ZeroGrad();
            var loss = lossFunction.Call(model.Call(x.Flatten(1)), y);
            loss.Backward();
            optimizer.Step();
            lastLoss = loss.Item<float>();
            firstLoss = batches++ == 0 ? lastLoss : firstLoss;
        }

        Assert.Equal(938, batches);
        Assert.True(lastLoss < firstLoss, $"the loss went from {firstLoss} to {lastLoss}");

        int correct = 0;
        using (Autograd.NoGrad())
        {
            foreach (var (x, y) in new DataLoader(data.Test, batchSize: 1000))
            {
                var predicted = model.Call(x.Flatten(1)).ArgMax(1).ToArray<long>();
                var labels = y.ToArray<long>();
                correct += predicted.Where((p, i) => p == labels[i]).Count();
            }
        }

        double accuracy = correct / 10000.0;
        output.WriteLine($"loss {firstLoss:F3} -> {lastLoss:F3}, test accuracy {accuracy:P2}");
        Assert.True(accuracy >= 0.80, $"test accuracy after one epoch: {accuracy:P1}");
    }
}

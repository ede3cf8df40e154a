using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Tests.Nn;

/// <summary>End-to-end training of the seed's MLP (section 12.4.3) with the loop the tutorial announces.</summary>
public class TrainingTests
{
    static (Tensor X, Tensor Y) Data(int n)
    {
        // The seed's X = 10·rand(N, 2) − 5, with a smooth target of both inputs.
        var x = 10 * Tensor.Rand(n, 2) - 5;
        var y = Tensor.Sigmoid(x.Select(1, 0) - 0.5 * x.Select(1, 1)).Unsqueeze(1);
        return (x, y);
    }

    static List<float> Train(Module model, Tensor x, Tensor y, int epochs, double lr, double momentum)
    {
        var loss = new MSELoss();
        var opt = new Sgd(model.Parameters(), lr, momentum);
        var history = new List<float>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            opt.ZeroGrad();
            var l = loss.Call(model.Call(x), y);
            l.Backward();
            opt.Step();
            history.Add(l.Item<float>());
        }
        return history;
    }

    [Fact]
    public void Seed_mlp_learns_and_its_sequential_twin_follows_the_same_path()
    {
        RandomGenerator.ManualSeed(42);
        var (x, y) = Data(1000);
        var model = new MultiLayerPerceptron(inputDim: 2, hiddenDim: 2, outputDim: 1);
        var twin = new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
        // Same weights: the state dicts differ only in names.
        var sd = model.StateDict();
        twin.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["0.weight"] = sd["hidden.weight"],
            ["0.bias"] = sd["hidden.bias"],
            ["2.weight"] = sd["output.weight"],
            ["2.bias"] = sd["output.bias"],
        });

        var h1 = Train(model, x, y, 300, lr: 0.5, momentum: 0.9);
        var h2 = Train(twin, x, y, 300, lr: 0.5, momentum: 0.9);
        Assert.True(h1[^1] < 0.25f * h1[0], $"loss went from {h1[0]} to {h1[^1]}");
        Assert.True(h1[^1] < 0.02f, $"final loss {h1[^1]}");
        for (int i = 0; i < h1.Count; i++) Assert.Equal(h1[i], h2[i]);
    }

    [Fact]
    public void Classifier_with_cross_entropy_learns_separable_classes()
    {
        RandomGenerator.ManualSeed(1);
        var x = Tensor.Randn(256, 4);
        var labels = (x.Select(1, 0) + x.Select(1, 1) > 0).To(DType.Int64) + (x.Select(1, 2) > 1).To(DType.Int64);
        var model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
        var loss = new CrossEntropyLoss();
        var opt = new Sgd(model.Parameters(), lr: 0.2, momentum: 0.9);
        float first = 0, last = 0;
        for (int i = 0; i < 150; i++)
        {
            opt.ZeroGrad();
            var l = loss.Call(model.Call(x), labels);
            l.Backward();
            opt.Step();
            if (i == 0) first = l.Item<float>();
            last = l.Item<float>();
        }
        Assert.True(last < 0.3f * first, $"loss went from {first} to {last}");
        var predicted = model.Call(x).ArgMax(1);
        double accuracy = predicted.Eq(labels).To(DType.Float32).Mean().Item<float>();
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }
}

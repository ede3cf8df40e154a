using System.Diagnostics;
using Gradgen.Data;
using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.FashionMnist;

/// <summary>PyTorch's quickstart loop: train an epoch, test, repeat; then the plot and the weights.</summary>
internal sealed class Trainer(TrainingOptions options, Data.FashionMnist data, Device device, ITrainingDisplay display)
{
    private readonly CrossEntropyLoss lossFunction = new();

    /// <summary>Trains <see cref="TrainingOptions.Epochs"/> epochs; returns the path of the saved weights.</summary>
    public string Train()
    {
        RandomGenerator.ManualSeed(options.Seed);
        var model = CreateModel();
        model.To(device);
        var optimizer = MakeOptimizer(model.Parameters());
        var loader = new DataLoader(data.Train, options.BatchSize, shuffle: true, seed: options.Seed);
        display.Line($"Fashion-MNIST from {data.Directory}: {data.Train.Count} training and {data.Test.Count} test images; " +
            $"{Describe()} on {device}, {options.Optimizer} lr {options.Lr}, batch {options.BatchSize}, {options.Epochs} epochs.");

        List<double> trainLosses = [], testLosses = [], accuracies = [];
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            double lossSum = 0;
            int seen = 0;
            model.Train();
            display.Epoch(epoch, options.Epochs, loader.Count, options.BatchSize, report =>
            {
                int done = 0;
                foreach (var (images, labels) in loader)
                {
                    var (x, y) = OnDevice(images, labels);
                    optimizer.ZeroGrad();
                    var loss = lossFunction.Call(model.Call(x), y);
                    loss.Backward();
                    optimizer.Step();
                    double value = loss.Item<float>();
                    lossSum += value * labels.Shape[0];
                    seen += labels.Shape[0];
                    report(++done, value);
                }
            });
            double trainSeconds = watch.Elapsed.TotalSeconds;
            var (testLoss, accuracy) = Evaluate(model);
            trainLosses.Add(lossSum / seen);
            testLosses.Add(testLoss);
            accuracies.Add(accuracy);
            display.Line(FormattableString.Invariant(
                $"epoch {epoch}/{options.Epochs}: training loss {lossSum / seen:F4}, test loss {testLoss:F4}, test accuracy {accuracy:P2} ({trainSeconds:F1} s training, {seen / trainSeconds:F0} img/s)"));
        }

        Directory.CreateDirectory(options.OutputDirectory);
        string plot = Path.Combine(options.OutputDirectory, "training.png");
        MetricsPlot.Save(plot, Describe(), trainLosses, testLosses, accuracies);
        string weights = Path.Combine(options.OutputDirectory, options.Model switch
        {
            "cnn" => "small-cnn.safetensors",
            "cnn-bn" => "small-cnn-bn.safetensors",
            _ => "quickstart-mlp.safetensors",
        });
        model.Save(weights);
        display.Line($"Wrote {plot} and {weights} (evaluate it with --evaluate {weights}).");
        return weights;
    }

    /// <summary>The test loss and accuracy of the weights in <paramref name="path"/>.</summary>
    public (double Loss, double Accuracy) EvaluateFile(string path)
    {
        var model = CreateModel();
        model.Load(path);
        model.To(device);
        return Evaluate(model);
    }

    /// <summary>Mean cross-entropy and accuracy on the test set, without autograd, in eval mode.</summary>
    private (double Loss, double Accuracy) Evaluate(Module model)
    {
        model.Eval();
        double lossSum = 0;
        int correct = 0;
        using (Autograd.NoGrad())
        {
            foreach (var (images, labels) in new DataLoader(data.Test, batchSize: 1000))
            {
                var (x, y) = OnDevice(images, labels);
                var logits = model.Call(x);
                lossSum += lossFunction.Call(logits, y).Item<float>() * labels.Shape[0];
                var predicted = logits.ArgMax(1).To(Device.Cpu).ToArray<long>();
                var expected = labels.ToArray<long>();
                for (int i = 0; i < expected.Length; i++)
                {
                    correct += predicted[i] == expected[i] ? 1 : 0;
                }
            }
        }

        return (lossSum / data.Test.Count, correct / (double)data.Test.Count);
    }

    private Module CreateModel() => options.Model switch
    {
        "cnn" => SmallCnn.Create(),
        "cnn-bn" => SmallCnnBatchNorm.Create(),
        _ => new QuickstartMlp(),
    };

    private string Describe() => options.Model switch
    {
        "cnn" => "small CNN (2 conv+pool blocks, 2 linear layers)",
        "cnn-bn" => "small CNN with batch norm (2 conv+BN+ReLU+pool blocks, 2 linear layers)",
        _ => "quickstart MLP 784-512-512-10",
    };

    /// <summary>Flattens the images for the MLP (PyTorch's nn.Flatten, a view) and moves the batch to the device.</summary>
    private (Tensor X, Tensor Y) OnDevice(Tensor images, Tensor labels)
    {
        var x = options.IsCnn ? images : images.Flatten(1);
        return device.Type == DeviceType.Cpu ? (x, labels) : (x.To(device), labels.To(device));
    }

    private Optimizer MakeOptimizer(IEnumerable<Tensor> parameters) => options.Optimizer switch
    {
        "adam" => new Adam(parameters, lr: options.Lr),
        "adamw" => new AdamW(parameters, lr: options.Lr),
        "sgd" => new Sgd(parameters, lr: options.Lr, momentum: 0.9),
        "rmsprop" => new RMSprop(parameters, lr: options.Lr),
        _ => new Adagrad(parameters, lr: options.Lr),
    };
}

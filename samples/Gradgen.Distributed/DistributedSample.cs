using System.Diagnostics;
using System.Globalization;
using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Distributed.Sample;

/// <summary>
/// The sample: <see cref="Distributed.Init"/>, then each model wrapped in <see cref="DistributedDataParallel"/> and fed
/// this rank's shard from a <see cref="DistributedSampler"/>. Every rank computes; rank 0 prints, with each rank's own
/// figures gathered by an allreduce.
/// </summary>
public static class DistributedSample
{
    /// <summary>The seed of every random number the sample draws: the same data on every rank.</summary>
    public const int Seed = 42;

    public static void Run(SampleOptions options, TextWriter output)
    {
        Distributed.Init();
        int rank = Distributed.Rank, size = Distributed.WorldSize;
        var say = rank == 0 ? output : TextWriter.Null;
        say.WriteLine($"world: {size} rank(s), backend {Distributed.Backend}");
        TrainPerceptron(options, say);
        say.WriteLine();
        TrainMnist(options, say);
    }

    /// <summary>The seed's full-batch training of the 2-2-1 perceptron, the 10,000 rows split between the ranks.</summary>
    static void TrainPerceptron(SampleOptions options, TextWriter say)
    {
        int rank = Distributed.Rank, size = Distributed.WorldSize;
        say.WriteLine("== MultiLayerPerceptron(2, 2, 1), compiled, data-parallel ==");
        RandomGenerator.ManualSeed(Seed);
        var x = 10 * Tensor.Rand(10000, 2) - 5;
        var target = (Tensor.Sigmoid(x.Select(1, 0)) - Tensor.Sigmoid(x.Select(1, 1))).Unsqueeze(1);
        // Equal shards (dropLast): the mean of the ranks' losses is then the loss of the whole batch.
        var shard = Rows(new DistributedSampler(10000, shuffle: false, dropLast: true).Indices());
        var xs = x.IndexSelect(0, shard);
        var ts = target.IndexSelect(0, shard);

        var ddp = new DistributedDataParallel(new MultiLayerPerceptron(2, 2, 1));
        var optimizer = new Sgd(ddp.Parameters(), lr: 0.5);
        var lossFn = new MSELoss();
        say.WriteLine($"X: [10000, 2] uniform in [-5, 5); {xs.Shape[0]} rows per rank; MSE, SGD lr 0.5, full batch, {options.Epochs} epochs");
        say.WriteLine("epoch   global loss   loss per rank");
        var times = new List<double>();
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            long t0 = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            var loss = lossFn.Forward(ddp.Call(xs), ts);
            loss.Backward();
            optimizer.Step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            var losses = Gather(loss.Item<float>());
            if (epoch == 1 || epoch % Math.Max(1, options.Epochs / 10) == 0 || epoch == options.Epochs)
                say.WriteLine(Invariant($"{epoch,5}   {losses.Average(),11:F6}   {string.Join("  ", losses.Select(l => l.ToString("F6", CultureInfo.InvariantCulture)))}"));
        }
        var medians = Gather(Median(times));
        say.WriteLine(Invariant($"training step (zero_grad, forward, loss, backward with allreduce, step), median µs per rank: {string.Join(", ", medians.Select(m => m.ToString("F1", CultureInfo.InvariantCulture)))}"));
        say.WriteLine($"parameters identical on every rank: {Identical(ddp)}");
    }

    /// <summary>784-256-10 on synthetic MNIST-sized data (as samples/Gradgen.Mlp), each rank on its shard of every epoch.</summary>
    static void TrainMnist(SampleOptions options, TextWriter say)
    {
        const int features = 784, classes = 10;
        int rank = Distributed.Rank, size = Distributed.WorldSize;
        int batch = options.BatchPerRank;
        say.WriteLine("== MnistMlp 784-256-10 with ReLU, compiled, data-parallel ==");
        RandomGenerator.ManualSeed(Seed);
        var centres = 0.12 * Tensor.Randn(classes, features);
        var (trainX, trainY) = Synthetic(centres, options.MnistTrainSize);
        var (testX, testY) = Synthetic(centres, options.MnistTestSize);

        var ddp = new DistributedDataParallel(new MnistMlp());
        var optimizer = new Sgd(ddp.Parameters(), lr: 0.005 * size, momentum: 0.9);
        var lossFn = new CrossEntropyLoss();
        var sampler = new DistributedSampler(options.MnistTrainSize, seed: Seed);
        int steps = sampler.Count / batch;
        say.WriteLine(Invariant($"{options.MnistTrainSize} training samples, {sampler.Count} per rank per epoch; batch {batch} per rank = {batch * size} global; SGD lr {0.005 * size} (0.005 per 64·rank) momentum 0.9"));
        say.WriteLine("epoch   train loss   test accuracy   ms/step per rank          samples/s per rank → global");
        for (int epoch = 1; epoch <= options.MnistEpochs; epoch++)
        {
            sampler.SetEpoch(epoch);
            int[] indices = sampler.Indices();
            double lossSum = 0, seconds = 0;
            for (int s = 0; s < steps; s++)
            {
                var rows = Rows(indices.AsSpan(s * batch, batch).ToArray());
                var xb = trainX.IndexSelect(0, rows);
                var yb = trainY.IndexSelect(0, rows);
                long t0 = Stopwatch.GetTimestamp();
                optimizer.ZeroGrad();
                var loss = lossFn.Forward(ddp.Call(xb), yb);
                loss.Backward();
                optimizer.Step();
                seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                lossSum += loss.Item<float>();
            }
            var msPerStep = Gather(1000 * seconds / steps);
            var throughput = Gather(steps * batch / seconds);
            double trainLoss = Gather(lossSum / steps).Average();
            double accuracy = Accuracy(ddp.Module, testX, testY);
            say.WriteLine(Invariant(
                $"{epoch,5}   {trainLoss,10:F4}   {accuracy,13:P1}   {string.Join(" ", msPerStep.Select(m => m.ToString("F3", CultureInfo.InvariantCulture))),-24}  {string.Join(" + ", throughput.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} = {throughput.Sum():F0}"));
        }
        say.WriteLine($"parameters identical on every rank: {Identical(ddp)}");
    }

    /// <summary>Each rank's <paramref name="value"/>, in rank order, on every rank (an allgather by allreduce).</summary>
    static double[] Gather(double value)
    {
        var slots = new double[Distributed.WorldSize];
        slots[Distributed.Rank] = value;
        var t = Tensor.FromArray(slots);
        Distributed.AllReduce(t);
        return t.ToArray<double>();
    }

    /// <summary>The test accuracy, each rank scoring every WorldSize-th sample and the counts summed.</summary>
    static double Accuracy(Module model, Tensor x, Tensor y)
    {
        int n = x.Shape[0];
        var mine = Enumerable.Range(0, n).Where(i => i % Distributed.WorldSize == Distributed.Rank).ToArray();
        var rows = Rows(mine);
        using var _ = Autograd.NoGrad();
        var predicted = model.Call(x.IndexSelect(0, rows)).ArgMax(1).ToArray<long>();
        var labels = y.IndexSelect(0, rows).ToArray<long>();
        int correct = 0;
        for (int i = 0; i < labels.Length; i++) if (predicted[i] == labels[i]) correct++;
        var total = Tensor.FromArray(new[] { correct });
        Distributed.AllReduce(total);
        return (double)total.ToArray<int>()[0] / n;
    }

    /// <summary>Whether every rank holds rank 0's parameters bit for bit.</summary>
    static bool Identical(DistributedDataParallel ddp)
    {
        int different = 0;
        foreach (var p in ddp.Parameters())
        {
            var mine = p.Detach().Clone();
            var rank0 = p.Detach().Clone();
            Distributed.Broadcast(rank0, 0);
            if (!mine.ToArray<float>().AsSpan().SequenceEqual(rank0.ToArray<float>())) different = 1;
        }
        var any = Tensor.FromArray(new[] { different });
        Distributed.AllReduce(any, ReduceOp.Max);
        return any.ToArray<int>()[0] == 0;
    }

    /// <summary><paramref name="count"/> samples, labels 0..9 in turn, each its class centre plus N(0, 1) noise (samples/Gradgen.Mlp's data).</summary>
    static (Tensor X, Tensor Y) Synthetic(Tensor centres, int count)
    {
        var labels = new long[count];
        for (int i = 0; i < count; i++) labels[i] = i % centres.Shape[0];
        new Random(Seed + count).Shuffle(labels);
        var y = Tensor.FromArray(labels);
        return (centres.IndexSelect(0, y) + Tensor.Randn(count, centres.Shape[1]), y);
    }

    static Tensor Rows(int[] indices) => Tensor.FromArray(indices.Select(i => (long)i).ToArray());

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using Gradgen;
using Gradgen.Distributed;
using Gradgen.Distributed.Worker;
using Gradgen.Nn;
using Gradgen.Optim;

// One scenario per run, named by the first argument; every rank prints "KEY rank=R ..." lines that the tests read.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Each line in one write: Console's own writer flushes every 256 characters, and Hydra forwards what each rank writes
// as it comes, so two ranks' long lines could interleave mid-line (seen: one SURVIVOR line inside another).
// A pipe takes a write of up to 4 KiB whole.
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), bufferSize: 4096) { AutoFlush = true });
string scenario = args.Length > 0 ? args[0] : "";
switch (scenario)
{
    case "info": return Scenarios.Info();
    case "collectives": return Scenarios.Collectives();
    case "equivalence": return Scenarios.Equivalence(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args.Length > 3 ? args[3] : "sgd");
    case "nosync": return Scenarios.NoSyncAccumulation(int.Parse(args[1], CultureInfo.InvariantCulture));
    case "mismatch": return Scenarios.Mismatch();
    case "buffers": return Scenarios.Buffers(int.Parse(args[1], CultureInfo.InvariantCulture), bool.Parse(args[2]));
    case "fault": return Scenarios.Fault(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; expected info, collectives, equivalence, nosync, mismatch, buffers or fault");
        return 64;
}

namespace Gradgen.Distributed.Worker
{
    internal static class Scenarios
    {
        const int RowsPerRank = 4;

        public static int Info()
        {
            Distributed.Init();
            Console.WriteLine($"INFO rank={Distributed.Rank} size={Distributed.WorldSize} backend={Distributed.Backend}");
            return 0;
        }

        /// <summary>Sum, min and max over ranks of Float32, Float64 and Int32 tensors, a broadcast from the last rank, a barrier.</summary>
        public static int Collectives()
        {
            Distributed.Init();
            int r = Distributed.Rank, n = Distributed.WorldSize;
            var failures = new List<string>();
            var f = Tensor.FromArray(new float[] { r + 1, 2 * r, -r }).Reshape(3, 1);
            Distributed.AllReduce(f);
            Expect(failures, "float sum", f.ToArray<float>(), [n * (n + 1) / 2, n * (n - 1), -n * (n - 1) / 2]);
            var d = Tensor.FromArray(new double[] { r + 0.5, -r });
            Distributed.AllReduce(d, ReduceOp.Max);
            Expect(failures, "double max", d.ToArray<double>(), [n - 0.5, 0]);
            var i = Tensor.FromArray(new int[] { r, 10 - r });
            Distributed.AllReduce(i, ReduceOp.Min);
            Expect(failures, "int min", i.ToArray<int>(), [0, 10 - (n - 1)]);
            var b = Tensor.FromArray(new double[] { r, r * r });
            Distributed.Broadcast(b, source: n - 1);
            Expect(failures, "broadcast", b.ToArray<double>(), [n - 1, (n - 1) * (n - 1)]);
            Distributed.Barrier();
            Console.WriteLine(failures.Count == 0 ? $"COLLECTIVES rank={r} ok" : $"COLLECTIVES rank={r} FAILED {string.Join("; ", failures)}");
            return failures.Count == 0 ? 0 : 1;
        }

        static void Expect<T>(List<string> failures, string what, T[] actual, T[] expected) where T : IEquatable<T>
        {
            if (!actual.AsSpan().SequenceEqual(expected)) failures.Add($"{what}: [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
        }

        /// <summary>
        /// N ranks with RowsPerRank rows each and averaged gradients against one process with all N·RowsPerRank rows:
        /// SGD with momentum (or Adam when <paramref name="optimizerName"/> is "adam"), <paramref name="steps"/> steps; prints the largest relative difference of any parameter.
        /// </summary>
        public static int Equivalence(string modelName, int steps, string optimizerName)
        {
            Distributed.Init();
            int r = Distributed.Rank, n = Distributed.WorldSize;
            // Each rank starts from its own random weights: the broadcast at construction must make them rank 0's.
            RandomGenerator.ManualSeed(1000 + r);
            var (model, reference, dtype, features) = Create(modelName);
            // A small bucket size splits the model's gradients into several buckets.
            var ddp = new DistributedDataParallel(model, bucketCapBytes: modelName == "mnist" ? 64 * 1024 : 512);
            reference.LoadStateDict(Clone(model.StateDict()));
            Optimizer optimizer = optimizerName == "adam" ? new Adam(ddp.Parameters(), lr: 0.01) : new Sgd(ddp.Parameters(), lr: 0.05, momentum: 0.9);
            Optimizer referenceOptimizer = optimizerName == "adam" ? new Adam(reference.Parameters(), lr: 0.01) : new Sgd(reference.Parameters(), lr: 0.05, momentum: 0.9);
            string node = "";
            for (int step = 0; step < steps; step++)
            {
                var (x, t) = Batch(step, n * RowsPerRank, features, dtype);
                var xLocal = x.Narrow(0, r * RowsPerRank, RowsPerRank).Contiguous();
                var tLocal = t.Narrow(0, r * RowsPerRank, RowsPerRank).Contiguous();
                optimizer.ZeroGrad();
                var y = ddp.Call(xLocal);
                node = y.GradFn!.Name;
                Functional.MseLoss(y, tLocal).Backward();
                optimizer.Step();

                referenceOptimizer.ZeroGrad();
                Functional.MseLoss(reference.Call(x), t).Backward();
                referenceOptimizer.Step();
            }
            double worst = WorstRelativeDifference(model, reference);
            Console.WriteLine($"EQUIVALENCE rank={r} size={n} model={modelName} optimizer={optimizerName} steps={steps} buckets={ddp.BucketCount} node={node} maxrel={worst:E3} identical={ReplicasIdentical(model)}");
            return 0;
        }

        /// <summary>Two micro-batches per step, the first backward inside NoSync, against one process with the whole batch.</summary>
        public static int NoSyncAccumulation(int steps)
        {
            Distributed.Init();
            int r = Distributed.Rank, n = Distributed.WorldSize;
            RandomGenerator.ManualSeed(2000 + r);
            var model = new ResidualNet(DType.Float64);
            var ddp = new DistributedDataParallel(model, bucketCapBytes: 512);
            var reference = new ResidualNet(DType.Float64);
            reference.LoadStateDict(Clone(model.StateDict()));
            var optimizer = new Sgd(ddp.Parameters(), lr: 0.05);
            var referenceOptimizer = new Sgd(reference.Parameters(), lr: 0.05);
            bool localWhileNoSync = true;
            for (int step = 0; step < steps; step++)
            {
                // Global rows: [micro-batch 0 of every rank | micro-batch 1 of every rank].
                var (x, t) = Batch(step, 2 * n * RowsPerRank, 8, DType.Float64);
                optimizer.ZeroGrad();
                using (ddp.NoSync())
                {
                    Functional.MseLoss(ddp.Call(Rows(x, r)), Rows(t, r)).Backward();
                }
                // Inside NoSync the gradient stays this rank's own: it differs between ranks.
                localWhileNoSync &= !ReplicasIdentical(model.Parameters().Select(p => p.Grad!).ToList());
                Functional.MseLoss(ddp.Call(Rows(x, n + r)), Rows(t, n + r)).Backward();
                optimizer.Step();

                referenceOptimizer.ZeroGrad();
                // The accumulated gradient is the sum of two micro-batch means: twice the mean over all rows.
                (Functional.MseLoss(reference.Call(x), t) * 2.0).Backward();
                referenceOptimizer.Step();
            }
            Console.WriteLine($"NOSYNC rank={r} size={n} steps={steps} maxrel={WorstRelativeDifference(model, reference):E3} local-while-nosync={localWhileNoSync} identical={ReplicasIdentical(model)}");
            return 0;
        }

        /// <summary>
        /// BatchNorm1d's running statistics under data-parallel training: each rank starts with buffers of its own,
        /// which construction replaces with rank 0's; each training forward then starts from rank 0's buffers (with
        /// <paramref name="broadcast"/>) or this rank's own, and updates them from this rank's rows. The expected
        /// values come from plain BatchNorm1d modules run on the same rows in one process.
        /// </summary>
        public static int Buffers(int steps, bool broadcast)
        {
            Distributed.Init();
            int r = Distributed.Rank, n = Distributed.WorldSize;
            RandomGenerator.ManualSeed(3000 + r);
            const int Features = 3;
            var norm = new BatchNorm1d(Features, momentum: 0.25, dtype: DType.Float64);
            var model = new Sequential(norm, new Linear(Features, 4, dtype: DType.Float64));
            norm.RunningMean!.Fill(r + 1);
            norm.NumBatchesTracked!.Fill(10 * r);
            var ddp = new DistributedDataParallel(model, broadcastBuffers: broadcast);
            bool constructionCopied = norm.RunningMean.ToArray<double>().All(v => v == 1) && norm.NumBatchesTracked.Item<long>() == 0;

            // The buffers rank 0 and this rank would hold, replayed with modules of their own.
            var rank0 = new BatchNorm1d(Features, momentum: 0.25, dtype: DType.Float64);
            rank0.RunningMean!.Fill(1);
            var own = new BatchNorm1d(Features, momentum: 0.25, dtype: DType.Float64);
            own.RunningMean!.Fill(1);
            var optimizer = new Sgd(ddp.Parameters(), lr: 0.05);
            double worst = 0;
            for (int step = 0; step < steps; step++)
            {
                var (x, t) = Batch(step, n * RowsPerRank, Features, DType.Float64);
                // Expected: this rank's rows applied to rank 0's buffers (broadcast) or to this rank's own.
                if (broadcast) own.LoadStateDict(Clone(rank0.StateDict()));
                using (Autograd.NoGrad())
                {
                    own.Call(Rows(x, r));
                    rank0.Call(Rows(x, 0));
                }

                optimizer.ZeroGrad();
                Functional.MseLoss(ddp.Call(Rows(x, r)), Rows(t, r)).Backward();
                optimizer.Step();
                worst = Math.Max(worst, (norm.RunningMean - own.RunningMean!).Abs().Max().Item<double>());
                worst = Math.Max(worst, (norm.RunningVar! - own.RunningVar!).Abs().Max().Item<double>());
                if (norm.NumBatchesTracked.Item<long>() != own.NumBatchesTracked!.Item<long>()) worst = double.PositiveInfinity;
            }
            Console.WriteLine($"BUFFERS rank={r} size={n} broadcast={broadcast} copied-at-construction={constructionCopied} maxabs={worst:E3}");
            return 0;
        }

        static Tensor Rows(Tensor t, int block) => t.Narrow(0, block * RowsPerRank, RowsPerRank).Contiguous();

        /// <summary>Rank 1 builds a wider hidden layer than the others.</summary>
        public static int Mismatch()
        {
            Distributed.Init();
            int r = Distributed.Rank;
            var model = new ResidualNet(DType.Float32, hidden: r == 1 ? 12 : 16);
            try
            {
                _ = new DistributedDataParallel(model);
                Console.WriteLine($"MISMATCH rank={r} not detected");
                return 1;
            }
            catch (ArgumentException e)
            {
                Console.WriteLine($"MISMATCH rank={r} {e.Message}");
                return 0;
            }
        }

        /// <summary>
        /// Training where rank <paramref name="failingRank"/> throws (<paramref name="how"/> = throw) or exits
        /// (exit) after the forward of step <paramref name="failingStep"/>. A surviving rank that gets an error
        /// prints it, checks that its gradients are still its own (not partly averaged), and that the wrapper refuses
        /// further use.
        /// </summary>
        public static int Fault(string how, int failingRank, int failingStep)
        {
            Distributed.Init();
            int r = Distributed.Rank, n = Distributed.WorldSize;
            var model = new ResidualNet(DType.Float64, hidden: 64);
            var ddp = new DistributedDataParallel(model, bucketCapBytes: 2048);
            var shadow = new ResidualNet(DType.Float64, hidden: 64);
            var optimizer = new Sgd(ddp.Parameters(), lr: 0.05);
            for (int step = 0; step < 1000; step++)
            {
                var (x, t) = Batch(step, n * RowsPerRank, 8, DType.Float64);
                var xLocal = Rows(x, r);
                var tLocal = Rows(t, r);
                optimizer.ZeroGrad();
                var y = ddp.Call(xLocal);
                if (r == failingRank && step == failingStep)
                {
                    Console.WriteLine($"FAULT rank={r} failing at step {step} by {how}");
                    Console.Out.Flush();
                    if (how == "exit") Environment.Exit(3);
                    throw new InvalidOperationException($"rank {r} fails on purpose at step {step}");
                }
                // This rank's own gradients for the step, computed apart, to compare with after a failure.
                shadow.LoadStateDict(Clone(model.StateDict()));
                shadow.ZeroGrad();
                Functional.MseLoss(shadow.Call(xLocal), tLocal).Backward();
                try
                {
                    Functional.MseLoss(y, tLocal).Backward();
                }
                catch (DistributedException e)
                {
                    Console.WriteLine($"SURVIVOR rank={r} step={step} caught {e.GetType().Name}: {e.Message}");
                    double diff = WorstRelativeDifference(model.Parameters().Select(p => p.Grad!).ToList(), shadow.Parameters().Select(p => p.Grad!).ToList());
                    Console.WriteLine($"SURVIVOR rank={r} grads-own={diff == 0}");
                    try
                    {
                        ddp.Call(xLocal);
                        Console.WriteLine($"SURVIVOR rank={r} reuse-rejected=False");
                    }
                    catch (DistributedException again)
                    {
                        Console.WriteLine($"SURVIVOR rank={r} reuse-rejected=True ({again.Message})");
                    }
                    return 2;
                }
                optimizer.Step();
            }
            Console.WriteLine($"FAULT rank={r} finished all steps");
            return 0;
        }

        static (Module Model, Module Reference, DType DType, int Features) Create(string name) => name switch
        {
            "compiled" => (new ResidualNet(DType.Float64), new ResidualNet(DType.Float64), DType.Float64, 8),
            "eager" => (new EagerResidualNet(DType.Float64), new EagerResidualNet(DType.Float64), DType.Float64, 8),
            "mnist" => (new MnistMlp(), new MnistMlp(), DType.Float32, 784),
            _ => throw new ArgumentException($"unknown model '{name}'; expected compiled, eager or mnist"),
        };

        /// <summary>The global batch of <paramref name="step"/>, the same on every rank.</summary>
        static (Tensor X, Tensor T) Batch(int step, int rows, int features, DType dtype)
        {
            var random = new Random(step + 1);
            var x = new double[rows * features];
            var t = new double[rows * (features == 784 ? 10 : 4)];
            for (int i = 0; i < x.Length; i++) x[i] = random.NextDouble() * 2 - 1;
            for (int i = 0; i < t.Length; i++) t[i] = random.NextDouble() * 2 - 1;
            return (Tensor.FromArray(x).Reshape(rows, features).To(dtype), Tensor.FromArray(t).Reshape(rows, t.Length / rows).To(dtype));
        }

        static Dictionary<string, Tensor> Clone(Dictionary<string, Tensor> state) => state.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        static double WorstRelativeDifference(Module a, Module b) =>
            WorstRelativeDifference(a.Parameters().Cast<Tensor>().ToList(), b.Parameters().Cast<Tensor>().ToList());

        /// <summary>max over tensors of ‖a − b‖∞ / ‖b‖∞.</summary>
        static double WorstRelativeDifference(List<Tensor> a, List<Tensor> b)
        {
            double worst = 0;
            for (int k = 0; k < a.Count; k++)
            {
                var x = a[k].ToArray<double>();
                var y = b[k].ToArray<double>();
                double diff = 0, scale = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    diff = Math.Max(diff, Math.Abs(x[i] - y[i]));
                    scale = Math.Max(scale, Math.Abs(y[i]));
                }
                worst = Math.Max(worst, scale == 0 ? diff : diff / scale);
            }
            return worst;
        }

        static bool ReplicasIdentical(Module model) => ReplicasIdentical(model.Parameters().Cast<Tensor>().ToList());

        /// <summary>Whether every rank holds exactly rank 0's values of <paramref name="tensors"/>.</summary>
        static bool ReplicasIdentical(List<Tensor> tensors)
        {
            int different = 0;
            foreach (var t in tensors)
            {
                var mine = t.Detach().Clone();
                var rank0 = t.Detach().Clone();
                Distributed.Broadcast(rank0, 0);
                if (!mine.To(DType.Float64).ToArray<double>().AsSpan().SequenceEqual(rank0.To(DType.Float64).ToArray<double>())) different = 1;
            }
            var anyDifferent = Tensor.FromArray(new[] { different });
            Distributed.AllReduce(anyDifferent, ReduceOp.Max);
            return anyDifferent.ToArray<int>()[0] == 0;
        }
    }
}

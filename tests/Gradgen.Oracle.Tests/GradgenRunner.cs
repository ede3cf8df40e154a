using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// Runs a program's steps in Gradgen one at a time, keeping each step's result (a tensor or an optimizer), and
/// observes what each step did. oracle.py's <c>apply</c> is the same table written against PyTorch.
/// </summary>
internal sealed class GradgenRunner
{
    public readonly List<object?> Vars = [];
    public readonly List<Observation> Observations = [];

    /// <summary>The leaves that require grad, in the order they were made (their state is observed after backward and optimizer steps).</summary>
    public readonly List<int> Leaves = [];

    public static List<Observation> Run(IReadOnlyList<Step> steps)
    {
        var r = new GradgenRunner();
        foreach (var s in steps) r.Execute(s);
        // The same program in float64: its leaves measure Gradgen's own float32 error (Comparer's chained tolerance).
        var wide = new GradgenRunner();
        try
        {
            foreach (var s in steps) wide.Execute(Promote(s));
            // Only where the widened program took the same path (refused the same steps): else no estimate.
            bool samePath = Enumerable.Range(0, steps.Count).All(k => (r.Observations[k].Error is null) == (wide.Observations[k].Error is null));
            bool float32 = wide.Observations.Any(o => o.Value?.DType == "float32");
            for (int k = 0; k < steps.Count && samePath; k++)
            {
                r.Observations[k].Leaves64 = wide.Observations[k].Leaves;
                r.Observations[k].WideHasFloat32 = float32;
            }
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or ArgumentException)
        {
            // The widened program can take another path (an optimizer over other parameters): then no estimate.
        }
        return r.Observations;
    }

    static Step Promote(Step s) =>
        s.Op is "input" or "zeros" or "ones" or "full" or "linspace" or "to" && s.S == "float32" ? s with { S = "float64" } : s;

    public Tensor? TensorAt(int i) => i < Vars.Count ? Vars[i] as Tensor : null;

    public Observation Execute(Step s)
    {
        if (Environment.GetEnvironmentVariable("GRADGEN_ORACLE_TRACE") is { Length: > 0 } trace)
            File.AppendAllText(trace, "run " + s.Describe(Vars.Count) + "\n");
        var obs = new Observation();
        object? result = null;
        if (s.Args.Any(a => a >= Vars.Count || Vars[a] is null))
        {
            obs.Skipped = true;
        }
        else
        {
            obs.Inputs = s.Args.Select(a => Vars[a] is Tensor t ? TensorValue.Of(t) : null).ToList();
            try
            {
                if (s.NoGrad)
                {
                    using (Autograd.NoGrad()) result = Apply(s);
                }
                else
                {
                    result = Apply(s);
                }

                if (result is Tensor t)
                {
                    obs.Value = TensorValue.Of(t);
                    obs.RequiresGrad = t.RequiresGrad;
                    obs.IsLeaf = t.IsLeaf;
                    obs.GradFn = t.GradFn?.Name;
                    if (t.IsLeaf && t.RequiresGrad && !Leaves.Contains(Vars.Count)) Leaves.Add(Vars.Count);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = null;
                obs.Error = $"{e.GetType().Name}: {e.Message}";
                obs.Crash = e is NullReferenceException or IndexOutOfRangeException or InvalidCastException or AccessViolationException
                    or DivideByZeroException or NotImplementedException || (e is ArgumentOutOfRangeException ae && ae.ParamName is "index" or "start" or "length" && e.Message.Contains("Specified argument", StringComparison.Ordinal));
            }
        }

        Vars.Add(result);
        if (s.Op is "backward" or "opt_step" or "zero_grad" or "opt_zero" or "add_" or "mul_s_" or "fill_")
        {
            obs.Leaves = [];
            foreach (int l in Leaves)
            {
                if (Vars[l] is not Tensor p) continue;
                obs.Leaves.Add(new LeafState(l, TensorValue.Of(p), p.Grad is { } g ? TensorValue.Of(g) : null));
            }
        }

        Observations.Add(obs);
        return obs;
    }

    Tensor T(Step s, int k) => (Tensor)Vars[s.Args[k]]!;

    object? Apply(Step s)
    {
        var a = s.Args.Length > 0 ? Vars[s.Args[0]] as Tensor : null;
        Tensor A() => a!;
        Tensor B() => T(s, 1);
        Reduction Red() => s.S switch { "sum" => Reduction.Sum, "none" => Reduction.None, _ => Reduction.Mean };
        switch (s.Op)
        {
            case "input": return Input(s);
            case "zeros": return Tensor.Zeros(s.I, Values.Parse(s.S), requiresGrad: s.P[0] != 0);
            case "ones": return Tensor.Ones(s.I, Values.Parse(s.S), requiresGrad: s.P[0] != 0);
            case "full": return Tensor.Full(s.I, s.P[1], Values.Parse(s.S), requiresGrad: s.P[0] != 0);
            case "arange": return Tensor.Arange(s.I[0], s.I[1], s.I[2], Values.Parse(s.S));
            case "linspace": return Tensor.Linspace(s.P[0], s.P[1], s.I[0], Values.Parse(s.S));
            case "zeros_like": return Tensor.ZerosLike(A());
            case "ones_like": return Tensor.OnesLike(A());

            case "exp": return A().Exp();
            case "log": return A().Log();
            case "sin": return A().Sin();
            case "cos": return A().Cos();
            case "tan": return A().Tan();
            case "tanh": return A().Tanh();
            case "sigmoid": return A().Sigmoid();
            case "relu": return A().Relu();
            case "abs": return A().Abs();
            case "sqrt": return A().Sqrt();
            case "neg": return -A();
            case "pow_s": return A().Pow(s.P[0]);
            case "pow_i": return A().Pow((long)s.I[0]);
            case "pow_t": return A().Pow(B());
            case "clamp": return A().Clamp(double.IsNaN(s.P[0]) ? null : s.P[0], double.IsNaN(s.P[1]) ? null : s.P[1]);
            case "gelu": return Functional.Gelu(A(), s.S == "" ? "none" : s.S);
            case "silu": return Functional.Silu(A());
            case "leaky_relu": return Functional.LeakyRelu(A(), s.P[0]);
            case "elu": return Functional.Elu(A(), s.P[0]);
            case "softplus": return Functional.Softplus(A(), s.P[0], s.P[1]);

            case "add": return A() + B();
            case "sub": return A() - B();
            case "mul": return A() * B();
            case "div": return A() / B();
            case "maximum": return A().Maximum(B());
            case "minimum": return A().Minimum(B());
            case "gt": return A() > B();
            case "lt": return A() < B();
            case "ge": return A() >= B();
            case "le": return A() <= B();
            case "eq": return A().Eq(B());
            case "ne": return A().Ne(B());
            // Scalar operands: I[0] = 1 for a C# long (a Python int), 0 for a double (a Python float).
            case "add_s": return s.I[0] == 1 ? A() + (long)s.P[0] : A() + s.P[0];
            case "sub_s": return s.I[0] == 1 ? A() - (long)s.P[0] : A() - s.P[0];
            case "mul_s": return s.I[0] == 1 ? A() * (long)s.P[0] : A() * s.P[0];
            case "div_s": return s.I[0] == 1 ? A() / (long)s.P[0] : A() / s.P[0];
            case "s_add": return s.I[0] == 1 ? (long)s.P[0] + A() : s.P[0] + A();
            case "s_sub": return s.I[0] == 1 ? (long)s.P[0] - A() : s.P[0] - A();
            case "s_mul": return s.I[0] == 1 ? (long)s.P[0] * A() : s.P[0] * A();
            case "s_div": return s.I[0] == 1 ? (long)s.P[0] / A() : s.P[0] / A();
            case "gt_s": return A() > s.P[0];
            case "le_s": return A() <= s.P[0];
            case "eq_s": return A().Eq(s.P[0]);

            case "sum": return A().Sum();
            case "sum_d": return A().Sum(s.I[0], s.I[1] != 0);
            case "mean": return A().Mean();
            case "mean_d": return A().Mean(s.I[0], s.I[1] != 0);
            case "max": return A().Max();
            case "min": return A().Min();
            case "amax": return A().Max(s.I[0], s.I[1] != 0);
            case "min_d_v": return A().Min(s.I[0], s.I[1] != 0).Values;
            case "min_d_i": return A().Min(s.I[0], s.I[1] != 0).Indices;
            case "argmax": return A().ArgMax();
            case "argmin": return A().ArgMin();
            case "argmax_d": return A().ArgMax(s.I[0], s.I[1] != 0);
            case "argmin_d": return A().ArgMin(s.I[0], s.I[1] != 0);
            case "logsumexp": return A().LogSumExp(s.I[0], s.I[1] != 0);

            case "view": return A().View(s.I);
            case "reshape": return A().Reshape(s.I);
            case "flatten": return A().Flatten(s.I[0], s.I[1]);
            case "transpose": return A().Transpose(s.I[0], s.I[1]);
            case "t": return A().T;
            case "permute": return A().Permute(s.I);
            case "unsqueeze": return A().Unsqueeze(s.I[0]);
            case "squeeze": return A().Squeeze();
            case "squeeze_d": return A().Squeeze(s.I[0]);
            case "narrow": return A().Narrow(s.I[0], s.I[1], s.I[2]);
            case "slice": return A().Slice(s.I[0], s.I[1], s.I[2], s.I[3]);
            case "select": return A().Select(s.I[0], s.I[1]);
            case "index": return A()[s.I.Select(i => (TensorIndex)i).ToArray()];
            case "index_range": return A()[new Range(s.I[0], s.I[1])];
            case "expand": return A().Expand(s.I);
            case "contiguous": return A().Contiguous();
            case "clone": return A().Clone();
            case "detach": return A().Detach();
            case "to": return A().To(Values.Parse(s.S));

            case "where": return Tensor.Where(A(), B(), T(s, 2));
            case "masked_select": return A().MaskedSelect(B());
            case "index_mask": return A()[B()];
            case "cat": return Tensor.Cat(s.Args.Select(x => (Tensor)Vars[x]!).ToArray(), s.I[0]);
            case "stack": return Tensor.Stack(s.Args.Select(x => (Tensor)Vars[x]!).ToArray(), s.I[0]);
            case "matmul": return A().MatMul(B());
            case "gather": return A().Gather(s.I[0], B());
            case "index_select": return A().IndexSelect(s.I[0], B());

            case "softmax": return Functional.Softmax(A(), s.I[0]);
            case "log_softmax": return Functional.LogSoftmax(A(), s.I[0]);
            case "mse": return Functional.MseLoss(A(), B(), Red());
            case "bce_logits": return Functional.BinaryCrossEntropyWithLogits(A(), B(), Red());
            case "cross_entropy": return Functional.CrossEntropy(A(), B(), Red());
            case "linear": return Functional.Linear(A(), B(), s.Args.Length > 2 ? T(s, 2) : null);

            case "add_": return A().AddInPlace(B());
            case "mul_s_": return A().MulInPlace(s.P[0]);
            case "fill_": return A().Fill(s.P[0]);

            case "backward":
                A().Backward(s.Args.Length > 1 ? B() : null, retainGraph: s.I[0] != 0);
                return null;
            case "zero_grad":
                foreach (int l in Leaves)
                    if (Vars[l] is Tensor p) p.Grad = null;
                return null;
            case "optim": return MakeOptimizer(s);
            case "opt_step":
                ((Optimizer)Vars[s.Args[0]]!).Step();
                return null;
            case "opt_zero":
                ((Optimizer)Vars[s.Args[0]]!).ZeroGrad(s.I[0] != 0);
                return null;
            default: throw new InvalidOperationException($"oracle: unknown step {s.Op}");
        }
    }

    Optimizer MakeOptimizer(Step s)
    {
        var ps = s.Args.Skip(0).Select(x => (Tensor)Vars[x]!).ToArray();
        var p = s.P;
        return s.S switch
        {
            "sgd" => new Sgd(ps, p[0], momentum: p[1], dampening: p[2], weightDecay: p[3], nesterov: p[4] != 0, maximize: p[5] != 0),
            "adam" => new Adam(ps, p[0], p[1], p[2], p[3], p[4], amsgrad: p[5] != 0, maximize: p[6] != 0),
            "adamw" => new AdamW(ps, p[0], p[1], p[2], p[3], p[4], amsgrad: p[5] != 0, maximize: p[6] != 0),
            "rmsprop" => new RMSprop(ps, p[0], alpha: p[1], eps: p[2], weightDecay: p[3], momentum: p[4], centered: p[5] != 0, maximize: p[6] != 0),
            "adagrad" => new Adagrad(ps, p[0], lrDecay: p[1], weightDecay: p[2], initialAccumulatorValue: p[3], eps: p[4], maximize: p[5] != 0),
            _ => throw new InvalidOperationException(s.S),
        };
    }

    static Tensor Input(Step s)
    {
        var d = s.Data!;
        var dt = Values.Parse(s.S);
        Tensor t = dt switch
        {
            DType.Float32 => Tensor.FromSpan<float>(d.Select(x => (float)x).ToArray(), s.I),
            DType.Float64 => Tensor.FromSpan<double>(d, s.I),
            DType.Int32 => Tensor.FromSpan<int>(d.Select(x => (int)x).ToArray(), s.I),
            DType.Int64 => Tensor.FromSpan<long>(d.Select(x => (long)x).ToArray(), s.I),
            _ => Tensor.FromSpan<bool>(d.Select(x => x != 0).ToArray(), s.I),
        };
        // FromSpan of an empty shape [] is 1-D of the data's length; a 0-D input is a Scalar.
        if (s.I.Length == 0) t = t.Reshape([]).Detach();
        if (s.P[0] != 0) t.RequiresGrad = true;
        return t;
    }
}

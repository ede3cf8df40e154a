namespace Gradgen.Oracle.Tests;

/// <summary>
/// Makes one random program over the public tensor API. The program is built while it runs in Gradgen, so each step
/// can be chosen to fit the shapes and dtypes of the tensors so far (and, now and then, deliberately not to fit:
/// both libraries must then refuse it). DeliberateDifferences.GeneratorRestrictions explains the few restrictions.
/// </summary>
internal sealed class Generator
{
    readonly Random rng;
    readonly GradgenRunner run = new();
    readonly List<Step> steps = [];

    /// <summary>Per variable: the number of significant bits of its values if both libraries compute them exactly (dyadic data through exact operations), else -1.</summary>
    readonly List<int> bits = [];
    readonly List<int> cloned = [];
    int optimizer = -1;
    string optimizerKind = "";
    bool gradsExact = true;

    Generator(int seed) => rng = new Random(seed);

    public static List<Step> Make(int seed)
    {
        if (Environment.GetEnvironmentVariable("GRADGEN_ORACLE_TRACE") is { Length: > 0 } trace) File.AppendAllText(trace, $"program seed {seed}\n");
        return new Generator(seed).Build();
    }

    List<Step> Build()
    {
        int inputs = 1 + rng.Next(3);
        for (int i = 0; i < inputs; i++) NewInput();
        int n = 6 + rng.Next(14);
        for (int i = 0; i < n; i++) OneStep();
        // Most programs end with a backward pass from a scalar, so that most of them compare gradients.
        var roots = Tensors().Where(k => Usable(k) && T(k).RequiresGrad).ToList();
        if (roots.Count > 0 && rng.NextDouble() < 0.85)
        {
            int r = roots[rng.Next(roots.Count)];
            if (T(r).NumElements != 1) r = Add("sum", [r], [], [], bits: Bits(r) < 0 ? -1 : Bits(r) + 8);
            if (r >= 0 && run.Observations[r].Error is null) Backward(r);
            if (optimizer >= 0 && rng.NextDouble() < 0.7) OptStep();
        }
        return steps;
    }

    Tensor T(int k) => run.TensorAt(k)!;

    int Bits(int k) => bits[k];

    IEnumerable<int> Tensors() => Enumerable.Range(0, steps.Count).Where(k => run.TensorAt(k) is not null);

    /// <summary>Runs a step in Gradgen and appends it; returns its variable index.</summary>
    int Add(string op, int[] args, int[] i, double[] p, string s = "", int bits = -1, double[]? data = null)
    {
        // View steps never under no_grad: see DeliberateDifferences.GeneratorRestrictions.
        bool noGrad = op is not ("backward" or "input" or "optim" or "opt_step" or "opt_zero" or "zero_grad" or "view" or "reshape" or "flatten"
            or "transpose" or "t" or "permute" or "unsqueeze" or "squeeze" or "squeeze_d" or "narrow" or "slice" or "select" or "index"
            or "index_range" or "expand" or "contiguous" or "to") && rng.NextDouble() < 0.06;
        var step = new Step(op, args, i, p, s, noGrad, data);
        steps.Add(step);
        // GRADGEN_ORACLE_TRACE=file: each step written before it runs, so a crash of the process names its program.
        if (Environment.GetEnvironmentVariable("GRADGEN_ORACLE_TRACE") is { Length: > 0 } trace)
            File.AppendAllText(trace, step.Describe(steps.Count - 1) + "\n");
        var obs = run.Execute(step);
        int limit = run.TensorAt(steps.Count - 1)?.DType == DType.Float32 ? 22 : 50;
        this.bits.Add(obs.Error is null && bits >= 0 && bits <= limit ? bits : -1);
        return steps.Count - 1;
    }

    /// <summary>
    /// Results computed before this step are not used again (except leaves and in-place targets): an optimizer step
    /// or an in-place step changed tensors they were computed from (DeliberateDifferences.GeneratorRestrictions).
    /// </summary>
    int staleBefore;

    bool Usable(int k) => k >= staleBefore || steps[k].Op == "input" || cloned.Contains(k);

    /// <summary>A tensor variable, most often a recent one; optionally only floating ones or exactly computed ones.</summary>
    int Pick(Func<int, bool>? filter = null)
    {
        var all = Tensors().Where(k => Usable(k) && (filter is null || filter(k))).ToList();
        if (all.Count == 0) return -1;
        if (rng.NextDouble() < 0.6) return all[Math.Max(0, all.Count - 1 - rng.Next(Math.Min(3, all.Count)))];
        return all[rng.Next(all.Count)];
    }

    bool IsFloat(int k) => T(k).DType is DType.Float32 or DType.Float64;

    static readonly double[] Specials = [0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1, -1, 0.5];

    int[] RandomShape()
    {
        double u = rng.NextDouble();
        int rank = u < 0.12 ? 0 : u < 0.45 ? 1 : u < 0.85 ? 2 : 3;
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            double v = rng.NextDouble();
            shape[i] = v < 0.05 ? 0 : v < 0.3 ? 1 : 2 + rng.Next(3);
        }
        return shape;
    }

    DType RandomDType()
    {
        double u = rng.NextDouble();
        return u < 0.62 ? DType.Float32 : u < 0.8 ? DType.Float64 : u < 0.87 ? DType.Int64 : u < 0.93 ? DType.Int32 : DType.Bool;
    }

    int NewInput(int[]? shape = null, DType? dtype = null, bool? requiresGrad = null, bool? special = null)
    {
        shape ??= RandomShape();
        var dt = dtype ?? RandomDType();
        int n = shape.Aggregate(1, (x, y) => x * y);
        var data = new double[n];
        bool dyadic = rng.NextDouble() < 0.7;
        bool specials = special ?? rng.NextDouble() < 0.3;
        for (int i = 0; i < n; i++)
        {
            data[i] = dt switch
            {
                DType.Bool => rng.Next(2),
                DType.Int32 or DType.Int64 => rng.Next(-5, 6),
                _ => specials && rng.NextDouble() < 0.15 ? Specials[rng.Next(Specials.Length)]
                    : dyadic ? rng.Next(-24, 25) / 4.0
                    : rng.NextDouble() < 0.1 ? (rng.NextDouble() - 0.5) * 2e3 : (rng.NextDouble() - 0.5) * 6,
            };
            if (dt == DType.Float32) data[i] = (float)data[i];
        }
        // Ties: now and then copy elements, so that Max, ArgMax and the rest meet equal values.
        if (n > 1 && rng.NextDouble() < 0.3) data[rng.Next(n)] = data[rng.Next(n)];
        bool rg = dt.IsFloatingPoint() && (requiresGrad ?? rng.NextDouble() < 0.6);
        int b = dt is DType.Bool or DType.Int32 or DType.Int64 ? 4 : dyadic ? 6 : -1;
        return Add("input", [], shape, [rg ? 1 : 0], Values.Name(dt), b, data);
    }

    int Dim(int k, bool allowOutOfRange = true)
    {
        int nd = Math.Max(1, T(k).Ndim);
        if (allowOutOfRange && rng.NextDouble() < 0.05) return nd + rng.Next(2);
        int d = rng.Next(nd);
        return rng.NextDouble() < 0.3 ? d - nd : d;
    }

    static int Log2(int n) => n <= 1 ? 0 : (int)Math.Ceiling(Math.Log2(n));

    double DyadicScalar() => new[] { -2, -1, -0.5, 0, 0.5, 1, 2, 3, 0.25 }[rng.Next(9)];

    void OneStep()
    {
        double u = rng.NextDouble();
        if (u < 0.05) { NewInput(); return; }
        int x = Pick();
        if (x < 0) { NewInput(); return; }
        if (u < 0.22) Unary(x);
        else if (u < 0.36) BinaryOp(x);
        else if (u < 0.45) ScalarOp(x);
        else if (u < 0.56) Reduction(x);
        else if (u < 0.70) ViewOp(x);
        else if (u < 0.78) Selection(x);
        else if (u < 0.83) Products(x);
        else if (u < 0.89) NnOp(x);
        else if (u < 0.92) InPlace(x);
        else if (u < 0.97) { int r = Pick(k => T(k).RequiresGrad); if (r >= 0) Backward(r); }
        else Optim();
    }

    void Unary(int x)
    {
        string[] ops = ["exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sqrt", "neg", "pow_s", "pow_i", "clamp",
            "gelu", "silu", "leaky_relu", "elu", "softplus", "clone", "detach", "contiguous", "to", "zeros_like", "ones_like"];
        string op = ops[rng.Next(ops.Length)];
        int b = Bits(x);
        // Bool and integer inputs only where both libraries define them alike (DeliberateDifferences).
        if (T(x).DType == DType.Bool && op is "relu" or "abs" or "neg") return;
        if (!IsFloat(x) && op is "clamp" or "gelu" or "silu" or "leaky_relu" or "elu" or "softplus" or "pow_s" or "pow_i") return;
        switch (op)
        {
            case "relu" or "abs" or "neg" or "clone" or "detach" or "contiguous": Add(op, [x], [], [], bits: b); break;
            case "zeros_like" or "ones_like": Add(op, [x], [], [], bits: 1); break;
            case "pow_s": Add(op, [x], [], [new[] { 0.5, 2, 3, -1, 1.5, 0, -2 }[rng.Next(7)]]); break;
            case "pow_i": { int e = rng.Next(-1, 4); Add(op, [x], [e], [], bits: e is 0 or 1 ? b : e == 2 && b >= 0 ? 2 * b : -1); break; }
            case "clamp":
                {
                    double lo = rng.NextDouble() < 0.3 ? double.NaN : DyadicScalar();
                    double hi = rng.NextDouble() < 0.3 ? double.NaN : DyadicScalar();
                    if (double.IsNaN(lo) && double.IsNaN(hi)) lo = 0;
                    Add(op, [x], [], [lo, hi], bits: b);
                    break;
                }
            case "gelu": Add(op, [x], [], [], rng.NextDouble() < 0.3 ? "tanh" : ""); break;
            case "leaky_relu": Add(op, [x], [], [new[] { 0.01, 0.2, 0.5 }[rng.Next(3)]], bits: b >= 0 && rng.NextDouble() < 0 ? b : -1); break;
            case "elu": Add(op, [x], [], [new[] { 1.0, 0.5 }[rng.Next(2)]]); break;
            case "softplus": Add(op, [x], [], [new[] { 1.0, 2 }[rng.Next(2)], new[] { 20.0, 1 }[rng.Next(2)]]); break;
            case "to":
                {
                    var dt = RandomDType();
                    // To an integer dtype: only exact, finite values within range (PyTorch's result is undefined otherwise).
                    if (dt is DType.Int32 or DType.Int64 or DType.Bool && IsFloat(x))
                    {
                        if (b < 0) return;
                        if (dt != DType.Bool && TensorValue.Of(T(x)).V.Any(v => !double.IsFinite(v) || Math.Abs(v) > 1e9)) return;
                    }
                    Add(op, [x], [], [], Values.Name(dt), b >= 0 ? b : -1);
                    break;
                }
            default: Add(op, [x], [], []); break;
        }
    }

    /// <summary>A second operand for an elementwise operation with <paramref name="x"/>: another variable of a broadcastable shape, or a new input made to broadcast.</summary>
    int Partner(int x, bool sameDTypeKind = false)
    {
        var shape = T(x).Shape.ToArray();
        if (rng.NextDouble() < 0.4)
        {
            int y = Pick(k => k != x && Broadcastable(T(k).Shape.ToArray(), shape) && (!sameDTypeKind || IsFloat(k) == IsFloat(x)));
            if (y >= 0) return y;
        }
        // A shape that broadcasts with x: drop leading dims, set some to 1; now and then one that does not.
        int drop = rng.Next(shape.Length + 1);
        var s = shape.Skip(drop).Select(d => rng.NextDouble() < 0.3 ? 1 : d).ToList();
        if (rng.NextDouble() < 0.2) s.Insert(0, 1 + rng.Next(2));
        if (s.Count > 0 && rng.NextDouble() < 0.05) s[^1] += 1;
        DType? dt = rng.NextDouble() < 0.75 ? T(x).DType : null;
        return NewInput([.. s], dt);
    }

    static bool Broadcastable(int[] a, int[] b)
    {
        for (int i = 1; i <= Math.Min(a.Length, b.Length); i++)
        {
            int da = a[^i], db = b[^i];
            if (da != db && da != 1 && db != 1) return false;
        }
        return true;
    }

    void BinaryOp(int x)
    {
        string[] ops = ["add", "sub", "mul", "div", "maximum", "minimum", "pow_t", "gt", "lt", "ge", "le", "eq", "ne"];
        string op = ops[rng.Next(ops.Length)];
        if (!IsFloat(x) && op is "pow_t" or "div") return;
        int y = Partner(x);
        int bx = Bits(x), by = Bits(y);
        if (!IsFloat(y) && op is "pow_t") return;
        if ((T(x).DType == DType.Bool || T(y).DType == DType.Bool) && op is "add" or "sub" or "mul" or "maximum" or "minimum") return;
        bool exact = bx >= 0 && by >= 0;
        switch (op)
        {
            case "add" or "sub": Add(op, [x, y], [], [], bits: exact ? Math.Max(bx, by) + 1 : -1); break;
            case "mul": Add(op, [x, y], [], [], bits: exact ? bx + by : -1); break;
            case "maximum" or "minimum": Add(op, [x, y], [], [], bits: exact ? Math.Max(bx, by) : -1); break;
            case "div" or "pow_t": Add(op, [x, y], [], []); break;
            default:
                // Comparisons jump with their inputs: exactly computed inputs only.
                if (!exact) return;
                Add(op, [x, y], [], [], bits: 1);
                break;
        }
    }

    void ScalarOp(int x)
    {
        string[] ops = ["add_s", "sub_s", "mul_s", "div_s", "s_add", "s_sub", "s_mul", "s_div", "gt_s", "le_s", "eq_s"];
        string op = ops[rng.Next(ops.Length)];
        if (T(x).DType == DType.Bool && op is not ("gt_s" or "le_s" or "eq_s")) return;
        bool integer = rng.NextDouble() < 0.35;
        double c = integer ? rng.Next(-3, 4) : rng.NextDouble() < 0.7 ? DyadicScalar() : Math.Round((rng.NextDouble() - 0.5) * 10, 3);
        bool dyadic = integer || Array.IndexOf(new[] { -2, -1, -0.5, 0, 0.5, 1, 2, 3, 0.25 }, c) >= 0;
        int b = Bits(x);
        int cb = dyadic ? 3 : -1;
        bool exact = b >= 0 && cb >= 0;
        switch (op)
        {
            case "add_s" or "sub_s" or "s_add" or "s_sub": Add(op, [x], [integer ? 1 : 0], [c], bits: exact ? b + 3 : -1); break;
            case "mul_s" or "s_mul": Add(op, [x], [integer ? 1 : 0], [c], bits: exact ? b + cb : -1); break;
            case "div_s" or "s_div": Add(op, [x], [integer ? 1 : 0], [c]); break;
            default:
                if (b < 0) return;
                Add(op, [x], [0], [c], bits: 1);
                break;
        }
    }

    void Reduction(int x)
    {
        string[] ops = ["sum", "sum_d", "mean", "mean_d", "max", "min", "amax", "min_d_v", "min_d_i", "argmax", "argmin", "argmax_d", "argmin_d", "logsumexp"];
        string op = ops[rng.Next(ops.Length)];
        var t = T(x);
        int b = Bits(x);
        int keep = rng.Next(2);
        switch (op)
        {
            case "sum": Add(op, [x], [], [], bits: b >= 0 ? b + Log2(t.NumElements) + 1 : -1); break;
            case "sum_d": { int d = Dim(x); Add(op, [x], [d, keep], [], bits: b >= 0 ? b + Log2(t.Ndim == 0 ? 1 : t.Shape.Max()) + 1 : -1); break; }
            case "mean": Add(op, [x], [], []); break;
            case "mean_d" or "logsumexp": Add(op, [x], [Dim(x), keep], []); break;
            case "max" or "min": Add(op, [x], [], [], bits: b); break;
            case "amax" or "min_d_v": Add(op, [x], [Dim(x), keep], [], bits: b); break;
            case "argmax" or "argmin":
                if (b < 0 || t.DType == DType.Bool) return;
                Add(op, [x], [], [], bits: 4);
                break;
            default:
                if (b < 0 || t.DType == DType.Bool) return;
                Add(op, [x], [Dim(x), keep], [], bits: 4);
                break;
        }
    }

    void ViewOp(int x)
    {
        string[] ops = ["view", "reshape", "flatten", "transpose", "t", "permute", "unsqueeze", "squeeze", "squeeze_d", "narrow", "slice", "select", "index", "index_range", "expand"];
        string op = ops[rng.Next(ops.Length)];
        var t = T(x);
        var shape = t.Shape.ToArray();
        int b = Bits(x);
        switch (op)
        {
            case "view" or "reshape":
                {
                    int n = t.NumElements;
                    var s = new List<int>();
                    if (n == 0) s = [0, rng.Next(1, 3)];
                    else
                    {
                        int rest = n;
                        foreach (int f in new[] { 2, 3, 5, 7 })
                            while (rest % f == 0) { s.Add(f); rest /= f; }
                        if (rest > 1) s.Add(rest);
                        s = s.OrderBy(_ => rng.Next()).ToList();
                        while (s.Count > 2 && rng.NextDouble() < 0.6) { s[0] *= s[1]; s.RemoveAt(1); }
                        if (rng.NextDouble() < 0.3) s.Insert(rng.Next(s.Count + 1), 1);
                        if (s.Count > 0 && rng.NextDouble() < 0.3) s[rng.Next(s.Count)] = -1;
                        if (rng.NextDouble() < 0.04) s.Add(2);
                    }
                    Add(op, [x], [.. s], [], bits: b);
                    break;
                }
            case "flatten":
                {
                    int nd = Math.Max(1, t.Ndim);
                    int s0 = rng.Next(nd), e0 = s0 + rng.Next(nd - s0);
                    Add(op, [x], [s0, rng.NextDouble() < 0.3 ? -1 : e0], [], bits: b);
                    break;
                }
            case "transpose": Add(op, [x], [Dim(x), Dim(x)], [], bits: b); break;
            case "t":
                if (t.Ndim > 2 && rng.NextDouble() < 0.8) return;
                Add(op, [x], [], [], bits: b);
                break;
            case "permute":
                {
                    var p = Enumerable.Range(0, t.Ndim).OrderBy(_ => rng.Next()).ToList();
                    if (rng.NextDouble() < 0.05 && p.Count > 0) p[0] = p[^1];
                    Add(op, [x], [.. p], [], bits: b);
                    break;
                }
            case "unsqueeze": Add(op, [x], [rng.Next(-t.Ndim - 1, t.Ndim + 1)], [], bits: b); break;
            case "squeeze": Add(op, [x], [], [], bits: b); break;
            case "squeeze_d": Add(op, [x], [Dim(x)], [], bits: b); break;
            case "narrow" or "slice" or "select" or "index" or "index_range":
                {
                    if (t.Ndim == 0) { Add(op, [x], op == "index_range" ? [0, 1] : op == "index" ? [0] : [0, 0, 1, 1], [], bits: b); return; }
                    int d = Dim(x);
                    int nd = d < 0 ? d + t.Ndim : d;
                    int size = nd >= 0 && nd < t.Ndim ? shape[nd] : 1;
                    int start = rng.Next(0, size + 1);
                    if (rng.NextDouble() < 0.05) start = size + 1;
                    switch (op)
                    {
                        case "narrow": Add(op, [x], [d, start, rng.Next(0, size - Math.Min(start, size) + 1)], [], bits: b); break;
                        case "slice": Add(op, [x], [d, start, start + rng.Next(0, size + 1), 1 + rng.Next(2)], [], bits: b); break;
                        case "select": Add(op, [x], [d, size == 0 ? 0 : rng.Next(-size, size) + (rng.NextDouble() < 0.05 ? size : 0)], [], bits: b); break;
                        case "index": Add(op, [x], shape.Take(1 + rng.Next(t.Ndim)).Select(s => s == 0 ? 0 : rng.Next(-s, s)).ToArray(), [], bits: b); break;
                        default: Add(op, [x], [Math.Min(start, shape[0]), Math.Min(shape[0], start + rng.Next(0, shape[0] + 1))], [], bits: b); break;
                    }
                    break;
                }
            case "expand":
                {
                    var s = shape.Select(d => d == 1 && rng.NextDouble() < 0.6 ? 1 + rng.Next(3) : rng.NextDouble() < 0.2 ? -1 : d).ToList();
                    if (rng.NextDouble() < 0.3) s.Insert(0, 1 + rng.Next(2));
                    Add(op, [x], [.. s], [], bits: b);
                    break;
                }
        }
    }

    void Selection(int x)
    {
        string[] ops = ["where", "masked_select", "index_mask", "cat", "stack", "gather", "index_select"];
        string op = ops[rng.Next(ops.Length)];
        var t = T(x);
        int b = Bits(x);
        switch (op)
        {
            case "where":
                {
                    int c = Pick(k => T(k).DType == DType.Bool);
                    if (c < 0 || rng.NextDouble() < 0.5) c = NewInput(t.Shape.ToArray(), DType.Bool);
                    int y = Partner(x);
                    Add(op, [c, x, y], [], [], bits: b >= 0 && Bits(y) >= 0 ? Math.Max(b, Bits(y)) : -1);
                    break;
                }
            case "masked_select" or "index_mask":
                {
                    var ms = t.Shape.ToArray();
                    if (op == "masked_select" && rng.NextDouble() < 0.3 && ms.Length > 0) ms = ms.Skip(1).ToArray();
                    else if (op == "masked_select" && rng.NextDouble() < 0.2) ms = [1, .. ms.Select(d => rng.NextDouble() < 0.3 ? 1 : d)];
                    int m = Pick(k => T(k).DType == DType.Bool && T(k).Shape.ToArray().SequenceEqual(ms));
                    if (m < 0 || rng.NextDouble() < 0.5) m = NewInput(ms, DType.Bool);
                    Add(op, [x, m], [], [], bits: b);
                    break;
                }
            case "cat" or "stack":
                {
                    var parts = new List<int> { x };
                    int more = rng.Next(0, 3);
                    int d = op == "cat" ? Dim(x) : rng.Next(-t.Ndim - 1, t.Ndim + 1);
                    for (int i = 0; i < more; i++)
                    {
                        var s = t.Shape.ToArray();
                        int nd = d < 0 ? d + s.Length : d;
                        if (op == "cat" && nd >= 0 && nd < s.Length) s[nd] = rng.Next(0, 3);
                        if (rng.NextDouble() < 0.05 && s.Length > 0) s[0] += 1;
                        parts.Add(NewInput(s, rng.NextDouble() < 0.8 ? t.DType : null));
                    }
                    Add(op, [.. parts], [d], [], bits: parts.All(k => Bits(k) >= 0) ? parts.Max(Bits) : -1);
                    break;
                }
            case "gather" or "index_select":
                {
                    int d = Dim(x, false);
                    int nd = t.Ndim == 0 ? 0 : d < 0 ? d + t.Ndim : d;
                    int size = t.Ndim == 0 ? 1 : t.Shape[nd];
                    var ishape = op == "gather" ? t.Shape.ToArray().Select((s, i) => i == nd ? rng.Next(0, 4) : Math.Max(0, s - rng.Next(2))).ToArray() : t.Ndim == 0 && rng.NextDouble() < 0.7 ? [1] : [rng.Next(0, 5)];
                    int n = ishape.Aggregate(1, (p, q) => p * q);
                    var data = Enumerable.Range(0, n).Select(_ => (double)(size == 0 ? 0 : rng.Next(size) + (rng.NextDouble() < 0.03 ? size : 0))).ToArray();
                    int idx = Add("input", [], ishape, [0], op == "gather" || rng.NextDouble() < 0.9 ? "int64" : "int32", 4, data);
                    Add(op, [x, idx], [d], [], bits: b);
                    break;
                }
        }
    }

    void Products(int x)
    {
        var t = T(x);
        if (!IsFloat(x)) return;
        if (rng.NextDouble() < 0.6)
        {
            // MatMul: a right operand whose contraction dimension fits (most of the time).
            int k = t.Ndim == 0 ? 1 : t.Shape[^1];
            if (rng.NextDouble() < 0.05) k += 1;
            int[] shape = rng.Next(4) switch
            {
                0 => [k],
                1 => [k, rng.Next(0, 4)],
                2 => [rng.Next(1, 3), k, rng.Next(0, 4)],
                _ => t.Ndim >= 3 ? [t.Shape[0], k, rng.Next(1, 3)] : [k, 2],
            };
            var dt = rng.NextDouble() < 0.9 ? t.DType : RandomDType();
            int y = NewInput(shape, dt);
            Add("matmul", [x, y], [], [], bits: Bits(x) >= 0 && Bits(y) >= 0 ? Bits(x) + Bits(y) + Log2(k) + 1 : -1);
        }
        else
        {
            int inF = t.Ndim == 0 ? 1 : t.Shape[^1];
            int outF = rng.Next(0, 4);
            var dt = rng.NextDouble() < 0.95 ? t.DType : DType.Float64;
            int w = NewInput([outF, inF + (rng.NextDouble() < 0.04 ? 1 : 0)], dt);
            int[] args = rng.NextDouble() < 0.7 ? [x, w, NewInput([outF], dt)] : [x, w];
            Add("linear", args, [], [], bits: args.All(a => Bits(a) >= 0) ? Bits(x) + Bits(w) + Log2(inF) + 2 : -1);
        }
    }

    void NnOp(int x)
    {
        var t = T(x);
        if (!IsFloat(x)) return;
        string[] reds = ["mean", "sum", "none"];
        switch (rng.Next(5))
        {
            case 0: Add("softmax", [x], [Dim(x)], []); break;
            case 1: Add("log_softmax", [x], [Dim(x)], []); break;
            case 2:
                {
                    int y = rng.NextDouble() < 0.9 ? NewInput(t.Shape.ToArray(), t.DType) : Partner(x);
                    if (!IsFloat(y)) return;    // the losses take floating targets only (DeliberateDifferences)
                    Add("mse", [x, y], [], [], reds[rng.Next(3)], bits: -1);
                    break;
                }
            case 3:
                {
                    var data = Enumerable.Range(0, t.NumElements).Select(_ => rng.Next(3) / 2.0).ToArray();
                    int y = Add("input", [], t.Shape.ToArray(), [rng.NextDouble() < 0.3 ? 1 : 0], Values.Name(t.DType.IsFloatingPoint() ? t.DType : DType.Float32), 2, data);
                    Add("bce_logits", [x, y], [], [], reds[rng.Next(3)]);
                    break;
                }
            default:
                {
                    // Cross-entropy of [N, C] or [C] logits with class indices (or, now and then, probabilities).
                    int classes = t.Ndim == 0 ? 1 : t.Shape[^1];
                    // No classes at all: PyTorch's mean over [0] probabilities divides 0 by 0/0 samples (NaN), Gradgen
                    // gives 0; a loss over zero classes has no meaning, so it is not generated.
                    if (classes == 0) return;
                    int[] ts = t.Ndim == 2 ? [t.Shape[0]] : [];
                    int y;
                    if (rng.NextDouble() < 0.2) y = Add("softmax", [NewInput(t.Shape.ToArray(), t.DType, false)], [-1], []);
                    else
                    {
                        int n = ts.Aggregate(1, (p, q) => p * q);
                        var data = Enumerable.Range(0, n).Select(_ => (double)(classes == 0 ? 0 : rng.Next(classes))).ToArray();
                        y = Add("input", [], ts, [0], "int64", 4, data);
                    }
                    Add("cross_entropy", [x, y], [], [], reds[rng.Next(3)]);
                    break;
                }
        }
    }

    void InPlace(int x)
    {
        // Only copies are modified (DeliberateDifferences.GeneratorRestrictions: no views of them are rebased).
        if (rng.NextDouble() < 0.5 || cloned.Count == 0) { x = Add("clone", [x], [], [], bits: Bits(x)); cloned.Add(x); }
        else x = cloned[rng.Next(cloned.Count)];
        if (run.TensorAt(x) is null || !IsFloat(x)) return;
        int b = Bits(x);
        switch (rng.Next(3))
        {
            case 0:
                {
                    int y = Partner(x);
                    // The variable now holds x + y: exact only if both were (views of it share the change).
                    if (b >= 0 && Bits(y) < 0) return;
                    Add("add_", [x, y], [], [], bits: b >= 0 ? Math.Max(b, Bits(y)) + 1 : -1);
                    if (b >= 0) bits[x] = Math.Max(b, Bits(y)) + 1;
                    break;
                }
            case 1: Add("mul_s_", [x], [], [DyadicScalar()], bits: b >= 0 ? b + 3 : -1); if (b >= 0) bits[x] = b + 3; break;
            default: Add("fill_", [x], [], [DyadicScalar()], bits: b); break;
        }
        staleBefore = steps.Count;
    }

    void Backward(int r)
    {
        var t = T(r);
        bool exact = Bits(r) >= 0;
        int retain = rng.Next(2);
        if (t.NumElements == 1 && rng.NextDouble() < 0.7)
        {
            Add("backward", [r], [retain], []);
        }
        else
        {
            var shape = t.Shape.ToArray();
            if (rng.NextDouble() < 0.05 && shape.Length > 0) shape[0] += 1;
            int g = NewInput(shape, t.DType, false, special: false);
            exact &= Bits(g) >= 0;
            Add("backward", [r, g], [retain], []);
        }
        // Without retainGraph the graph is freed. Mostly nothing computed so far is used again; now and then it is,
        // so that a later backward runs through freed nodes, which both libraries must refuse where a saved tensor
        // is needed (DeliberateDifferences lists where they draw that line differently).
        if (retain == 0 && rng.NextDouble() < 0.7) staleBefore = steps.Count;
        if (!exact) gradsExact = false;
        if (rng.NextDouble() < 0.1) Add("zero_grad", [], [], []);
    }

    void Optim()
    {
        if (optimizer >= 0 && rng.NextDouble() < 0.7)
        {
            if (rng.NextDouble() < 0.25) Add("opt_zero", [optimizer], [rng.Next(2)], []);
            else OptStep();
            return;
        }
        var leaves = run.Leaves.Where(k => run.TensorAt(k) is { } p && p.RequiresGrad && p.IsLeaf).Distinct().ToList();
        var ps = leaves.Where(_ => rng.NextDouble() < 0.7).Distinct().ToList();
        // Two variables can be one tensor (To of its own dtype returns it): an optimizer takes each parameter once.
        ps = ps.GroupBy(k => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(T(k))).Select(g => g.First()).ToList();
        if (ps.Count == 0) return;
        string kind = new[] { "sgd", "sgd", "adam", "adamw", "rmsprop", "adagrad" }[rng.Next(6)];
        double lr = new[] { 0.1, 0.01, 0.5 }[rng.Next(3)];
        // Adaptive optimizers: a weight decay that is a power of two, so that g + wd·p is exact in both libraries
        // (PyTorch fuses it into one FMA, Gradgen rounds the product first; where g + wd·p cancels, the rounding
        // difference is then divided by its own magnitude: DeliberateDifferences.GeneratorRestrictions).
        double wd = rng.NextDouble() < 0.5 ? 0 : kind == "sgd" ? 0.1 : 0.25;
        int max = rng.NextDouble() < 0.2 ? 1 : 0;
        double[] p = kind switch
        {
            "sgd" => [lr, rng.NextDouble() < 0.5 ? 0.9 : 0, rng.NextDouble() < 0.3 ? 0.1 : 0, wd, rng.NextDouble() < 0.3 ? 1 : 0, max],
            "adam" or "adamw" => [lr, 0.9, 0.999, 1e-8, wd, rng.Next(2), max],
            "rmsprop" => [lr, 0.99, 1e-8, wd, rng.NextDouble() < 0.5 ? 0.9 : 0, rng.Next(2), max],
            _ => [lr, rng.NextDouble() < 0.5 ? 0 : 0.1, wd, rng.NextDouble() < 0.5 ? 0 : 0.1, 1e-10, max],
        };
        optimizer = Add("optim", [.. ps], [], p, kind);
        optimizerKind = kind;
        if (run.Observations[optimizer].Error is not null) optimizer = -1;
    }

    void OptStep()
    {
        // Adaptive optimizers divide by the gradient's own magnitude: only with exactly computed gradients.
        if (optimizerKind != "sgd" && !gradsExact) return;
        Add("opt_step", [optimizer], [], []);
        staleBefore = steps.Count;
        // The parameters changed, and with them every view of them: nothing so far is exact any more.
        for (int k = 0; k < bits.Count; k++) bits[k] = -1;
    }
}

internal static class DTypeExtensions
{
    public static bool IsFloatingPoint(this DType d) => d is DType.Float32 or DType.Float64;
}

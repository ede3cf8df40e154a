using System.Globalization;

namespace Gradgen.Oracle.Tests;

/// <summary>Compares Gradgen's observations of a program with PyTorch's; returns the first disagreement, or null.</summary>
internal static class Comparer
{
    // Tolerances. Integers and booleans must be equal; NaN must meet NaN and ±∞ the same infinity in every dtype.
    //
    // A step's value is compared with PyTorch's value of the same step computed from Gradgen's own inputs (the
    // "anchored" value), so it carries the rounding of one operation only: the elementwise kernels (SIMD
    // polynomial exp/log/sin/tanh…) are within a few ulps of the true result and so is PyTorch's SLEEF, and sums,
    // means, matrix products and softmax accumulate in another order (blocked, pairwise or SIMD lanes), which
    // changes the result by up to n·ε·Σ|terms|. So an element passes within AnchoredRtol·|expected| plus
    // AnchoredRtol·scale, where scale bounds the terms: the largest finite magnitude among the result and the
    // inputs, and its square for products (at least 1). For float32, ε = 1.2e-7: 2e-5 leaves room for ~100 ulps,
    // that is for sums of up to a few hundred terms in another order; for float64 (ε = 2.2e-16) 1e-12 likewise.
    const double AnchoredRtol32 = 2e-5, AnchoredRtol64 = 1e-12;

    // Gradients and optimizer updates are compared with PyTorch's own chain (they cannot be anchored): their error
    // is that of the whole forward and backward chain, a dozen operations each within the anchored bound above, with
    // amplification by the chain's derivatives. 2e-3 (float32) and 1e-9 (float64) cover programs of up to ~30
    // steps on values of magnitude up to ~1e3 (docs/oracle.md); scale as above over the compared tensor.
    const double ChainRtol32 = 2e-3, ChainRtol64 = 1e-9;

    public static string? Compare(IReadOnlyList<Step> steps, List<Observation> g, List<Observation> t)
    {
        // A float64 gradient that flowed through float32 steps carries float32 rounding: the float32 chain tolerance.
        mixed = g.Any(o => o.Value?.DType == "float32");
        generatedNaN = steps.Any(s => DeliberateDifferences.GeneratedDerivativeNaN.Contains(s.Op));
        zeroForNaN = steps.Any(s => DeliberateDifferences.MaskedZeroGradient.Contains(s.Op));
        anyForNaN = steps.Any(s => DeliberateDifferences.VectorisedNaNGradient.Contains(s.Op));
        for (int k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            var a = g[k];
            var b = t[k];
            string at = $"step v{k} ({s.Op})";
            if (a.Crash) return $"{at}: Gradgen crashed on a valid or invalid input: {a.Error}";
            if (a.Skipped || b.Skipped)
            {
                if (a.Skipped != b.Skipped) return $"{at}: skipped in {(a.Skipped ? "Gradgen" : "PyTorch")} only";
                continue;
            }
            if ((a.Error is null) != (b.Error is null))
            {
                if (DeliberateDifferences.Rejection(s, a, b, g) is not null) return null;    // the rest of the program follows another path
                return a.Error is not null
                    ? $"{at}: Gradgen refuses what PyTorch accepts.\n  Gradgen: {a.Error}\n  PyTorch: {b.Value}"
                    : $"{at}: PyTorch refuses what Gradgen accepts.\n  PyTorch: {b.Error}\n  Gradgen: {a.Value}";
            }
            if (a.Error is not null) continue;
            if ((a.Value is null) != (b.Value is null)) return $"{at}: a tensor in only one library";
            if (a.Value is { } va && b.Value is { } vb)
            {
                if (va.DType != vb.DType) return $"{at}: dtype {va.DType} in Gradgen, {vb.DType} in PyTorch";
                if (!va.Shape.SequenceEqual(vb.Shape)) return $"{at}: shape {Fmt.Shape(va.Shape)} in Gradgen, {Fmt.Shape(vb.Shape)} in PyTorch";
                if (a.RequiresGrad != b.RequiresGrad) return $"{at}: requires_grad {a.RequiresGrad} in Gradgen, {b.RequiresGrad} in PyTorch";
                if (a.IsLeaf != b.IsLeaf) return $"{at}: is_leaf {a.IsLeaf} in Gradgen, {b.IsLeaf} in PyTorch";
                if (!DeliberateDifferences.SameGradFn(s.Op, a.GradFn, b.GradFn, s.Args.Length > 0 ? g[s.Args[0]] : null, s.Args.Length > 0 ? t[s.Args[0]] : null))
                    return $"{at}: grad_fn {a.GradFn ?? "None"} in Gradgen, {b.GradFn ?? "None"} in PyTorch";
                var expected = b.Anchored ?? vb;
                bool anchored = b.Anchored is not null;
                double inputScale = (a.Inputs ?? []).Where(x => x is not null).Select(x => MaxAbs(x!.V)).DefaultIfEmpty(0).Max();
                if (s.Op is "matmul" or "linear" or "mul" or "pow_t" or "pow_s" or "pow_i" or "cross_entropy" or "mse" or "bce_logits") inputScale *= Math.Max(1, inputScale);
                string? d = Values(va, expected, anchored, inputScale);
                if (d is not null) return $"{at}: values differ{(anchored ? "" : " (chained)")}: {d}\n  Gradgen: {va}\n  PyTorch: {expected}";
            }
            if (a.Leaves is not null && b.Leaves is not null)
            {
                if (a.Leaves.Count != b.Leaves.Count)
                    return $"{at}: {a.Leaves.Count} leaves requiring grad in Gradgen, {b.Leaves.Count} in PyTorch";
                for (int i = 0; i < a.Leaves.Count; i++)
                {
                    var la = a.Leaves[i];
                    var lb = b.Leaves[i];
                    string? d = Values(la.Value, lb.Value, false, 0, Noise(a.Leaves64, b.Leaves64, la.Var, false, la.Value, lb.Value), generatedNaN, updated: true);
                    if (d is not null) return $"after {at}: leaf v{la.Var} differs: {d}\n  Gradgen: {la.Value}\n  PyTorch: {lb.Value}";
                    if ((la.Grad is null) != (lb.Grad is null))
                        return $"after {at}: leaf v{la.Var}.grad is {(la.Grad is null ? "None" : la.Grad.ToString())} in Gradgen, {(lb.Grad is null ? "None" : lb.Grad.ToString())} in PyTorch";
                    if (la.Grad is null) continue;
                    if (la.Grad.DType != lb.Grad!.DType || !la.Grad.Shape.SequenceEqual(lb.Grad.Shape))
                        return $"after {at}: leaf v{la.Var}.grad is {la.Grad} in Gradgen, {lb.Grad} in PyTorch";
                    d = Values(la.Grad, lb.Grad, false, 0, Noise(a.Leaves64, b.Leaves64, la.Var, true, la.Grad, lb.Grad), generatedNaN);
                    if (d is not null) return $"after {at}: leaf v{la.Var}.grad differs: {d}\n  Gradgen: {la.Grad}\n  PyTorch: {lb.Grad}";
                    // The widened (float64) runs agree too: the noise estimate above cannot hide a gradient both
                    // precisions of Gradgen get wrong.
                    var wa = a.Leaves64?.FirstOrDefault(l => l.Var == la.Var)?.Grad;
                    var wb = b.Leaves64?.FirstOrDefault(l => l.Var == la.Var)?.Grad;
                    if (wa is not null && wb is not null && wa.Shape.SequenceEqual(wb.Shape) && wa.DType == wb.DType)
                    {
                        bool saved = mixed;
                        mixed = a.WideHasFloat32;
                        // A NaN in either widened run means no estimate there, not a disagreement: the float32 runs,
                        // compared above, are the oracle (PyTorch's float32 and float64 kernels differ on NaN inputs, e.g.
                        // its vectorised ELU backward).
                        d = Values(wa, wb, false, 0, null, generatedNaN, nanIsWildcard: true);
                        mixed = saved;
                        // Reported, not failed: a few programs of the 10,000s run so far disagree here by more than rounding
                        // while their float32 runs agree within the estimate (docs/oracle.md, open).
                        if (d is not null) Warnings.Enqueue($"after {at} (program run in float64): leaf v{la.Var}.grad differs: {d}\n  Gradgen: {wa}\n  PyTorch: {wb}");
                    }
                }
            }
        }
        return null;
    }

    [ThreadStatic] static bool mixed, generatedNaN, zeroForNaN, anyForNaN;

    /// <summary>Disagreements of the float64 runs (see above), reported in the test's output.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentQueue<string> Warnings = new();

    static double MaxAbs(double[] v)
    {
        double m = 0;
        foreach (var x in v)
            if (double.IsFinite(x)) m = Math.Max(m, Math.Abs(x));
        return m;
    }

    /// <summary>
    /// Per element, the rounding error both libraries make on this chained value: |x₃₂ − x₆₄| in Gradgen plus the same
    /// in PyTorch (each against its own float64 run), where x₆₄ is the value of the same program run with every float32 tensor made float64. Where a
    /// gradient is a difference of nearly equal terms multiplied by a large factor (Σ log_softmax(x) is constant, so
    /// its gradient is 1 − n·softmax(x) ≈ 0; times the derivative of x⁵·⁵ at 5.5 that is rounding noise of ±10),
    /// the two libraries' float32 results differ by their noise, which no fixed tolerance bounds; the float64 runs
    /// measure it. Null where a run lacks the value.
    /// </summary>
    static double[]? Noise(List<LeafState>? g64, List<LeafState>? t64, int var, bool grad, TensorValue like, TensorValue torch)
    {
        var a = g64?.FirstOrDefault(l => l.Var == var);
        var b = t64?.FirstOrDefault(l => l.Var == var);
        var va = grad ? a?.Grad : a?.Value;
        var vb = grad ? b?.Grad : b?.Value;
        if (va is null || vb is null || va.V.Length != like.V.Length || vb.V.Length != like.V.Length || torch.V.Length != like.V.Length) return null;
        var n = new double[like.V.Length];
        for (int i = 0; i < n.Length; i++)
        {
            // Each library's own error: a value wrong in both of Gradgen's precisions adds nothing here.
            double e = Math.Abs(like.V[i] - va.V[i]) + Math.Abs(torch.V[i] - vb.V[i]);
            n[i] = double.IsFinite(e) ? e : 0;
        }
        return n;
    }

    /// <summary>The first element that differs beyond the tolerance, described, or null.</summary>
    static string? Values(TensorValue a, TensorValue b, bool anchored, double inputScale, double[]? noise = null, bool nanForInfinity = false, bool nanIsWildcard = false, bool updated = false)
    {
        if (a.DType != b.DType) return $"dtype {a.DType} vs {b.DType}";
        if (!a.Shape.SequenceEqual(b.Shape)) return $"shape {Fmt.Shape(a.Shape)} vs {Fmt.Shape(b.Shape)}";
        bool exact = a.DType is "int32" or "int64" or "bool";
        double rtol = a.DType == "float64" && (anchored || !mixed) ? (anchored ? AnchoredRtol64 : ChainRtol64) : (anchored ? AnchoredRtol32 : ChainRtol32);
        double scale = Math.Max(1, Math.Max(MaxAbs(b.V), inputScale));
        double big = a.DType == "float64" ? double.MaxValue / 2 : float.MaxValue / 2.0;
        for (int i = 0; i < a.V.Length; i++)
        {
            double x = a.V[i], y = b.V[i];
            bool same;
            if (exact) same = x == y;
            else if (nanIsWildcard && (double.IsNaN(x) || double.IsNaN(y))) same = true;
            else if (double.IsNaN(x) || double.IsNaN(y)) same = (double.IsNaN(x) && double.IsNaN(y)) || (nanForInfinity && !double.IsFinite(x) && !double.IsFinite(y))
                    || (zeroForNaN && (x == 0 || updated) && double.IsNaN(y))
                    || (anyForNaN && !anchored && double.IsNaN(y));
            else if (nanForInfinity && double.IsInfinity(x) && double.IsInfinity(y)) same = true;
            else if (double.IsInfinity(x) || double.IsInfinity(y))
                // At the edge of the range one library may round to the largest float and the other overflow.
                same = x == y || (!double.IsInfinity(x) && Math.Abs(x) > big && Math.Sign(x) == Math.Sign(y)) || (!double.IsInfinity(y) && Math.Abs(y) > big && Math.Sign(x) == Math.Sign(y));
            else same = Math.Abs(x - y) <= rtol * (Math.Abs(y) + scale) + 4 * (noise?[i] ?? 0);
            if (!same)
                return string.Create(CultureInfo.InvariantCulture, $"element {i}: {Oracle.Tests.Values.Format(x)} (Gradgen) vs {Oracle.Tests.Values.Format(y)} (PyTorch)");
        }
        return null;
    }
}

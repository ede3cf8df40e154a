using System.Text.RegularExpressions;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// Every place where Gradgen deliberately differs from PyTorch 1.13, or where the oracle deliberately does not
/// compare, with the reason. The oracle consults only this class: a difference not listed here fails the run.
/// docs/oracle.md summarises the list.
/// </summary>
internal static partial class DeliberateDifferences
{
    /// <summary>
    /// PyTorch's graph node names carry an overload number (<c>SubBackward0</c>, <c>RsubBackward1</c>); Gradgen's
    /// <see cref="GradFn.Name"/> leaves it out by design (docs/autograd.md), so the oracle compares names without it.
    /// Beyond that, the names must agree except for these, each Gradgen name for PyTorch name:
    /// </summary>
    static readonly (string Op, string Gradgen, string Torch, string Reason)[] GradFnNames =
    [
        // c / x: PyTorch's Tensor.__rtruediv__ computes x.reciprocal() * c, so its result is MulBackward0 above a
        // ReciprocalBackward0. Gradgen divides in one node (the quotient's derivative in one pass, no reciprocal
        // tensor), recorded as DivBackward; the values and gradients are compared as usual.
        ("s_div", "DivBackward", "MulBackward", "one division node instead of reciprocal then product"),
        // Gradgen's Clone of a tensor that needs no copy is still a copy; PyTorch names a clone CloneBackward0: same.
    ];

    /// <summary>
    /// Operations whose graph node is not compared by name: PyTorch 1.13 names the node after the ATen kernel its
    /// decomposition ended in, which depends on the operands' ranks, layouts and the reduction (matmul is
    /// DotBackward0, MvBackward0, MmBackward0, BmmBackward0 or UnsafeViewBackward0; reshape is ViewBackward0 or
    /// the 1.13-only ReshapeAliasBackward0; linear of a 1-D input is AddBackward0 above a matrix–vector product),
    /// while Gradgen records each of these operations as one node of its own (one fused pass: LinearBackward is
    /// AddmmBackward/MmBackward, the losses fuse their reduction or record it as Sum/Mean, logsumexp and
    /// cross-entropy are composed of recorded primitives). requires_grad, is_leaf, values and gradients are still
    /// compared for all of them.
    /// </summary>
    static readonly Dictionary<string, string> GradFnNotCompared = new()
    {
        ["matmul"] = "PyTorch's node follows the kernel chosen by rank (Dot/Mv/Mm/Bmm/UnsafeView/Expand)",
        ["linear"] = "PyTorch decomposes by the input's rank (Addmm, Add over Mv, UnsafeView); Gradgen records one LinearBackward",
        ["reshape"] = "PyTorch 1.13 records _reshape_alias (ReshapeAliasBackward0) where Gradgen records a view",
        ["flatten"] = "as reshape",
        ["mse"] = "Gradgen fuses the reduced loss (MseLossBackward) and composes the unreduced one",
        ["bce_logits"] = "Gradgen records the elementwise loss and then its reduction (Sum/Mean)",
        ["cross_entropy"] = "Gradgen fuses [N, C] with class indices and composes the rest (Neg, Sum, Mean)",
        ["logsumexp"] = "Gradgen composes max + log(sum(exp(x - max))) of recorded primitives",
        ["gelu"] = "Gradgen names the two forms GeluErfBackward and GeluTanhBackward",
        ["t"] = "PyTorch's T is a permute (PermuteBackward0); Gradgen's is a transpose, and a no-op below 2-D",
        ["slice"] = "PyTorch records a slice that keeps the whole dimension as AliasBackward0",
        ["add_"] = "an in-place step: PyTorch rebases a modified view (AsStridedBackward0, CopySlices); Gradgen does not record in-place steps",
        ["mul_s_"] = "as add_",
        ["fill_"] = "as add_",
        ["amax"] = "Gradgen's Max(dim) of a 0-D tensor is the full Max (MaxBackward)",
    };

    /// <summary>The grad_fn names Gradgen and PyTorch give a step's result, without overload numbers, agree or differ as listed.</summary>
    public static bool SameGradFn(string op, string? gradgen, string? torch, Observation? gradgenInput = null, Observation? torchInput = null)
    {
        // A step that returned its input (Contiguous of a contiguous tensor, To of its own dtype, an in-place step)
        // has the input's node: compared there already.
        if (gradgenInput is not null && torchInput is not null && gradgen == gradgenInput.GradFn && torch == torchInput.GradFn) return true;
        if (gradgen is not null && torch is not null && GradFnNotCompared.ContainsKey(op)) return true;
        // Contiguous of an elementwise result computed from a permuted tensor: Gradgen's elementwise results are
        // always row-major, so Contiguous returns the tensor itself; PyTorch's keep the input's permuted layout
        // (TensorIterator), so Contiguous copies (CloneBackward0). The values are the same.
        if (op == "contiguous" && gradgenInput is not null && gradgen == gradgenInput.GradFn && Strip(torch) == "CloneBackward") return true;
        string? g = Strip(gradgen), t = Strip(torch);
        if (g == t) return true;
        foreach (var (o, gn, tn, _) in GradFnNames)
        {
            if (o == op && gn == g && tn == t) return true;
        }
        return false;
    }

    public static string? Strip(string? name) => name is null ? null : TrailingDigits().Replace(name, "");

    [GeneratedRegex("[0-9]+$")]
    private static partial Regex TrailingDigits();

    /// <summary>
    /// Where exactly one library refuses a step, the documented reason that makes this deliberate, or null (a failure).
    /// </summary>
    public static string? Rejection(Step s, Observation gradgen, Observation torch, IReadOnlyList<Observation> gradgenSoFar)
    {
        bool gRefused = gradgen.Error is not null;
        var ins = gradgen.Inputs ?? [];
        if (gRefused)
        {
            // MSELoss: PyTorch broadcasts input and target with a warning ("Using a target size that is different to
            // the input size ... will likely lead to incorrect results"); Gradgen refuses different shapes, as
            // documented in docs/nn.md, because the broadcast is almost always a bug in the caller's shapes.
            if (s.Op == "mse" && ins.Count == 2 && ins[0] is { } a && ins[1] is { } b && !a.Shape.SequenceEqual(b.Shape))
                return "MSELoss refuses to broadcast (docs/nn.md)";
            // In-place operations on a tensor that requires grad: Gradgen does not record them (docs/autograd.md)
            // and refuses them with the out-of-place form to use; PyTorch records them (CopyBackwards etc.).
            if (s.Op is "add_" or "mul_s_" or "fill_" && gradgen.Error!.Contains("in-place operations on tensors that require grad", StringComparison.Ordinal))
                return "in-place operations on tensors that require grad are refused (not recorded)";
            // IndexSelect of a 0-D tensor with other than one position: PyTorch 1.13 returns one 0-D value whatever
            // the index's length (the element, or 0 for an empty index); Gradgen refuses, naming the index's shape.
            if (s.Op == "index_select" && ins.Count == 2 && ins[0] is { Shape.Length: 0 } && gradgen.Error!.Contains("a 0-D tensor holds one element", StringComparison.Ordinal))
                return "IndexSelect of a 0-D tensor takes exactly one position";
            // Gather with Int32 indices: PyTorch requires Int64 for gather (index_select takes both); Gradgen takes
            // both for both, as it does elsewhere.
            if (s.Op == "gather" && ins.Count == 2 && ins[1]?.DType == "int32") return "Gather accepts Int32 indices";
            // Linear and MatMul of different floating dtypes: PyTorch skips its dtype check when an operand is empty
            // (no kernel runs); Gradgen refuses mixed dtypes whatever the sizes, as PyTorch does for non-empty ones.
            if (s.Op is "linear" or "matmul" && gradgen.Error!.Contains("dtype", StringComparison.Ordinal) && ins.Any(x => x is { V.Length: 0 }))
                return "mixed dtypes refused even where an operand is empty";
            // Cross-entropy of K-dimensional logits [N, C, d1, ...]: Gradgen takes [N, C] and [C] only (docs/nn.md).
            // A second backward without retainGraph through a node whose saved tensors were freed: Gradgen refuses
            // as soon as it reaches the node; PyTorch only where it reads a freed tensor (not, for example, for an
            // input that needs no gradient).
            if (s.Op == "backward" && gradgen.Error!.Contains("backward through the graph a second time", StringComparison.Ordinal))
                return "a second backward through a freed node is refused even where PyTorch reads no freed tensor";
            if (s.Op == "cross_entropy" && gradgen.Error!.Contains("must be [N, C] or [C]", StringComparison.Ordinal))
                return "cross-entropy of K-dimensional logits is not supported";
            // Cat of 1-D tensors of shape [0] along another dimension: PyTorch keeps its legacy rule of skipping such
            // tensors whatever the dimension; Gradgen checks the dimension against every operand.
            if (s.Op == "cat" && ins.Any(x => x is { Shape: [0] }) && gradgen.Error!.Contains("out of range", StringComparison.Ordinal))
                return "Cat checks the dimension also against 1-D empty tensors (PyTorch's legacy skip)";
            // Tensor.T of a tensor of more than two dimensions: deprecated in PyTorch 1.13 (a warning, it reverses
            // the dimensions) and an error in later versions; Gradgen refuses it and names Permute/Transpose.
            if (s.Op == "t" && ins.Count == 1 && ins[0]!.Shape.Length > 2)
                return "T of a tensor of more than two dimensions is refused (deprecated in PyTorch)";
        }
        else
        {
            // A second backward through a graph without retainGraph: PyTorch refuses once any node of it had saved
            // tensors freed; Gradgen keeps the saved tensors of nodes that read no buffer of the pool and frees the
            // rest, so it accepts more second passes (the values and gradients it gives are those of a retained graph).
            // IndexSelect along a dimension of size 0 with an empty index: PyTorch refuses ("self indexing axis dim
            // should be positive"), Gradgen returns the empty result, which is what the selection of no positions is.
            if (s.Op == "index_select" && torch.Error!.Contains("self indexing axis dim should be positive", StringComparison.Ordinal))
                return "IndexSelect of no positions along an empty dimension gives the empty result";
            // View of a layout PyTorch's stride computation refuses but whose elements Gradgen can still address with
            // strides (size-1 and zero-stride dimensions): Gradgen returns the view; the values are those of Reshape.
            if (s.Op == "view" && torch.Error!.Contains("view size is not compatible", StringComparison.Ordinal))
                return "View succeeds on some layouts PyTorch's computeStride refuses";
            // PyTorch 1.13's mse_loss backward fails when input and target have different floating dtypes ("Found
            // dtype Double but expected Float", a PyTorch defect); Gradgen computes the gradient in the promoted dtype.
            // Pow(x, y) saves its inputs only, PyTorch's also its output: modifying the output in place (under
            // NoGrad) breaks PyTorch's backward but not Gradgen's, whose gradient reads only unmodified inputs.
            if (s.Op == "backward" && torch.Error!.Contains("which is output 0 of PowBackward", StringComparison.Ordinal))
                return "Pow saves only its inputs";
            if (s.Op == "backward" && torch.Error!.Contains("Found dtype", StringComparison.Ordinal))
                return "PyTorch's backward of a loss of mixed float dtypes fails";
            // PyTorch 1.13's backward of IndexSelect on a 0-D tensor fails ("Dimension specified as 0 but tensor has
            // no dimensions"); Gradgen gives the selected element its gradient.
            if (s.Op == "backward" && torch.Error!.Contains("Dimension specified as 0 but tensor has no dimensions", StringComparison.Ordinal)
                && gradgenSoFar.Any(o => o.GradFn == "IndexSelectBackward" && o.Value is { Shape.Length: 0 }))
                return "PyTorch cannot backward through IndexSelect of a 0-D tensor";
            if (s.Op == "backward" && torch.Error!.Contains("backward through the graph a second time", StringComparison.Ordinal))
                return "a second backward through a freed graph is accepted by Gradgen where no saved buffer was freed";
        }
        return null;
    }

    /// <summary>
    /// Composite functions whose derivative Gradgen's generator writes as a sum of terms each multiplied by the
    /// incoming gradient (g·½(1 + erf(x/√2)) + g·x·φ(x) for GELU), where PyTorch's hand-written backward multiplies
    /// once (g·(Φ(x) + x·φ(x))): an infinite incoming gradient (from log at 0, say) meets the zero term x·φ(x) at
    /// x = 0 as ∞·0 = NaN in Gradgen and gives ±∞ in PyTorch. In programs using them, a NaN gradient in Gradgen
    /// matches ±∞ in PyTorch, and so does a NaN parameter after an optimizer step took that gradient.
    /// Likewise Pow with a scalar exponent p: its derivative p·x^(p−1) at x = −∞ with p − 1 = ±½ is ±∞ in Gradgen
    /// (pow(−∞, ½) = +∞ in IEEE) and NaN in PyTorch (x^½ computed as √x), and at x = −0 with p − 1 = −½ it is +∞ in
    /// Gradgen (pow(−0, −½)) and −∞ in PyTorch (1/√−0). Gradients and updated parameters of
    /// programs using these steps accept any non-finite value against any other. Left open: custom backward formulas
    /// ([Differentiable(Backward = …)]) would align them.
    /// </summary>
    public static readonly HashSet<string> GeneratedDerivativeNaN = ["gelu", "silu", "softplus", "elu", "pow_s"];

    /// <summary>
    /// ELU's gradient at a NaN input: PyTorch's scalar loop tests x ≤ 0 (false for NaN: the gradient is g), its
    /// vectorised loop x &gt; 0 (false for NaN: the negative branch, NaN), so PyTorch's answer depends on whether the
    /// element fell in a whole vector (4 float64 or 8 float32 lanes, twice) or in the tail; Gradgen gives g
    /// everywhere, as PyTorch's scalar definition does (OracleFindingsTests). In programs using it, any gradient or
    /// updated parameter in Gradgen matches NaN in PyTorch.
    /// </summary>
    public static readonly HashSet<string> VectorisedNaNGradient = ["elu"];

    /// <summary>
    /// Pow(x, y)'s derivative for the exponent at x = 0, y ≥ 0 is 0 in both libraries, but PyTorch multiplies the
    /// incoming gradient by the masked 0 (∞·0 = NaN when the incoming gradient is infinite, as from √ at 0) where
    /// Gradgen selects 0 after multiplying. In programs using it, a gradient 0 in Gradgen matches NaN in PyTorch, and
    /// a parameter an optimizer updated with it matches NaN (open, like the generated derivatives above).
    /// </summary>
    public static readonly HashSet<string> MaskedZeroGradient = ["pow_t"];

    /// <summary>
    /// Restrictions of the generator (Generator.cs), each because the two libraries' answers legitimately differ
    /// there and no single expected value exists:
    /// <list type="bullet">
    /// <item>Steps whose result jumps with its input (comparisons, ArgMax/ArgMin, the indices of Min(dim), a
    /// conversion to an integer dtype) only take inputs that both libraries compute exactly (dyadic data through
    /// exact operations: views, +, −, × within the mantissa, sums, Max/Min, Where…): on rounded values a
    /// difference in the last bit between the libraries' kernels would flip the result.</item>
    /// <item>Adam, AdamW, RMSprop and Adagrad step only with gradients both libraries compute exactly: they divide
    /// the gradient by its own running magnitude, so a gradient of 1e-9 in one library and 0 in the other (a
    /// rounding difference) moves the parameter by the whole learning rate in one and not at all in the other.</item>
    /// <item>Bool and integer tensors go only into operations where both libraries define them alike. Gradgen
    /// computes a Bool or integer input of an elementwise function in Float32 (and Bool arithmetic in Int64, integer
    /// Pow in Float32, Clamp of an integer tensor keeps its dtype), where PyTorch has no kernel for some
    /// (abs/neg/relu/sub/pow/argmax of Bool, elu/gelu/silu/softplus/leaky_relu of integers) or keeps Bool/integer
    /// results; Gradgen's Linear, MatMul of Bool, softmax/log-softmax and the losses take floating tensors only,
    /// where PyTorch also accepts integer ones. In-place steps on integer tensors are not generated either
    /// (MulInPlace of an integer tensor by a fractional scalar truncates; PyTorch refuses the cast).</item>
    /// <item>Views (View, Reshape, Transpose, Select, Expand…) are not taken under NoGrad: PyTorch 1.13 marks a view
    /// made in no-grad mode of a tensor that requires grad as requiring grad, without a grad_fn and is_leaf true (it
    /// then refuses to modify it in place or to differentiate through it); Gradgen's results under NoGrad never
    /// require grad, views included, as every other result there.</item>
    /// <item>Adam, AdamW, RMSprop and Adagrad take a weight decay of 0 or 0.25: PyTorch adds wd·p to the gradient
    /// in one fused multiply-add, Gradgen rounds the product first; where g + wd·p cancels (g = −0.5, p = 5,
    /// wd = 0.1) one library gets 0 and the other 7e-9, and the adaptive step turns that into a whole step of the
    /// learning rate. A power of two makes the product exact in both.</item>
    /// <item>Cross-entropy over zero classes is not generated: PyTorch's mean divides by 0/0 samples (NaN), Gradgen
    /// gives 0.</item>
    /// <item>After an optimizer step or an in-place step, the results computed before it are not used again (leaves
    /// and the modified copies are). PyTorch regenerates the grad_fn of a view whose base was modified in place
    /// (AsStridedBackward0) and checks the version of a saved tensor only when a needed gradient reads it; Gradgen
    /// records no in-place step, does not rebase views, and checks every saved tensor of a node at backward (so it
    /// refuses, for example, the backward of Linear(x, w) for w's gradient after x was updated, where PyTorch
    /// computes it from the updated x's unread slot). Only copies (Clone) are modified in place, never views.</item>
    /// <item>After a backward without retainGraph, the results computed before it are used again in only about a
    /// third of the programs (a second backward through freed nodes): enough to meet the case without making most
    /// programs end in that refusal.</item>
    /// <item>A float is converted to an integer dtype only where finite and within ±2³¹: PyTorch's result is
    /// undefined there (C++ undefined behaviour).</item>
    /// </list>
    /// </summary>
    public const string GeneratorRestrictions = "see the remarks above";
}

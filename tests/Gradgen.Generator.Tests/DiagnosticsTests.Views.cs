using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>
/// Diagnostics of a model's views (Expand, ExpandAs, Permute, Select, stepped Slice, the indexer): sizes and dims the
/// code shows that cannot fit are compile-time shape errors at the call (at the index, for the indexer), with the
/// input's shape and the sizes or dims asked for. Each source
/// fails at every rank the compiler tries (2 and 3); the message is the rank-2 attempt's.
/// </summary>
public sealed partial class DiagnosticsTests
{
    [Fact]
    public void GG0017_AnExpandOfASizeThatIsNeitherOneNorTheTargetShowsBothShapes() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Expand(-1, 5)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "In model 'Net', 'a.Forward(x).Expand(-1, 5)' cannot expand [B0, 3] to [-1, 5]: dim 1 has size 3, which is neither 1 nor 5");

    [Fact]
    public void GG0017_AnExpandThatKeepsTheSizeOfANewLeadingDim() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Expand(-1, 2, -1, -1)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x).Expand(-1, 2, -1, -1)' cannot expand [B0, 3] to [-1, 2, -1, -1]: -1 keeps a size, and the new leading dim 0 has none");

    [Fact]
    public void GG0017_APermuteThatRepeatsADim() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Permute(1, -1)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x).Permute(1, -1)' permutes [B0, 3] by [1, -1], which is not a permutation of its dims: -1 is repeated");

    [Fact]
    public void GG0017_APermuteOfTheWrongLength() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Permute(new[] { 0, 1, 2, 3 })|];
        }
        """, DiagnosticSeverity.Error, messageContains: "permutes [B0, 3] by [0, 1, 2, 3], which has 4 dims, not 2");

    [Fact]
    public void GG0017_ASelectPastTheEndOfAConstantSize() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Select(-1, -4)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x).Select(-1, -4)' selects index -4 of dim 1 of [B0, 3], whose size is 3");

    [Fact]
    public void GG0017_ASliceWithAStepOfZero() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).Slice(-1, 0, 3, 0)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x).Slice(-1, 0, 3, 0)' slices dim 1 of [B0, 3] by step 0: the step must be at least 1");

    [Fact]
    public void GG0017_ASteppedSliceOfAConstantSizeHasItsLengthAtCompileTime() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 8), head = new(3, 1);
            public override Tensor Forward(Tensor x) => [|head.Forward(a.Forward(x).Slice(1, -7, 100, 2))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'head' takes 3 input features, but its input has shape [B0, 4]");

    [Fact]
    public void GG0017_ASliceWhoseStepPassesTheEndTakesOnePosition() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 8), head = new(3, 1);
            public override Tensor Forward(Tensor x) => [|head.Forward(a.Forward(x).Slice(1, 1, 8, int.MaxValue))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'head' takes 3 input features, but its input has shape [B0, 1]");

    [Fact]
    public void GG0016_APermuteByADimThatIsNotConstant() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            int last = 1;
            public override Tensor Forward(Tensor x) => a.Forward(x).Permute([|last|], 0);
        }
        """, DiagnosticSeverity.Info, messageContains: "'last' is not a constant int");

    [Fact]
    public void GG0016_AnExpandToASizeThatIsNeitherConstantNorATensorsSize() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 1);
            int width = 5;
            public override Tensor Forward(Tensor x) => a.Forward(x).Expand(-1, [|width|]);
        }
        """, DiagnosticSeverity.Info, messageContains: "'width' is not a constant int or a tensor's size");

    [Fact]
    public void GG0017_AnExpandAsOfASizeThatIsNeitherOneNorTheOthersShowsBothShapes() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3), b = new(4, 5);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).ExpandAs(b.Forward(x))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "In model 'Net', 'a.Forward(x).ExpandAs(b.Forward(x))' cannot expand [B0, 3] to [B0, 5]: dim 1 has size 3, which is neither 1 nor 5");

    [Fact]
    public void GG0017_AnExpandAsOfATensorWithFewerDims() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x).ExpandAs(a.Forward(x).Sum(-1))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x).ExpandAs(a.Forward(x).Sum(-1))' cannot expand [B0, 3] to [B0]: the target has fewer dims");

    // Flatten(1) makes the layer's output [B0, 3] at either input rank the compiler tries.
    [Fact]
    public void GG0017_AnIndexPastTheEndOfAConstantSizeIsReportedAtTheIndex() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => a.Forward(x.Flatten(1))[.., [|3|]];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x.Flatten(1))[.., 3]' selects index 3 of dim 1 of [B0, 3], whose size is 3");

    [Fact]
    public void GG0017_AFromEndIndexBeforeTheStartOfAConstantSize() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => a.Forward(x.Flatten(1))[.., [|^4|]];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x.Flatten(1))[.., ^4]' selects index -4 of dim 1 of [B0, 3], whose size is 3");

    [Fact]
    public void GG0017_HatZeroIsPastTheEndEvenOfABatchDim() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => a.Forward(x)[[|^0|]];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x)[^0]' selects ^0 of dim 0 of [B0, 3]: ^0 is one past the end of any size");

    [Fact]
    public void GG0017_MoreIndicesThanDims() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x)[0, 0, 0, 0]|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x)[0, 0, 0, 0]' gives 4 indices for [B0, 3], which has 2 dims");

    [Fact]
    public void GG0017_ANegativeRangeBoundIsAnErrorAtTheBound() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => a.Forward(x)[.., [|-2|]..];
        }
        """, DiagnosticSeverity.Error, messageContains: "'a.Forward(x)[.., -2..]' has the index '-2', which is negative: System.Index throws for it (write ^2 to count from the end)");

    [Fact]
    public void GG0016_AnIndexThatIsNotConstant() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            int last = 1;
            public override Tensor Forward(Tensor x) => a.Forward(x)[.., [|last|]];
        }
        """, DiagnosticSeverity.Info, messageContains: "'a.Forward(x)[.., last]' indexes with 'last', which is not a constant int or a loop variable of constant bounds");

    [Fact]
    public void GG0016_ARangeBoundThatIsNotConstant() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            int first = 1;
            public override Tensor Forward(Tensor x) => a.Forward(x)[.., ^[|first|]..];
        }
        """, DiagnosticSeverity.Info, messageContains: "indexes with 'first', which is not a constant int");

    [Fact]
    public void GG0016_ABooleanMaskIndexer() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3);
            public override Tensor Forward(Tensor x) => [|a.Forward(x)[x.Gt(0)]|];
        }
        """, DiagnosticSeverity.Info, messageContains: "'a.Forward(x)[x.Gt(0)]' indexes by a boolean mask, whose result's size depends on the mask's values (not static)");
}

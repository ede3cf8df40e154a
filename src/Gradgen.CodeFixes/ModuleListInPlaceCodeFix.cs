using System.Collections.Generic;
using System.Composition;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0016 at <c>layers.Add(new Linear(…))</c> inside a loop of constant count (<c>for (int i = 0; i &lt; 3; i++)</c>):
/// the graph compiler reads a ModuleList's modules only where the list is created, so the fix unrolls the loop into
/// the creation, <c>new ModuleList&lt;Linear&gt;(new Linear(…0…), new Linear(…1…), new Linear(…2…))</c>, with the loop
/// variable replaced by each value and integer arithmetic on it folded, and removes the loop. Offered when the loop's
/// bounds are constants, its body is that one <c>Add</c>, and the list's one creation is in the same file with no
/// modules yet.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ModuleListInPlaceCodeFix)), Shared]
public sealed class ModuleListInPlaceCodeFix : SingleDiagnosticCodeFix<InvocationExpressionSyntax>
{
    // The graph compiler's ForwardLowerer.MaxUnrolledIterations: a longer list would not compile either.
    private const int MaxModules = 256;

    /// <summary>Creates the fix.</summary>
    public ModuleListInPlaceCodeFix()
        : base(DiagnosticIds.ModelNotCompiled, new FixOption("Create the list with its modules as arguments (unroll the loop that adds them)", DiagnosticIds.ModelNotCompiled + ".ModuleListInPlace"))
    {
    }

    /// <summary>The <c>Add</c> call the diagnostic spans exactly (GG0016 reports many constructs; this fix is for one).</summary>
    protected override InvocationExpressionSyntax? Target(SyntaxNode root, Diagnostic diagnostic) =>
        SyntaxLookup.Enclosing<InvocationExpressionSyntax>(root, diagnostic.Location) is { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Add" } } call
            && call.Span == diagnostic.Location.SourceSpan ? call : null;

    /// <inheritdoc/>
    protected override bool CanFix(FixDocument document, InvocationExpressionSyntax target) => Plan(document, target) is not null;

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<InvocationExpressionSyntax, Diagnostic> targets, FixOption option)
    {
        var plans = targets.Keys.Select(t => Plan(document, t)!).ToList();
        var root = document.Root.TrackNodes(plans.SelectMany(p => new SyntaxNode[] { p.Creation, p.Loop }));
        foreach (var plan in plans)
        {
            var creation = root.GetCurrentNode(plan.Creation)!;
            var arguments = SyntaxFactory.SeparatedList(plan.Modules.Select(SyntaxFactory.Argument));
            root = root.ReplaceNode(creation, creation.WithArgumentList(SyntaxFactory.ArgumentList(arguments)).WithTriviaFrom(creation));
            root = root.RemoveNode(root.GetCurrentNode(plan.Loop)!, SyntaxRemoveOptions.KeepNoTrivia)!;
        }

        return root;
    }

    /// <summary>What the fix writes: the list's creation gets <see cref="Modules"/> as arguments, and <see cref="Loop"/> goes.</summary>
    private sealed class Unrolling
    {
        public Unrolling(BaseObjectCreationExpressionSyntax creation, ForStatementSyntax loop, IReadOnlyList<ExpressionSyntax> modules)
        {
            Creation = creation;
            Loop = loop;
            Modules = modules;
        }

        public BaseObjectCreationExpressionSyntax Creation { get; }

        public ForStatementSyntax Loop { get; }

        public IReadOnlyList<ExpressionSyntax> Modules { get; }
    }

    /// <summary>The list's creation, the loop and the module expressions, one per iteration; null where the fix does not apply.</summary>
    private static Unrolling? Plan(FixDocument document, InvocationExpressionSyntax add)
    {
        var model = document.Model;
        var ct = document.CancellationToken;
        if (add.ArgumentList.Arguments.Count != 1 || add.Parent is not ExpressionStatementSyntax statement
            || (statement.Parent is BlockSyntax { Statements.Count: 1 } block ? block.Parent : statement.Parent) is not ForStatementSyntax loop
            || model.GetSymbolInfo(((MemberAccessExpressionSyntax)add.Expression).Expression, ct).Symbol is not IFieldSymbol field
            || Creation(document, field) is not { } creation || creation.ArgumentList is { Arguments.Count: > 0 }
            || Iterations(model, loop, ct) is not { } iterations)
        {
            return null;
        }

        var variable = model.GetDeclaredSymbol(loop.Declaration!.Variables[0], ct)!;
        var module = add.ArgumentList.Arguments[0].Expression;
        var modules = new List<ExpressionSyntax>();
        foreach (long i in iterations)
        {
            // Every read of the loop variable becomes the iteration's value, then integer arithmetic on it is folded.
            var reads = module.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                .Where(n => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, ct).Symbol, variable));
            var substituted = module.ReplaceNodes(reads, (_, _) => IntegerFolding.Literal(i));
            modules.Add(IntegerFolding.Fold(substituted).WithoutTrivia());
        }

        return new Unrolling(creation, loop, modules);
    }

    /// <summary>The values of <c>i</c> in <c>for (int i = a; i &lt; b; i++)</c> (or <c>&lt;=</c>, <c>i += k</c>) with constants a, b, k; null otherwise.</summary>
    private static List<long>? Iterations(SemanticModel model, ForStatementSyntax loop, System.Threading.CancellationToken ct)
    {
        // (List patterns need System.Index, which netstandard2.0 lacks: counts and indexes instead.)
        if (loop.Declaration is not { Variables.Count: 1 } declaration || declaration.Variables[0] is not { Initializer: { } initializer } declarator
            || loop.Initializers.Count != 0 || loop.Condition is not BinaryExpressionSyntax condition || loop.Incrementors.Count != 1
            || model.GetDeclaredSymbol(declarator, ct) is not ILocalSymbol variable
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(condition.Left, ct).Symbol, variable)
            || Constant(model, initializer.Value, ct) is not { } start || Constant(model, condition.Right, ct) is not { } bound)
        {
            return null;
        }

        long? step = loop.Incrementors[0] switch
        {
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression } => 1,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression } => 1,
            AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression } assignment => Constant(model, assignment.Right, ct),
            _ => null,
        };
        if (step is not > 0 || condition.Kind() is not (SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression))
        {
            return null;
        }

        var values = new List<long>();
        for (long i = start; condition.IsKind(SyntaxKind.LessThanExpression) ? i < bound : i <= bound; i += step.Value)
        {
            if (values.Count == MaxModules)
            {
                return null;
            }

            values.Add(i);
        }

        return values.Count > 0 ? values : null;
    }

    /// <summary>The one object creation assigned to <paramref name="field"/> in this document (initializer or assignment), or null.</summary>
    private static BaseObjectCreationExpressionSyntax? Creation(FixDocument document, IFieldSymbol field)
    {
        var values = new List<ExpressionSyntax>();
        foreach (var node in document.Root.DescendantNodes())
        {
            if (node is VariableDeclaratorSyntax { Initializer: { } initializer } declarator
                && SymbolEqualityComparer.Default.Equals(document.Model.GetDeclaredSymbol(declarator, document.CancellationToken), field))
            {
                values.Add(initializer.Value);
            }
            else if (node is AssignmentExpressionSyntax assignment
                && SymbolEqualityComparer.Default.Equals(document.Model.GetSymbolInfo(assignment.Left, document.CancellationToken).Symbol, field))
            {
                values.Add(assignment.Right);
            }
        }

        return values.Count == 1 && values[0] is BaseObjectCreationExpressionSyntax creation ? creation : null;
    }

    private static long? Constant(SemanticModel model, ExpressionSyntax expression, System.Threading.CancellationToken ct) =>
        model.GetConstantValue(expression, ct) is { HasValue: true, Value: int or long } constant ? System.Convert.ToInt64(constant.Value, CultureInfo.InvariantCulture) : null;
}

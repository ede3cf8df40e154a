using System.Linq;
using Gradgen.Generator.Emitters.CSharp;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Models;
using Gradgen.Generator.Parsing;
using Gradgen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator;

/// <summary>The names of the pipeline's steps, for <c>WithTrackingName</c> and the incremental-caching tests.</summary>
internal static class StepNames
{
    public const string Parse = nameof(Parse);
    public const string Plan = nameof(Plan);
    public const string Loop = nameof(Loop);
    public const string Group = nameof(Group);
    public const string ParseModel = nameof(ParseModel);
    public const string GraphModel = nameof(GraphModel);
    public const string EagerVjp = nameof(EagerVjp);
}

/// <summary>
/// The [Differentiable] generator. Each step's output is a plain, equatable value, so an edit that does not change a
/// function leaves every step after Parse cached. It emits code only, and nothing for a method or model with errors:
/// the GG diagnostics come from <see cref="Analysis.GradgenAnalyzer"/>, which runs the same parsers.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DifferentiableGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Find + Parse: the attribute index makes finding cheap; the transform is the only step that touches the
        // semantic model, and it binds with SemanticModels' (shared, no nullable analysis), not the one Roslyn hands it. It reruns for every method when the compilation changes, so it reuses a method's parse
        // while no file the parse read has changed (ParseCache), and its equatable result stops the cascade.
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                FunctionParser.AttributeMetadataName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, cancellationToken) =>
                {
                    var model = SemanticModels.Of(context.SemanticModel.Compilation, context.TargetNode.SyntaxTree);
                    return ParseCache.GetOrParse(context.TargetNode, model, () => FunctionParser.Parse(context, model, cancellationToken), cancellationToken);
                })
            .WithTrackingName(StepNames.Parse);

        // Differentiate and plan: reverse mode, simplification and the three fused kernels per function.
        var planned = parsed
            .Where(static result => result.Function is not null)
            .Select(static (result, _) => new PlannedFunction(
                result.Function!.Signature,
                KernelPlanner.Plan(result.Function.Body, result.Function.Signature.ParameterNames, result.Function.Signature.IsFloat)))
            .WithTrackingName(StepNames.Plan);

        // One file per containing type: group the functions by the type's metadata name.
        var groups = planned
            .Collect()
            .SelectMany(static (functions, _) => functions
                .GroupBy(f => f.Signature.MetadataName)
                .OrderBy(g => g.Key, System.StringComparer.Ordinal)
                .Select(g => new TypeGroup(g.Key, g.OrderBy(f => f.Signature.Name, System.StringComparer.Ordinal).ToEquatableArray())))
            .WithTrackingName(StepNames.Group);

        // Emit + Output: C# and CUDA C from the same plan.
        context.RegisterSourceOutput(groups, static (output, group) =>
            output.AddSource(HintName(group.MetadataName, ".g.cs"), CSharpEmitter.Emit(group)));

        // Functions over spans, arrays and loops: reverse mode with a tape, one file per function.
        var loops = parsed
            .Where(static result => result.Loop is not null)
            .Select(static (result, _) => result.Loop!)
            .WithTrackingName(StepNames.Loop);
        context.RegisterSourceOutput(loops, static (output, function) =>
            output.AddSource(HintName(function.Declaration.MetadataName, "." + function.Declaration.Name + ".g.cs"), LoopEmitter.Emit(function)));

        // Models: partial classes deriving from Gradgen.Nn.Module. The predicate is syntax only; the transform checks
        // the base type, lowers Forward to a tensor graph and differentiates it. Roslyn reruns it for every
        // candidate when the compilation changes, so it too reuses a model's parse while the files it read are unchanged.
        var models = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => ModelParser.IsCandidate(node),
                static (context, cancellationToken) =>
                {
                    var model = SemanticModels.Of(context.SemanticModel.Compilation, context.Node.SyntaxTree);
                    return ParseCache.GetOrParse(context.Node, model, () => ModelParser.Parse((ClassDeclarationSyntax)context.Node, model, cancellationToken), cancellationToken);
                })
            .Where(static result => result is not null)
            .WithTrackingName(StepNames.ParseModel);

        // Each model's tensor graph, differentiated in the parse step, planned and written here.
        var graphs = models
            .Where(static result => result!.Graph is not null)
            .Select(static (result, _) => result!.Graph!)
            .WithTrackingName(StepNames.GraphModel);
        context.RegisterSourceOutput(graphs, static (output, model) =>
            output.AddSource(HintName(model.MetadataName, ".Model.g.cs"), GraphModelEmitter.Emit(model)));

        // The runtime's eager backward functions ([EagerVjp], Gradgen.Runtime only): one-op graphs through the same
        // rules, planner and step writer, one file per type.
        var eager = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                EagerVjpParser.AttributeMetadataName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, _) => EagerVjpParser.Parse(context))
            .Where(static function => function is not null)
            .Collect()
            .SelectMany(static (functions, _) => functions
                .GroupBy(f => f!.MetadataName)
                .OrderBy(g => g.Key, System.StringComparer.Ordinal)
                .Select(g => new EagerVjpType(g.First()!.Namespace, g.First()!.ContainingTypes, g.Key, g.Select(f => f!.Method).OrderBy(m => m.Name, System.StringComparer.Ordinal).ToEquatableArray())))
            .WithTrackingName(StepNames.EagerVjp);
        context.RegisterSourceOutput(eager, static (output, type) =>
            output.AddSource(HintName(type.MetadataName, ".EagerVjp.g.cs"), EagerVjpEmitter.Emit(type)));
    }

    /// <summary>
    /// A file name for a type's generated source: nested types' <c>+</c> becomes <c>.</c>, and every character a hint
    /// name may not hold (<c>`</c> of generic arity, the <c>&lt;</c> and <c>&gt;</c> of a <c>file</c>-local class's
    /// metadata name) becomes <c>_</c>.
    /// </summary>
    internal static string HintName(string metadataName, string suffix)
    {
        var chars = metadataName.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            chars[i] = c == '+' ? '.' : char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_';
        }

        return new string(chars) + suffix;
    }
}

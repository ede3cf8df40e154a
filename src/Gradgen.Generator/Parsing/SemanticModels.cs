using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// The semantic models the generator binds with: one per syntax tree of a compilation, shared by every parse of that
/// compilation, and without nullable analysis.
/// </summary>
/// <remarks>
/// <para>
/// <c>Compilation.GetSemanticModel</c> makes a new model on each call, and a new model binds a method body again. The
/// parsers look outside the declaration they parse (the bodies of the <c>[Differentiable]</c> functions it calls, the
/// declarations of a model's fields and Forward), so each of those bodies was bound once per caller.
/// </para>
/// <para>
/// The model Roslyn hands a generator's transform also runs the nullable analysis of every body it binds, which
/// was more than a quarter of the generator's time (docs/benchmarks.md §9.2). The parsers never read nullability (the
/// types they accept are numbers, spans and model classes, compared without annotations), and the compiler reports
/// nullable warnings from its own models, so these models skip it. The option is marked experimental (RSEXPERIMENTAL001)
/// in Roslyn 4.14, the version the package references.
/// </para>
/// <para>The models live as long as their compilation.</para>
/// </remarks>
internal static class SemanticModels
{
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, SemanticModel>> ByCompilation = new();

    /// <summary>The shared model of <paramref name="tree"/> in <paramref name="compilation"/>.</summary>
    public static SemanticModel Of(Compilation compilation, SyntaxTree tree)
    {
        var models = ByCompilation.GetValue(compilation, static _ => new ConcurrentDictionary<SyntaxTree, SemanticModel>());
        return models.TryGetValue(tree, out var model) ? model : models.GetOrAdd(tree, Create(compilation, tree));
    }

    /// <summary>
    /// <paramref name="model"/> itself for its own tree (the model the parse started with, which already bound the
    /// declaration), else the shared model of <paramref name="tree"/>.
    /// </summary>
    public static SemanticModel For(SemanticModel model, SyntaxTree tree) =>
        tree == model.SyntaxTree ? model : Of(model.Compilation, tree);

#pragma warning disable RSEXPERIMENTAL001 // SemanticModelOptions.DisableNullableAnalysis: see the remarks above.
    private static SemanticModel Create(Compilation compilation, SyntaxTree tree) =>
        compilation.GetSemanticModel(tree, SemanticModelOptions.DisableNullableAnalysis);
#pragma warning restore RSEXPERIMENTAL001
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Remembers what the parser made of a declaration across the compilations of one editing session, so that a
/// keystroke elsewhere does not bind every <c>[Differentiable]</c> body again.
/// </summary>
/// <remarks>
/// <para>
/// ForAttributeWithMetadataName reruns its transform for every attributed method whenever the compilation changes,
/// which in the IDE is every keystroke in any file; binding the method bodies is almost all of that time
/// (docs/benchmarks.md, "The generator"). The IDE keeps the <see cref="SyntaxTree"/> objects of the files that did not
/// change, so a parse can be reused while the new compilation still holds every tree it read: the declaration's own,
/// the trees declaring the symbols its body refers to, and, through the source methods it calls (the
/// <c>[Differentiable]</c> functions the parser inlines), theirs. The references and options must be the same too.
/// An edit of any of those files replaces its tree, and the entry is not used.
/// </para>
/// <para>
/// Not seen: a new declaration in another file that changes what a name in the body binds to (a new overload, a
/// type that shadows <c>Math</c>). The next edit of a file the parse read picks it up, and a build parses every file
/// anew, so what the compiler writes to disk never comes from this cache.
/// </para>
/// <para>
/// <see cref="Analysis.GradgenAnalyzer"/> reads the same entries: its compilation is the generator's plus the generated
/// files, so after the generator ran (in a build, or in the IDE) it reports the diagnostics of that parse instead of
/// binding every body a second time.
/// </para>
/// </remarks>
internal static class ParseCache
{
    private sealed class Entry
    {
        public Entry(object? result, SyntaxTree[] trees, Compilation compilation)
        {
            Result = result;
            Trees = trees;
            References = compilation.ExternalReferences;
            Options = compilation.Options;
        }

        public object? Result { get; }

        public SyntaxTree[] Trees { get; }

        public IReadOnlyList<MetadataReference> References { get; }

        public CompilationOptions Options { get; }

        public bool StillValidIn(Compilation compilation) =>
            Options.Equals(compilation.Options)
            && (ReferenceEquals(References, compilation.ExternalReferences) || References.SequenceEqual(compilation.ExternalReferences))
            && Trees.All(compilation.ContainsSyntaxTree);
    }

    private static readonly ConditionalWeakTable<SyntaxNode, Entry> Entries = new();

    /// <summary>
    /// The parse of <paramref name="declaration"/>: remembered when still valid in <paramref name="model"/>'s compilation,
    /// else <paramref name="parse"/>'s, which is remembered unless it is null.
    /// </summary>
    public static T GetOrParse<T>(SyntaxNode declaration, SemanticModel model, Func<T> parse, CancellationToken cancellationToken)
    {
        var compilation = model.Compilation;
        if (Entries.TryGetValue(declaration, out var entry) && entry.StillValidIn(compilation))
        {
            return (T)entry.Result!;
        }

        var result = parse();
        if (result is null)
        {
            // Not a model after all (the syntax test passes any partial class with a base list): checking again is
            // cheaper than finding the trees it read.
            return result;
        }

        var fresh = new Entry(result, TreesRead(declaration, model, cancellationToken), compilation);
        lock (Entries)
        {
            Entries.Remove(declaration);
            Entries.Add(declaration, fresh);
        }

        return result;
    }

    /// <summary>The declaration's tree and those of the source symbols it refers to, through the source methods and fields it uses.</summary>
    private static SyntaxTree[] TreesRead(SyntaxNode declaration, SemanticModel model, CancellationToken cancellationToken)
    {
        var trees = new HashSet<SyntaxTree> { declaration.SyntaxTree };
        var visited = new HashSet<SyntaxNode> { declaration };
        var pending = new Stack<SyntaxNode>();
        pending.Push(declaration);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            var semantic = SemanticModels.For(model, node.SyntaxTree);
            foreach (var name in node.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                var info = SymbolInfoOf(name, semantic, cancellationToken);
                foreach (var symbol in info.Symbol is { } bound ? new[] { bound } : info.CandidateSymbols.ToArray())
                {
                    if (symbol is ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol)
                    {
                        continue;
                    }

                    foreach (var reference in symbol.OriginalDefinition.DeclaringSyntaxReferences)
                    {
                        trees.Add(reference.SyntaxTree);
                        if (symbol is IMethodSymbol or IFieldSymbol or IPropertySymbol)
                        {
                            var referenced = reference.GetSyntax(cancellationToken);
                            if (visited.Add(referenced))
                            {
                                pending.Push(referenced);
                            }
                        }
                    }
                }
            }
        }

        return trees.ToArray();
    }

    /// <summary>
    /// What <paramref name="name"/> refers to. The name of a called method is asked of the call: the binder keeps the
    /// method it chose there, while asking the name looks the method group up again (extension methods included),
    /// which was most of this walk's time.
    /// </summary>
    private static SymbolInfo SymbolInfoOf(SimpleNameSyntax name, SemanticModel model, CancellationToken cancellationToken)
    {
        var callee = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : (ExpressionSyntax)name;
        if (callee.Parent is InvocationExpressionSyntax invocation && invocation.Expression == callee)
        {
            var call = model.GetSymbolInfo(invocation, cancellationToken);
            // A delegate's Invoke says nothing about the field or local that holds the delegate: ask the name then.
            if (call.Symbol is not IMethodSymbol { MethodKind: MethodKind.DelegateInvoke } && (call.Symbol is not null || call.CandidateSymbols.Length > 0))
            {
                return call;
            }
        }

        return model.GetSymbolInfo(name, cancellationToken);
    }
}

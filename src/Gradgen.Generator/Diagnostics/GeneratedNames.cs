using System.Linq;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Diagnostics;

/// <summary>
/// The members Gradgen adds to a user's partial type, and the user's own members that would collide with them: a
/// collision is reported (GG0018) at the user's member instead of generating code that does not compile.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>What a [Differentiable] method <c>F</c> adds to its type.</summary>
    public static string[] OfFunction(string name) => [name + "WithGradient", name + "Backward", name + "BackwardReads", name + "CudaSource", name + "RowsCudaSource", name + "AccumulateGradient"];

    /// <summary>The user's member of <paramref name="type"/> that a method generated for function <paramref name="function"/> would collide with, or null.</summary>
    public static ISymbol? FunctionCollision(INamedTypeSymbol type, string function) =>
        OfFunction(function).Select(n => UserMember(type, n)).FirstOrDefault(m => m is not null);

    /// <summary>
    /// The user's member of model <paramref name="type"/> that a generated one would collide with: the compiled
    /// <c>CallCompiled</c> and <c>DiscoverMembers</c> overrides, the <c>Gradgen…</c> helpers, and the CUDA constants
    /// named after the model (<c>{Model}…CudaSource</c>).
    /// </summary>
    public static ISymbol? ModelCollision(INamedTypeSymbol type)
    {
        foreach (var member in type.GetMembers())
        {
            if (!IsUserMember(member))
            {
                continue;
            }

            string n = member.Name;
            if (n is "CallCompiled" or "DiscoverMembers" || n.StartsWith("Gradgen", System.StringComparison.Ordinal)
                || (n.StartsWith(type.Name, System.StringComparison.Ordinal) && n.EndsWith("CudaSource", System.StringComparison.Ordinal)))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>The location to report a collision at: the member's name in source.</summary>
    public static LocationInfo LocationOf(ISymbol member) => LocationInfo.From(member.Locations.First(l => l.IsInSource));

    private static ISymbol? UserMember(INamedTypeSymbol type, string name) =>
        type.GetMembers(name).FirstOrDefault(IsUserMember);

    /// <summary>
    /// Whether the member is declared in the user's source: not implicitly, not in metadata, and not in a file this
    /// generator produced. The analyzer runs on the compilation that already holds the generated files, where the
    /// generated members are in source too.
    /// </summary>
    private static bool IsUserMember(ISymbol member) =>
        !member.IsImplicitlyDeclared && member.Locations.Any(l => l.IsInSource && !IsGeneratedByGradgen(l.SourceTree!));

    /// <summary>
    /// Whether the tree is one of this generator's outputs: the compiler names a generated file
    /// <c>{generator assembly}/{generator type}/{hint name}</c>.
    /// </summary>
    internal static bool IsGeneratedByGradgen(SyntaxTree tree)
    {
        string[] parts = tree.FilePath.Split('/', '\\');
        return parts.Length >= 2 && parts[parts.Length - 2] == typeof(DifferentiableGenerator).FullName;
    }
}

using Gradgen.Generator.Parsing;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The parser recognises System.Math, Gradgen.Grad, Gradgen.Nn.Module and [Differentiable] by name, namespace part by
/// namespace part: a user's type of the same simple name in another namespace, or nested in a class, is not them.
/// </summary>
public sealed class SymbolNamesTests
{
    private const string Lookalikes = """
        namespace MyLib { public static class Math { } }
        namespace MyLib.System { public static class Math { } }
        namespace Nn { public class Module { } }
        public static class Outer { public static class Math { } }
        """;

    [Theory]
    [InlineData("System.Math", "System", "Math", true)]
    [InlineData("System.MathF", "System", "Math", false)]
    [InlineData("MyLib.Math", "System", "Math", false)]
    [InlineData("MyLib.System.Math", "System", "Math", false)]
    [InlineData("Outer+Math", "System", "Math", false)]
    [InlineData("Gradgen.Nn.Module", "Gradgen.Nn", "Module", true)]
    [InlineData("Nn.Module", "Gradgen.Nn", "Module", false)]
    [InlineData("Gradgen.Nn.Module", "Nn", "Module", false)]
    [InlineData("Gradgen.Grad", "Gradgen", "Grad", true)]
    [InlineData("Gradgen.DifferentiableAttribute", "Gradgen", "DifferentiableAttribute", true)]
    public void ATypeIsTheOneNamedOnlyInThatNamespaceAndNotNested(string metadataName, string @namespace, string name, bool expected)
    {
        var type = GeneratorHarness.Compile(Lookalikes).GetTypeByMetadataName(metadataName);

        Assert.NotNull(type);
        Assert.Equal(expected, SymbolNames.Is(type, @namespace, name));
    }
}

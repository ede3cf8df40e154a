using Microsoft.CodeAnalysis;

namespace Gradgen.Generator;

[Generator(LanguageNames.CSharp)]
public sealed class DifferentiableGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}

using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Diagnostics;

/// <summary>Every GG diagnostic, in ID order. Each has a page in docs/diagnostics/ (the help link).</summary>
internal static class Descriptors
{
    private const string Category = "Gradgen";

    public static readonly DiagnosticDescriptor MethodMustBeStatic = Error(
        "GG0001", "Differentiable method must be static",
        "Method '{0}' is marked [Differentiable] but is not static; only static methods can be differentiated");

    public static readonly DiagnosticDescriptor TypeMustBePartial = Error(
        "GG0002", "Containing type must be partial",
        "Type '{0}' contains the [Differentiable] method '{1}' and must be declared partial (with every type that encloses it) so that Gradgen can add the generated members");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "GG0003", "Unsupported parameter or return type",
        "{0} of '{1}' has type '{2}'; a [Differentiable] method takes float or double values, spans or arrays of them and int, long or bool counts, and returns float, double or void");

    public static readonly DiagnosticDescriptor MixedPrecision = Error(
        "GG0004", "Mixed float and double",
        "{0} of '{1}' is '{2}' but {3} is '{4}'; use float everywhere or double everywhere");

    public static readonly DiagnosticDescriptor RefParameter = Error(
        "GG0005", "ref, out or in parameter",
        "Parameter '{0}' of '{1}' is passed by '{2}'; a [Differentiable] method takes its parameters by value");

    public static readonly DiagnosticDescriptor UnknownCall = Error(
        "GG0006", "Call to a method that cannot be differentiated",
        "'{0}' is neither a [Differentiable] method nor a math function Gradgen knows, so '{1}' cannot be differentiated");

    public static readonly DiagnosticDescriptor UnsupportedSyntax = Error(
        "GG0007", "Unsupported statement or expression",
        "{0} is not supported in a [Differentiable] method: {1}");

    public static readonly DiagnosticDescriptor Recursion = Error(
        "GG0008", "Recursive differentiable call",
        "'{0}' calls itself through '{1}'; recursion cannot be differentiated at compile time");

    public static readonly DiagnosticDescriptor IntegerZeroGradient = Warning(
        "GG0009", "Integer value has zero gradient",
        "'{0}' has an integer type, so its gradient is zero: the derivative of '{1}' ignores how it depends on the parameters");

    public static readonly DiagnosticDescriptor LoopNotUnrollable = Error(
        "GG0010", "Loop cannot be unrolled",
        "This loop cannot be unrolled: {0}; loops in a [Differentiable] method need compile-time constant bounds and at most {1} iterations");

    public static readonly DiagnosticDescriptor CalleeNotDifferentiable = Error(
        "GG0011", "Called differentiable method has errors",
        "'{0}' calls '{1}', which cannot be differentiated (see the diagnostics on '{1}')");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "GG0012", "Generic differentiable method",
        "Method '{0}' is generic; a [Differentiable] method must not declare type parameters");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "GG0013", "Gradgen internal error",
        "Gradgen could not process '{0}' ({1}); please report this with the method's source");

    public static readonly DiagnosticDescriptor OverloadedMethod = Error(
        "GG0014", "Overloaded differentiable method",
        "Type '{0}' already has a [Differentiable] method named '{1}'; generated members are named after the method, so give each its own name");

    public static readonly DiagnosticDescriptor LayerSizeMismatch = Error(
        "GG0015", "Layer sizes do not match",
        "'{0}' takes {1} input features, but '{2}' gives it {3}");

    public static readonly DiagnosticDescriptor ModelNotCompiled = new(
        "GG0016", "Model not compiled", "Model '{0}' is not compiled: {1}; Call runs Forward eagerly", Category,
        DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: "https://github.com/gradgen/gradgen/blob/main/docs/diagnostics/GG0016.md");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "GG0017", "Tensor shapes do not fit",
        "In model '{0}', {1}");

    public static readonly DiagnosticDescriptor NameCollision = Error(
        "GG0018", "Member collides with a generated member",
        "'{0}' has the name of a member Gradgen generates for '{1}'; rename it");

    public static readonly DiagnosticDescriptor WriteToInput = Error(
        "GG0019", "Input span written or aliased",
        "{0} in '{1}': a [Differentiable] method writes only its Span<T> outputs and the local arrays it creates (stackalloc T[n] or new T[n])");

    public static readonly DiagnosticDescriptor OutputReadBeforeWritten = Error(
        "GG0020", "Output read before it is written",
        "'{0}' reads the output '{1}' before '{2}' writes it; an output's old contents are not part of the function (write it first, or pass the values as an input)");

    public static readonly DiagnosticDescriptor CustomDerivativeSignature = Error(
        "GG0021", "Custom derivative has the wrong signature",
        "'{0}' names '{1}' as its derivative, but the type has no method '{2}'");

    public static readonly DiagnosticDescriptor[] All =
    {
        MethodMustBeStatic, TypeMustBePartial, UnsupportedType, MixedPrecision, RefParameter, UnknownCall,
        UnsupportedSyntax, Recursion, IntegerZeroGradient, LoopNotUnrollable, CalleeNotDifferentiable, GenericMethod,
        InternalError, OverloadedMethod, LayerSizeMismatch, ModelNotCompiled, ShapeMismatch, NameCollision,
        WriteToInput, OutputReadBeforeWritten, CustomDerivativeSignature,
    };

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (var descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        throw new System.ArgumentException("Unknown diagnostic " + id);
    }

    private static DiagnosticDescriptor Error(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true,
            helpLinkUri: $"https://github.com/gradgen/gradgen/blob/main/docs/diagnostics/{id}.md");
}

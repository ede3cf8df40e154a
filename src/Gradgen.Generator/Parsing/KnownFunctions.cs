using System.Collections.Generic;
using Gradgen.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// The math functions of <c>System.Math</c>, <c>System.MathF</c>, <c>float</c> and <c>double</c> that lower to a
/// primitive, and those of <c>Gradgen.SpecialFunctions</c> (erf). <c>Math.Log(a, newBase)</c> is handled by the parser
/// (it is ln a / ln newBase).
/// </summary>
internal static class KnownFunctions
{
    private static readonly Dictionary<string, (Op Op, int Arity)> ByName = new()
    {
        ["Sin"] = (Op.Sin, 1),
        ["Cos"] = (Op.Cos, 1),
        ["Tan"] = (Op.Tan, 1),
        ["Asin"] = (Op.Asin, 1),
        ["Acos"] = (Op.Acos, 1),
        ["Atan"] = (Op.Atan, 1),
        ["Atan2"] = (Op.Atan2, 2),
        ["Sinh"] = (Op.Sinh, 1),
        ["Cosh"] = (Op.Cosh, 1),
        ["Tanh"] = (Op.Tanh, 1),
        ["Asinh"] = (Op.Asinh, 1),
        ["Acosh"] = (Op.Acosh, 1),
        ["Atanh"] = (Op.Atanh, 1),
        ["Exp"] = (Op.Exp, 1),
        ["Log"] = (Op.Log, 1),
        ["Log2"] = (Op.Log2, 1),
        ["Log10"] = (Op.Log10, 1),
        ["Sqrt"] = (Op.Sqrt, 1),
        ["Cbrt"] = (Op.Cbrt, 1),
        ["Pow"] = (Op.Pow, 2),
        ["Hypot"] = (Op.Hypot, 2),
        ["Abs"] = (Op.Abs, 1),
        ["Min"] = (Op.Min, 2),
        ["Max"] = (Op.Max, 2),
        ["Clamp"] = (Op.Clamp, 3),
        ["FusedMultiplyAdd"] = (Op.FusedMultiplyAdd, 3),
        ["Floor"] = (Op.Floor, 1),
        ["Ceiling"] = (Op.Ceiling, 1),
        ["Round"] = (Op.Round, 1),
        ["Truncate"] = (Op.Truncate, 1),
        ["Sign"] = (Op.Sign, 1),
    };

    /// <summary>The functions of <c>Gradgen.SpecialFunctions</c> (the runtime's, with float and double overloads).</summary>
    private static readonly Dictionary<string, (Op Op, int Arity)> SpecialByName = new()
    {
        ["Erf"] = (Op.Erf, 1),
    };

    /// <summary>Whether <paramref name="method"/> is a math function Gradgen lowers, and to what.</summary>
    public static bool TryGet(IMethodSymbol method, out Op op)
    {
        op = default;
        if (IsGradType(method.ContainingType) && method.Name == "StopGradient" && method.Parameters.Length == 1)
        {
            op = Op.StopGradient;
            return true;
        }

        (Op Op, int Arity) entry;
        if (IsMathType(method.ContainingType))
        {
            if (!ByName.TryGetValue(method.Name, out entry))
            {
                return false;
            }
        }
        else if (!IsSpecialFunctionsType(method.ContainingType) || !SpecialByName.TryGetValue(method.Name, out entry))
        {
            return false;
        }

        if (method.Parameters.Length != entry.Arity)
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (!IsNumeric(parameter.Type))
            {
                return false;
            }
        }

        op = entry.Op;
        return true;
    }

    /// <summary><c>Math.Log(a, newBase)</c>.</summary>
    public static bool IsLogWithBase(IMethodSymbol method) =>
        IsMathType(method.ContainingType) && method.Name == "Log" && method.Parameters.Length == 2;

    public static bool IsMathType(INamedTypeSymbol? type) =>
        type is not null && (type.SpecialType is SpecialType.System_Single or SpecialType.System_Double
            || SymbolNames.Is(type, "System", "Math") || SymbolNames.Is(type, "System", "MathF"));

    /// <summary><c>Gradgen.Grad</c>, the helpers that steer differentiation (<c>StopGradient</c>).</summary>
    public static bool IsGradType(INamedTypeSymbol? type) =>
        SymbolNames.Is(type, "Gradgen", "Grad");

    /// <summary><c>Gradgen.SpecialFunctions</c>, the runtime's special functions (erf).</summary>
    public static bool IsSpecialFunctionsType(INamedTypeSymbol? type) =>
        SymbolNames.Is(type, "Gradgen", "SpecialFunctions");

    public static bool IsNumeric(ITypeSymbol type) => type.SpecialType is SpecialType.System_Single or SpecialType.System_Double
        or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_SByte
        or SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64;

    public static bool IsIntegral(ITypeSymbol? type) => type is not null && IsNumeric(type)
        && type.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double);
}

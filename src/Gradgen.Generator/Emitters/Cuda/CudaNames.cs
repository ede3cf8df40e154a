using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.Cuda;

/// <summary>
/// The variable names of a span function as its CUDA row kernels spell them. A C# name that C++ or CUDA keeps for
/// itself (<c>register</c>, <c>and</c>), that names a C function the kernels call (<c>exp</c>, <c>log</c>), that
/// starts with an underscore (C++ keeps <c>__x</c> and <c>_X</c>) or with the kernels' own <c>gg_</c>, or that is not
/// ASCII, is renamed: <c>gg_u_</c> and the name, or <c>gg_x_</c> and the hex codes of its characters where it is not
/// ASCII. Nothing else starts with those prefixes (user names that start with <c>gg_</c> are renamed too), so no name
/// collides. The C# keeps the names as written; only the CUDA <see cref="LoopFunction"/> is rewritten.
/// </summary>
internal static class CudaNames
{
    /// <summary>Names a C# identifier may take that C++ or CUDA keeps for itself.</summary>
    public static readonly HashSet<string> Reserved = new()
    {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "compl", "concept", "constexpr", "const_cast",
        "co_await", "co_return", "co_yield", "decltype", "delete", "dynamic_cast", "export", "extern", "friend", "inline",
        "mutable", "noexcept", "not", "not_eq", "nullptr", "or", "or_eq", "register", "reinterpret_cast", "requires", "signed",
        "static_assert", "static_cast", "template", "thread_local", "typedef", "typeid", "typename", "union", "unsigned",
        "xor", "xor_eq", "wchar_t", "char8_t", "char16_t", "char32_t", "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize",
        "consteval", "constinit", "atomicMax", "main",
    };

    /// <summary>The C functions the rule table's CUDA spellings call (expf, fmin, …): a local of that name would hide one.</summary>
    public static readonly HashSet<string> MathNames = new(
        PrimitiveRules.All.SelectMany(r => new[] { r.CudaFloat, r.CudaDouble })
            .SelectMany(format => Regex.Matches(format, @"([A-Za-z_][A-Za-z0-9_]*)\s*\(").Cast<Match>().Select(m => m.Groups[1].Value)));

    /// <summary>The function with every name that needs it renamed; the function itself where none does.</summary>
    public static LoopFunction Mangle(LoopFunction function)
    {
        var renamed = function.Parameters.Select(p => p.Name).Concat(function.Locals.Select(l => l.Name))
            .Where(NeedsRenaming)
            .ToDictionary(name => name, Renamed);
        return renamed.Count == 0 ? function : new Renamer(renamed).Function(function);
    }

    /// <summary>Whether a C# variable name (as the parser keeps it: <c>@</c> before a keyword) is renamed in CUDA.</summary>
    public static bool NeedsRenaming(string name) =>
        name.StartsWith("@", System.StringComparison.Ordinal) || name.StartsWith("_", System.StringComparison.Ordinal)
        || name.StartsWith("gg_", System.StringComparison.Ordinal) || Reserved.Contains(name) || MathNames.Contains(name)
        || name.Any(c => c > 127);

    private static string Renamed(string name)
    {
        string plain = name.TrimStart('@');
        if (plain.All(c => c <= 127))
        {
            return "gg_u_" + plain;
        }

        var hex = new StringBuilder("gg_x");
        foreach (char c in plain)
        {
            hex.Append('_').Append(((int)c).ToString("x", CultureInfo.InvariantCulture));
        }

        return hex.ToString();
    }

    /// <summary>Rewrites every place a <see cref="LoopFunction"/> names a variable, the C# text of conditions and indices included.</summary>
    private sealed class Renamer
    {
        private readonly Dictionary<string, string> _names;
        private readonly Regex _inText;

        public Renamer(Dictionary<string, string> names)
        {
            _names = names;
            // A variable in C# text: not a member (after '.'), not qualified (after ':'), not part of a longer name.
            _inText = new Regex(@"(?<![\w@.:])(" + string.Join("|", names.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + @")(?![\w])");
        }

        public LoopFunction Function(LoopFunction f) => f with
        {
            Parameters = f.Parameters.Select(p => p with { Name = Name(p.Name) }).ToEquatableArray(),
            Locals = f.Locals.Select(l => l with { Name = Name(l.Name) }).ToEquatableArray(),
            Body = Statements(f.Body),
            Result = f.Result is null ? null : Name(f.Result),
        };

        private string Name(string name) => _names.TryGetValue(name, out string? renamed) ? renamed : name;

        private EquatableArray<LoopStatement> Statements(EquatableArray<LoopStatement> statements) => statements.Select(Statement).ToEquatableArray();

        private LoopStatement Statement(LoopStatement statement) => statement switch
        {
            AssignScalar s => new AssignScalar(Name(s.Target), Scalar(s.Value)),
            AssignDiscrete s => new AssignDiscrete(Name(s.Target), Discrete(s.Value)),
            StoreElement s => new StoreElement(Name(s.Array), Text(s.Index), Scalar(s.Value)),
            AllocateArray s => new AllocateArray(Name(s.Array), Text(s.Length)),
            CallFunction s => s with { Target = Name(s.Target), Arguments = s.Arguments.Select(Argument).ToEquatableArray() },
            IfStatement s => new IfStatement(Discrete(s.Condition), Statements(s.Then), Statements(s.Else)),
            LoopStatementWhile s => s with
            {
                Condition = Discrete(s.Condition),
                Body = Statements(s.Body),
                Step = Statements(s.Step),
                Counter = s.Counter is null ? null : Name(s.Counter),
                BreakFlag = s.BreakFlag is null ? null : Name(s.BreakFlag),
            },
            _ => statement,
        };

        private CallArgument Argument(CallArgument a) => new(
            a.Kind,
            a.Name.Length == 0 ? a.Name : Name(a.Name),
            a.SliceStart is null ? null : Text(a.SliceStart),
            a.SliceLength is null ? null : Text(a.SliceLength),
            a.Discrete is null ? null : Text(a.Discrete));

        private ScalarExpression Scalar(ScalarExpression e) => e with
        {
            Operands = e.Operands.Select(o => new Operand(o.Kind, Name(o.Name), o.Index is null ? null : Text(o.Index))).ToEquatableArray(),
        };

        private DiscreteExpression Discrete(DiscreteExpression e) =>
            new(InText(e.Text), e.Reads.Select(Name).ToEquatableArray(), e.Values.Select(Scalar).ToEquatableArray());

        private DiscreteText Text(DiscreteText t) => new(InText(t.Text), t.Reads.Select(Name).ToEquatableArray());

        private string InText(string text) => _inText.Replace(text, m => _names[m.Value]);
    }
}

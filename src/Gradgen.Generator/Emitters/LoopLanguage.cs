using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters;

/// <summary>
/// What differs between the two languages the loop emitter's one statement walker writes (LoopEmitter's forward and
/// backward sweeps): C# and CUDA C++. The CUDA prelude (<see cref="Cuda.CudaRows.WritePrelude"/>) gives C++ a span with
/// <c>.Length</c> and an indexer and a tape with <c>Push</c>, <c>Pop&lt;T&gt;</c> and <c>Scratch&lt;T&gt;</c>, so the
/// statements read the same in both; what is left is how a primitive, a constant and the few C# names in integer
/// expressions are spelled, and whether loops are vectorised.
/// </summary>
internal abstract class LoopLanguage
{
    public static readonly LoopLanguage CSharp = new CSharpLanguage();

    public static readonly LoopLanguage Cuda = new CudaLanguage();

    /// <summary>Names the writer must not give a variable it makes: in CUDA, C++'s and the kernels' own.</summary>
    public virtual IEnumerable<string> ReservedNames => Enumerable.Empty<string>();

    /// <summary>Whether loops of independent iterations run whole SIMD vectors first (C# only: a CUDA row is one thread).</summary>
    public abstract bool Vectorises { get; }

    /// <summary>A primitive applied to its arguments' text, in element type <paramref name="t"/>.</summary>
    public abstract string Apply(IrNode node, string[] args, string t, bool isFloat);

    /// <summary>A constant of the element type.</summary>
    public abstract string Literal(double value, string t, bool isFloat);

    /// <summary>An integer or boolean expression the parser printed as C#, in this language.</summary>
    public abstract string Discrete(string text);

    /// <summary>A discrete variable's type (<c>int</c>, <c>long</c> or <c>bool</c>), in this language.</summary>
    public abstract string DiscreteType(string type);

    /// <summary>
    /// The statement after a local array is taken from the tape: none in C#, whose tape grows; in CUDA, where a row's
    /// tape has a fixed capacity, the row stops there when it is full (the host relaunches with more).
    /// </summary>
    public virtual string? StopWhereFull(string tape) => null;

    private sealed class CSharpLanguage : LoopLanguage
    {
        private const string ScalarMath = "global::Gradgen.Kernels.Scalar";

        public override bool Vectorises => true;

        public override string Apply(IrNode node, string[] args, string t, bool isFloat) => node.Op switch
        {
            Op.Add => $"({args[0]} + {args[1]})",
            Op.Subtract => $"({args[0]} - {args[1]})",
            Op.Multiply => $"({args[0]} * {args[1]})",
            Op.Divide => $"({args[0]} / {args[1]})",
            Op.Negate => $"(-{args[0]})",
            _ => string.Format(CultureInfo.InvariantCulture, PrimitiveRules.Get(node.Op).SimdFormat.Replace("TSimd.", ScalarMath + "<" + t + ">."), args),
        };

        public override string Literal(double value, string t, bool isFloat)
        {
            if (double.IsNaN(value)) return t + ".NaN";
            if (double.IsPositiveInfinity(value)) return t + ".PositiveInfinity";
            if (double.IsNegativeInfinity(value)) return t + ".NegativeInfinity";
            string text = isFloat
                ? ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f"
                : value.ToString("R", CultureInfo.InvariantCulture) + "d";
            return value < 0 || (value == 0 && 1 / value < 0) ? "(" + text + ")" : text;
        }

        public override string Discrete(string text) => text;

        public override string DiscreteType(string type) => type;
    }

    /// <summary>CUDA C++: the rule table's CUDA spellings, and <c>Math.Min/Max/Abs</c> and <c>long</c> in its terms.</summary>
    private sealed class CudaLanguage : LoopLanguage
    {
        public override bool Vectorises => false;

        public override IEnumerable<string> ReservedNames => Emitters.Cuda.CudaNames.Reserved.Concat(Emitters.Cuda.CudaNames.MathNames);

        public override string Apply(IrNode node, string[] args, string t, bool isFloat)
        {
            var rule = PrimitiveRules.Get(node.Op);
            return string.Format(CultureInfo.InvariantCulture, isFloat ? rule.CudaFloat : rule.CudaDouble, args);
        }

        public override string Literal(double value, string t, bool isFloat) => Literals.Cuda(value, isFloat);

        // The parser prints Math.Min/Max/Abs of integers as global::System.Math.X and casts as (long)(…); the prelude
        // defines gg_Math::Min/Max/Abs for int and long long, and long is 32 bits on some C++ platforms.
        public override string Discrete(string text) =>
            text.Replace("global::System.Math.", "gg_Math::").Replace("(long)(", "(long long)(");

        public override string DiscreteType(string type) => type == "long" ? "long long" : type;

        public override string? StopWhereFull(string tape) => $"if (!{tape}.Fits()) return;";
    }
}

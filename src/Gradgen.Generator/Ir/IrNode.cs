using System;

namespace Gradgen.Generator.Ir;

/// <summary>
/// One value of the IR graph. Nodes live in a list in topological order and name their operands by index, so the
/// graph is a plain, structurally comparable value (no Roslyn objects; see DESIGN.md 3).
/// </summary>
/// <param name="Op">The primitive.</param>
/// <param name="Args">Indices of the operands (earlier nodes).</param>
/// <param name="Value">The value of a <see cref="Op.Constant"/>, or the index of a <see cref="Op.Parameter"/>.</param>
/// <param name="Callee">
/// For an <see cref="Op.OpaqueCall"/>, the C# call as a format string over the operands, each operand a value of the
/// element type (<c>global::Demo.Field.Helper({0}, (int){1})</c>); empty for every other primitive.
/// </param>
internal sealed record IrNode(Op Op, EquatableArray<int> Args, double Value, string Callee = "")
{
    public bool IsConstant => Op == Op.Constant;

    public bool Equals(IrNode? other) =>
        other is not null && Op == other.Op && Args.Equals(other.Args) && BitConverter.DoubleToInt64Bits(Value) == BitConverter.DoubleToInt64Bits(other.Value)
        && Callee == other.Callee;

    public override int GetHashCode() =>
        unchecked(((((int)Op * 397) ^ Args.GetHashCode()) * 31 + BitConverter.DoubleToInt64Bits(Value).GetHashCode()) * 31 + StringComparer.Ordinal.GetHashCode(Callee));
}

using System.Collections.Generic;
using System.Linq;
using System.Text;
using Gradgen.Generator.Emitters.Formulas;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters;

/// <summary>
/// Prints a kernel output as a one-line formula for the XML docs and comments: simplified exactly
/// (<see cref="NormalForm"/>) and written for reading (<see cref="FormulaWriter"/>), as in
/// <c>(2π·cos(2πx) − ⅔(x − 5)·sin(2πx))·exp(−(x − 5)²/3)</c>. Where exact fractions cannot hold a formula, it is
/// printed by inlining the IR as it is. Long formulas are cut, since the kernel shows the full computation step by step.
/// </summary>
internal static class FormulaPrinter
{
    private const int MaxLength = 240;

    /// <summary>The formula of node <paramref name="node"/> in a function of float (<paramref name="isFloat"/>) or double precision.</summary>
    public static string Print(IrGraph graph, int node, string[] parameterNames, string gradOutputName, bool isFloat) =>
        Print(graph, new[] { node }, parameterNames, gradOutputName, isFloat)[0];

    /// <summary>The formulas of several nodes of one graph (a function's value and its gradients), which share one normal form.</summary>
    public static string[] Print(IrGraph graph, IReadOnlyList<int> nodes, string[] parameterNames, string gradOutputName, bool isFloat)
    {
        var normalForm = NormalForm.For(graph, parameterNames, gradOutputName, isFloat);
        var texts = new string[nodes.Count];
        for (int i = 0; i < texts.Length; i++)
        {
            string text = PrintWhole(normalForm, graph, nodes[i], parameterNames, gradOutputName, isFloat);
            texts[i] = text.Length <= MaxLength ? text : text.Substring(0, MaxLength) + " …";
        }

        return texts;
    }

    /// <summary>The formula, not cut.</summary>
    internal static string PrintWhole(IrGraph graph, int node, string[] parameterNames, string gradOutputName, bool isFloat) =>
        PrintWhole(NormalForm.For(graph, parameterNames, gradOutputName, isFloat), graph, node, parameterNames, gradOutputName, isFloat);

    private static string PrintWhole(NormalForm normalForm, IrGraph graph, int node, string[] parameterNames, string gradOutputName, bool isFloat) =>
        TryPrintNormalForm(normalForm, node, parameterNames, gradOutputName, out string text) ? text : Inline(graph, node, parameterNames, gradOutputName, isFloat);

    /// <summary>The simplified formula, or false where its exact fractions overflow or divide by zero (then the IR is printed inline instead).</summary>
    internal static bool TryPrintNormalForm(IrGraph graph, int node, string[] parameterNames, string gradOutputName, bool isFloat, out string text) =>
        TryPrintNormalForm(NormalForm.For(graph, parameterNames, gradOutputName, isFloat), node, parameterNames, gradOutputName, out text);

    private static bool TryPrintNormalForm(NormalForm normalForm, int node, string[] parameterNames, string gradOutputName, out string text)
    {
        try
        {
            var sum = normalForm.Of(node);
            text = FormulaWriter.Write(sum, parameterNames.Append(gradOutputName));
            return true;
        }
        catch (System.Exception e) when (e is System.OverflowException or System.DivideByZeroException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <summary>
    /// The IR as it is, every intermediate value inlined (the fallback), cut after <see cref="MaxLength"/> characters
    /// with " …": inlining a graph that reuses values can grow exponentially, so the writer stops there, and what it
    /// left unwritten must not read as a formula.
    /// </summary>
    internal static string Inline(IrGraph graph, int node, string[] parameterNames, string gradOutputName, bool isFloat)
    {
        var text = new StringBuilder();
        Write(graph, node, parameterNames, gradOutputName, isFloat, text, Unbound);
        return text.Length <= MaxLength ? text.ToString() : text.ToString(0, MaxLength) + " …";
    }

    /// <summary>The outer precedence where nothing binds to the value (the whole formula, a function's argument, a select's condition).</summary>
    private const int Unbound = -1;

    /// <summary>
    /// Writes node <paramref name="id"/>, bracketed when an operator around it binds at <paramref name="outerPrecedence"/>
    /// or tighter: comparisons have precedence 0, so any operator brackets them and a select, which binds loosest of all.
    /// </summary>
    private static void Write(IrGraph graph, int id, string[] names, string gradOutput, bool isFloat, StringBuilder text, int outerPrecedence)
    {
        if (text.Length > MaxLength)
        {
            return;
        }

        var node = graph.Nodes[id];
        var rule = PrimitiveRules.Get(node.Op);
        switch (node.Op)
        {
            case Op.Parameter:
                text.Append(names[(int)node.Value]);
                return;
            case Op.Constant:
                text.Append(Literals.Math(node.Value, isFloat));
                return;
            case Op.GradOutput:
                text.Append(gradOutput);
                return;
            case Op.Select:
                bool bracket = outerPrecedence != Unbound;
                if (bracket) text.Append('(');
                Write(graph, node.Args[0], names, gradOutput, isFloat, text, Unbound);
                text.Append(" ? ");
                Write(graph, node.Args[1], names, gradOutput, isFloat, text, 0);
                text.Append(" : ");
                Write(graph, node.Args[2], names, gradOutput, isFloat, text, 0);
                if (bracket) text.Append(')');
                return;
        }

        if (rule.Arity == 2 && (rule.InfixPrecedence > 0 || rule.IsMask))
        {
            int precedence = rule.InfixPrecedence;
            bool parenthesize = precedence <= outerPrecedence;
            if (parenthesize) text.Append('(');
            Write(graph, node.Args[0], names, gradOutput, isFloat, text, System.Math.Max(precedence - 1, 0));
            text.Append(rule.Op == Op.Multiply ? "·" : " " + rule.MathName + " ");
            // Right operands of − and / bind tighter than their own precedence.
            Write(graph, node.Args[1], names, gradOutput, isFloat, text, node.Op is Op.Subtract or Op.Divide ? precedence : System.Math.Max(precedence - 1, 0));
            if (parenthesize) text.Append(')');
            return;
        }

        if (node.Op == Op.Negate)
        {
            text.Append('−');
            Write(graph, node.Args[0], names, gradOutput, isFloat, text, 3);
            return;
        }

        // An opaque call is written with its method's name: global::Demo.Field.Helper((float){0}) is Helper(…).
        string name = node.Op == Op.OpaqueCall ? node.Callee.Substring(0, node.Callee.IndexOf('(')).Split('.').Last() : rule.MathName;
        text.Append(name).Append('(');
        for (int i = 0; i < node.Args.Count; i++)
        {
            if (i > 0) text.Append(", ");
            Write(graph, node.Args[i], names, gradOutput, isFloat, text, Unbound);
        }

        text.Append(')');
    }
}

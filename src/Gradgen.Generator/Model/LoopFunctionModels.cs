using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Model;

// The parsed form of a [Differentiable] method over spans, arrays and loops: a structured program of statements whose
// numeric right-hand sides are IR graphs (the same IR, rule table and printers as the scalar functions). Every name in
// it is already a unique C# identifier of the generated method; there are no Roslyn objects (DESIGN.md 3).

/// <summary>What a variable of the program is.</summary>
internal enum VariableKind
{
    /// <summary>A <c>float</c> or <c>double</c> value: differentiated.</summary>
    Scalar,

    /// <summary>An <c>int</c>, <c>long</c> or <c>bool</c>: sizes, indices, counters, flags; not differentiated.</summary>
    Discrete,

    /// <summary>A span or array of the element type: differentiated element by element.</summary>
    Array,
}

/// <summary>How a parameter enters the generated members.</summary>
internal enum ParameterRole
{
    /// <summary>A <c>float</c>/<c>double</c> input: its gradient is an <c>out T</c>.</summary>
    ScalarInput,

    /// <summary>A <c>ReadOnlySpan&lt;T&gt;</c> or <c>T[]</c> input: its gradient is a <c>Span&lt;T&gt;</c> of the same length.</summary>
    ArrayInput,

    /// <summary>A <c>Span&lt;T&gt;</c> the method writes: the vector-Jacobian product takes its incoming gradient.</summary>
    Output,

    /// <summary>An <c>int</c>, <c>long</c> or <c>bool</c>: passed through, no gradient.</summary>
    Discrete,
}

/// <summary>A parameter: its name, its C# type as the user declared it (fully qualified) and its role.</summary>
internal sealed record LoopParameter(string Name, string Type, ParameterRole Role);

/// <summary>A local of the generated method (user locals are hoisted to the method's top so the backward sweep sees them).</summary>
internal sealed record LoopLocal(string Name, VariableKind Kind, string Type);

/// <summary>An integer or boolean expression printed as C#, and the discrete variables it reads.</summary>
internal sealed record DiscreteText(string Text, EquatableArray<string> Reads);

/// <summary>What a leaf of a <see cref="ScalarExpression"/> reads.</summary>
internal enum OperandKind
{
    /// <summary>A scalar variable, <see cref="Operand.Name"/>.</summary>
    Scalar,

    /// <summary>An element <c>Name[Index]</c> of an array.</summary>
    Element,

    /// <summary>An integer expression used as a number (<c>(float)i / n</c>): no gradient.</summary>
    Discrete,
}

/// <summary>One leaf of a scalar expression.</summary>
internal sealed record Operand(OperandKind Kind, string Name, DiscreteText? Index);

/// <summary>A numeric expression: an IR graph whose parameter <c>k</c> is <see cref="Operands"/>[k].</summary>
internal sealed record ScalarExpression(IrGraph Graph, EquatableArray<Operand> Operands);

/// <summary>
/// A condition or a discrete value: C# text in which <c>{k}</c> stands for the value of <see cref="Values"/>[k] (a numeric
/// sub-expression, as in <c>x[i] &gt; m</c>). Conditions are evaluated in the forward sweep only; the backward sweep
/// replays the recorded outcome.
/// </summary>
internal sealed record DiscreteExpression(string Text, EquatableArray<string> Reads, EquatableArray<ScalarExpression> Values);

/// <summary>A statement of the program.</summary>
internal abstract record LoopStatement;

/// <summary><c>Target = Value</c> for a scalar variable (compound assignments are written out: <c>s = s + e</c>).</summary>
internal sealed record AssignScalar(string Target, ScalarExpression Value) : LoopStatement;

/// <summary><c>Target = Value</c> for a discrete variable.</summary>
internal sealed record AssignDiscrete(string Target, DiscreteExpression Value) : LoopStatement;

/// <summary><c>Array[Index] = Value</c> into an output or a local array.</summary>
internal sealed record StoreElement(string Array, DiscreteText Index, ScalarExpression Value) : LoopStatement;

/// <summary><c>Array = new T[Length]</c>: a zeroed local array (declared before any loop).</summary>
internal sealed record AllocateArray(string Array, DiscreteText Length) : LoopStatement;

/// <summary>An argument of a call to another span function: an array or slice of one, a scalar variable, or a discrete value.</summary>
internal sealed record CallArgument(VariableKind Kind, string Name, DiscreteText? SliceStart, DiscreteText? SliceLength, DiscreteText? Discrete);

/// <summary><c>Target = Callee(arguments)</c>, a call to another <c>[Differentiable]</c> span function returning a scalar.</summary>
/// <param name="Target">The scalar variable that receives the value.</param>
/// <param name="Callee">The callee's name, qualified with <c>global::</c> and its containing types.</param>
/// <param name="Arguments">One per parameter of the callee, in order.</param>
internal sealed record CallFunction(string Target, string Callee, EquatableArray<CallArgument> Arguments) : LoopStatement;

/// <summary><c>if (Condition) Then else Else</c>.</summary>
internal sealed record IfStatement(DiscreteExpression Condition, EquatableArray<LoopStatement> Then, EquatableArray<LoopStatement> Else) : LoopStatement;

/// <summary>
/// <c>while (Condition) { Body; Step }</c>. A counted loop (<see cref="Counter"/> set) advances its counter by
/// <see cref="CounterStep"/> after each iteration and never assigns it in the body, so the backward sweep walks the
/// counter down instead of recording it; <c>break</c> and <c>continue</c> are already lowered to flags and guards.
/// </summary>
internal sealed record LoopStatementWhile(DiscreteExpression Condition, EquatableArray<LoopStatement> Body, EquatableArray<LoopStatement> Step, string? Counter, int CounterStep, string? BreakFlag) : LoopStatement;

/// <summary>A parsed span/loop function: everything the differentiator and the emitter need.</summary>
/// <param name="Declaration">Namespace, containing types, name, accessibility, element type and source of the method.</param>
/// <param name="Parameters">The parameters in order.</param>
/// <param name="Locals">Every local of the generated method: user locals, flags, temporaries.</param>
/// <param name="Body">The statements.</param>
/// <param name="Result">For a method returning <c>T</c>, the scalar variable holding the returned value; null for <c>void</c>.</param>
/// <param name="CustomBackward">The user's vector-Jacobian product (<c>[Differentiable(Backward = …)]</c>); the body is then not differentiated.</param>
/// <param name="Callees">
/// The span functions its <see cref="CallFunction"/>s call, each once, parsed (with their own callees), for the CUDA
/// row kernels, which compose their bodies into one source; empty where the compilation has no tensors (no row kernels).
/// </param>
internal sealed record LoopFunction(
    FunctionSignature Declaration,
    EquatableArray<LoopParameter> Parameters,
    EquatableArray<LoopLocal> Locals,
    EquatableArray<LoopStatement> Body,
    string? Result,
    string? CustomBackward = null,
    EquatableArray<LoopCallee> Callees = default);

/// <summary>A span function called by another: its qualified name (<see cref="CallFunction.Callee"/>) and its parse.</summary>
/// <param name="Name">The callee's name as the calls spell it.</param>
/// <param name="Function">Its parse; null where it has errors or calls back into a function that calls it (a cycle).</param>
internal sealed record LoopCallee(string Name, LoopFunction? Function);

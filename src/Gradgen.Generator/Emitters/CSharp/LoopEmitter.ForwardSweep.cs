using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

// The forward sweep alone, for the tensor overload of a void method whose rows make calls inside Grad.StopGradient:
// its forward runs this instead of the method, so those calls' values are kept (StopGradientValues) and its
// backward, which runs each row's forward sweep again inside FAccumulateGradient, reads them instead of calling again.
internal static partial class LoopEmitter
{
    internal const string KeptValues = "global::Gradgen.Kernels.StopGradientValues";

    /// <summary>
    /// Whether the tensor overload's forward runs <c>FForwardSweep</c>: a <c>void</c> method with a tensor overload
    /// whose body makes a call inside <c>Grad.StopGradient</c>, or calls another span method (which may make one).
    /// </summary>
    public static bool RunsForwardSweep(LoopFunction function) =>
        function.Result is null && function.CustomBackward is null && RowwiseEmitter.CanMapOverRows(function) && function.Body.Any(MayCallOpaquely);

    private static bool MayCallOpaquely(LoopStatement statement) => statement switch
    {
        AssignScalar assign => CallsOpaquely(assign.Value),
        StoreElement store => CallsOpaquely(store.Value),
        AssignDiscrete assign => assign.Value.Values.Any(CallsOpaquely),
        CallFunction => true,
        IfStatement branch => branch.Condition.Values.Any(CallsOpaquely) || branch.Then.Any(MayCallOpaquely) || branch.Else.Any(MayCallOpaquely),
        LoopStatementWhile loop => loop.Condition.Values.Any(CallsOpaquely) || loop.Body.Any(MayCallOpaquely) || loop.Step.Any(MayCallOpaquely),
        _ => false,
    };

    private static bool CallsOpaquely(ScalarExpression expression) => expression.Graph.Nodes.Any(n => n.Op == Op.OpaqueCall);

    private sealed partial class Writer
    {
        /// <summary>
        /// A call inside <c>Grad.StopGradient</c>: its value goes through <c>StopGradientValues</c>, which keeps it in
        /// the tensor overload's forward and gives it back in its backward, where the call does not run again.
        /// Elsewhere nothing is kept and the call runs as written.
        /// </summary>
        private string OpaqueCall(string call) =>
            $"({KeptValues}.Replaying ? {KeptValues}.Next{(_isFloat ? "Single" : "Double")}() : {KeptValues}.Keep(({_t}){call}))";

        /// <summary><c>void FForwardSweep(inputs…, outputs…)</c>: the forward sweep of <c>FAccumulateGradient</c>, writing the outputs.</summary>
        private void WriteForwardSweep()
        {
            var declaration = _function.Declaration;
            string inputs = string.Join(", ", Inputs.Select(p => (p.Role == ParameterRole.ArrayInput ? Span(true) : p.Type) + " " + p.Name));
            string outputs = string.Join(", ", Outputs.Select(p => $"{Span(false)} {p.Name}"));
            _writer.Line($"/// <summary>");
            _writer.Line($"/// Writes the outputs of <c>{declaration.Name}</c> by the forward sweep of <c>{declaration.Name}AccumulateGradient</c>: the tensor overload's");
            _writer.Line($"/// forward runs it so that the values of calls inside <c>Grad.StopGradient</c> are kept for its backward.");
            _writer.Line($"/// </summary>");
            _writer.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            _writer.Line(CSharpEmitter.GeneratedCode);
            // The adjoints the backward sweep would use are declared with the locals and stay unused here.
            _writer.Line("#pragma warning disable CS0219");
            using (_writer.Block($"{declaration.Accessibility} static void {declaration.Name}ForwardSweep({Join(inputs, outputs)})"))
            {
                _writer.Line($"var {_tape} = global::Gradgen.Kernels.ReverseTape.Rent();");
                using (_writer.Block("try"))
                {
                    WriteLocals(withOutputs: false);
                    _writer.Line();
                    Forward(_function.Body);
                }

                using (_writer.Block("finally"))
                {
                    _writer.Line($"{_tape}.Return();");
                }
            }

            _writer.Line("#pragma warning restore CS0219");
        }
    }
}

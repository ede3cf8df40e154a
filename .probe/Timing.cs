using System.Diagnostics;
using Gradgen;
using Gradgen.Nn;

static class Timing
{
    public static void Run()
    {
        var g = Tensor.Randn(64, 512); var w = Tensor.Randn(512, 512); var x = Tensor.Randn(64, 512); var b = Tensor.Randn(512);
        void T(string name, Action a) { a(); double best = 1e9; for (int i = 0; i < 50; i++) { var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalMilliseconds); } Console.WriteLine($"{name,-24} {best * 1000:F1} us"); }
        T("Linear", () => CompiledGraph.Linear(x, w, b));
        T("MatMul g.W", () => CompiledGraph.MatMul(g, w, false));
        T("AcrossRows", () => CompiledGraph.MatMulAcrossRows(g, x));
        T("SumToShapeOf", () => CompiledGraph.SumToShapeOf(g, b));
        T("Mean", () => CompiledGraph.Mean(x, 1, true));
        T("MatMul g.Wt", () => CompiledGraph.MatMul(g, w, true));
        T("MatMul g.W again", () => CompiledGraph.MatMul(g, w, false));
        T("Linear again", () => CompiledGraph.Linear(x, w, b));
        T("eager sum0", () => g.Sum(0));
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// One step of a random program: an operation (<see cref="Op"/>, named as in oracle.py) on earlier steps' results
/// (<see cref="Args"/> are step indices), with integer (<see cref="I"/>), floating (<see cref="P"/>) and text
/// (<see cref="S"/>) parameters; <see cref="NoGrad"/> runs it under <c>Autograd.NoGrad()</c> / <c>torch.no_grad()</c>.
/// </summary>
internal sealed record Step(string Op, int[] Args, int[] I, double[] P, string S = "", bool NoGrad = false, double[]? Data = null)
{
    public Step WithArgs(int[] args) => this with { Args = args };

    /// <summary>The step as one line of C#-like pseudo code, for failure messages.</summary>
    public string Describe(int index)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"v{index} = {Op}(");
        sb.Append(string.Join(", ", Args.Select(a => $"v{a}")));
        if (I.Length > 0) sb.Append(CultureInfo.InvariantCulture, $"{(Args.Length > 0 ? ", " : "")}i=[{string.Join(",", I)}]");
        if (P.Length > 0) sb.Append(CultureInfo.InvariantCulture, $", p=[{string.Join(",", P.Select(Values.Format))}]");
        if (S.Length > 0) sb.Append(CultureInfo.InvariantCulture, $", s={S}");
        sb.Append(')');
        if (Data is not null) sb.Append(CultureInfo.InvariantCulture, $" data=[{string.Join(", ", Data.Select(Values.Format))}]");
        if (NoGrad) sb.Append("  // under no_grad");
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["op"] = Op,
        ["a"] = new JsonArray(Args.Select(x => (JsonNode)x).ToArray()),
        ["i"] = new JsonArray(I.Select(x => (JsonNode)x).ToArray()),
        ["p"] = Values.ToHex(P),
        ["s"] = S,
        ["ng"] = NoGrad,
        ["data"] = Data is null ? null : Values.ToHex(Data),
    };
}

/// <summary>What one library did at one step: an error, or the tensor it made, and for the steps that change leaves (backward, optimizer steps) every leaf's value and gradient.</summary>
internal sealed class Observation
{
    public string? Error;
    /// <summary>Gradgen threw an exception type that marks a defect rather than a refusal (NullReferenceException, IndexOutOfRangeException…).</summary>
    public bool Crash;
    public bool Skipped;
    public TensorValue? Value;
    public bool RequiresGrad;
    public bool IsLeaf;
    public string? GradFn;
    /// <summary>The Gradgen values of the step's tensor inputs just before it ran (for PyTorch to evaluate the step on the same data).</summary>
    public List<TensorValue?>? Inputs;
    public List<LeafState>? Leaves;
    /// <summary>The leaves after this step when every float32 tensor of the program is made float64 instead.</summary>
    public List<LeafState>? Leaves64;
    /// <summary>Whether the widened program still made float32 tensors (integer inputs of float functions compute in the default dtype).</summary>
    public bool WideHasFloat32;
    /// <summary>PyTorch's value of the step computed from Gradgen's inputs (no accumulated rounding differences).</summary>
    public TensorValue? Anchored;
    public string? AnchoredError;
}

internal sealed record LeafState(int Var, TensorValue Value, TensorValue? Grad);

/// <summary>A tensor's dtype, shape and elements (as doubles: exact for every dtype here but Int64 beyond 2⁵³).</summary>
internal sealed record TensorValue(string DType, int[] Shape, double[] V)
{
    public static TensorValue Of(Tensor t)
    {
        var c = t.Contiguous();
        double[] v = t.DType switch
        {
            Gradgen.DType.Float32 => c.ToArray<float>().Select(x => (double)x).ToArray(),
            Gradgen.DType.Float64 => c.ToArray<double>(),
            Gradgen.DType.Int32 => c.ToArray<int>().Select(x => (double)x).ToArray(),
            Gradgen.DType.Int64 => c.ToArray<long>().Select(x => (double)x).ToArray(),
            _ => c.ToArray<bool>().Select(x => x ? 1.0 : 0.0).ToArray(),
        };
        return new TensorValue(Values.Name(t.DType), t.Shape.ToArray(), v);
    }

    public JsonObject ToJson() => new()
    {
        ["d"] = DType,
        ["sh"] = new JsonArray(Shape.Select(x => (JsonNode)x).ToArray()),
        ["v"] = Values.ToHex(V),
    };

    public static TensorValue? FromJson(JsonNode? n) => n is null ? null : new(
        (string)n["d"]!, n["sh"]!.AsArray().Select(x => (int)x!).ToArray(), Values.FromHex((string)n["v"]!));

    public override string ToString() =>
        $"{DType}{Fmt.Shape(Shape)} [{string.Join(", ", V.Take(24).Select(Values.Format))}{(V.Length > 24 ? ", …" : "")}]";
}

internal static class Values
{
    public static string Name(DType d) => d switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        _ => "bool",
    };

    public static DType Parse(string s) => s switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int32" => DType.Int32,
        "int64" => DType.Int64,
        "bool" => DType.Bool,
        _ => throw new ArgumentException(s),
    };

    /// <summary>Little-endian IEEE doubles as hex: exact, and NaN, ±∞ and −0 survive (JSON has no literals for them).</summary>
    public static string ToHex(double[] v)
    {
        var bytes = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), v[i]);
        return Convert.ToHexString(bytes);
    }

    public static double[] FromHex(string s)
    {
        var bytes = Convert.FromHexString(s);
        var v = new double[bytes.Length / 8];
        for (int i = 0; i < v.Length; i++) v[i] = BitConverter.ToDouble(bytes, i * 8);
        return v;
    }

    public static string Format(double x) =>
        double.IsNaN(x) ? "nan" : double.IsPositiveInfinity(x) ? "inf" : double.IsNegativeInfinity(x) ? "-inf" :
        x == 0 && double.IsNegative(x) ? "-0.0" : x.ToString("R", CultureInfo.InvariantCulture);
}

internal static class Fmt
{
    public static string Shape(int[] shape) => "[" + string.Join(", ", shape) + "]";
}

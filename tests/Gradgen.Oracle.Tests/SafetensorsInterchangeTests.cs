using System.Text.Json.Nodes;
using Gradgen.Nn;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// State dicts travel between Gradgen and real PyTorch 1.13 in the safetensors format (docs/oracle.md): a model saved
/// by Gradgen loads into the same model in PyTorch and gives the same outputs, a PyTorch model's weights written in
/// the format (in F32, F64, F16 or BF16) load into Gradgen and give PyTorch's outputs, and every dtype of the format
/// reads as PyTorch reads it. interchange.py is the PyTorch side, with its own reader and writer of the format
/// (the <c>safetensors</c> package is not packaged for Debian), so neither side checks itself.
/// </summary>
public sealed class SafetensorsInterchangeTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "gradgen-interchange-" + Guid.NewGuid().ToString("N"));

    public SafetensorsInterchangeTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string PathOf(string name) => Path.Combine(dir, name);

    /// <summary>The seed's model: its layers are fields that Module discovers under their names, as PyTorch names attributes.</summary>
    sealed class MultiLayerPerceptron(int input, int hiddenDim, int outputDim, DType dtype) : Module
    {
        readonly Linear hidden = new(input, hiddenDim, dtype: dtype);
        readonly Sigmoid activation = new();
        readonly Linear output = new(hiddenDim, outputDim, dtype: dtype);

        public override Tensor Forward(Tensor x) => output.Call(activation.Call(hidden.Call(x)));
    }

    /// <summary>
    /// A model of the test: how Gradgen builds it, and the same model for interchange.py, as [name, kind, args…] per
    /// layer in forward order (a single layer named "" is the model itself).
    /// </summary>
    public sealed record ModelCase(string Name, int Inputs, Func<DType, Module> Create, string Spec);

    static readonly ModelCase[] Models =
    [
        new("Linear", 4, d => new Linear(4, 3, dtype: d), """[["","linear",4,3,true]]"""),
        new("Sequential", 4, d => new Sequential(new Linear(4, 8, dtype: d), new ReLU(), new Linear(8, 8, bias: false, dtype: d), new Tanh(), new Linear(8, 2, dtype: d)),
            """[["0","linear",4,8,true],["1","relu"],["2","linear",8,8,false],["3","tanh"],["4","linear",8,2,true]]"""),
        new("MultiLayerPerceptron", 2, d => new MultiLayerPerceptron(2, 3, 1, d),
            """[["hidden","linear",2,3,true],["activation","sigmoid"],["output","linear",3,1,true]]"""),
        // Buffers: running_mean and running_var (floating) and num_batches_tracked (I64).
        new("BatchNorm1d", 4, d => new Sequential(new Linear(4, 6, dtype: d), new BatchNorm1d(6, dtype: d), new ReLU(), new Linear(6, 2, dtype: d)),
            """[["0","linear",4,6,true],["1","batchnorm1d",6],["2","relu"],["3","linear",6,2,true]]"""),
    ];

    [SkippableFact]
    public void Gradgen_state_dicts_load_into_PyTorch_models_and_give_the_same_outputs()
    {
        OracleTests.RequireTorch();
        var jobs = new JsonArray();
        var expected = new List<(string What, Module Model, Tensor Y, DType DType, string Output)>();
        int seed = 0;
        foreach (var model in Models)
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                string what = $"{model.Name} in {dtype}";
                RandomGenerator.ManualSeed(++seed);
                var m = model.Create(dtype);
                using (Autograd.NoGrad())
                {
                    // Batches in training mode first, so that batch norm's running statistics are not their defaults.
                    for (int k = 0; k < 3; k++) m.Call(Tensor.Randn([8, model.Inputs], dtype) * 2 + 0.5);
                }
                m.Eval();
                var x = Tensor.Randn([5, model.Inputs], dtype);
                Tensor y;
                using (Autograd.NoGrad()) y = m.Call(x);
                string state = PathOf($"g{seed}.state.safetensors"), input = PathOf($"g{seed}.io.safetensors"), output = PathOf($"g{seed}.out.safetensors");
                m.Save(state);
                Safetensors.Save(new Dictionary<string, Tensor> { ["x"] = x }, input);
                jobs.Add(new JsonObject { ["do"] = "run", ["model"] = JsonNode.Parse(model.Spec), ["dtype"] = TorchName(dtype), ["state"] = state, ["input"] = input, ["output"] = output });
                expected.Add((what, m, y, dtype, output));
            }
        }
        RunPython(jobs);
        foreach (var (what, m, y, dtype, output) in expected)
        {
            var torch = Safetensors.Load(output);
            AssertSameState(what, m.StateDict(), torch, "state.");
            AssertClose(what, torch["y"], y);
        }
    }

    [SkippableFact]
    public void PyTorch_state_dicts_load_into_Gradgen_models_and_give_PyTorch_outputs()
    {
        OracleTests.RequireTorch();
        // Weights as PyTorch saves them in each floating dtype of the format, evaluated in a compute dtype that holds
        // them exactly; F16 and BF16 into Float64 go through Safetensors.Load's floatingDType, the others through
        // Module.Load (whose LoadStateDict converts to the model's dtype).
        (string Weights, DType Compute)[] variants = [("F32", DType.Float32), ("F64", DType.Float64), ("F16", DType.Float32), ("BF16", DType.Float32), ("F16", DType.Float64), ("BF16", DType.Float64)];
        var jobs = new JsonArray();
        var cases = new List<(string What, ModelCase Model, string Weights, DType Compute, string State, string Wide, string Io)>();
        int seed = 100;
        foreach (var model in Models)
        {
            foreach (var (weights, compute) in variants)
            {
                seed++;
                string state = PathOf($"t{seed}.state.safetensors"), wide = PathOf($"t{seed}.wide.safetensors"), io = PathOf($"t{seed}.io.safetensors");
                jobs.Add(new JsonObject
                {
                    ["do"] = "make",
                    ["model"] = JsonNode.Parse(model.Spec),
                    ["seed"] = seed,
                    ["weights"] = weights,
                    ["dtype"] = TorchName(compute),
                    ["state"] = state,
                    ["state_wide"] = wide,
                    ["io"] = io,
                });
                cases.Add(($"{model.Name} with {weights} weights in {compute}", model, weights, compute, state, wide, io));
            }
        }
        RunPython(jobs);
        foreach (var (what, model, weights, compute, state, wide, io) in cases)
        {
            var file = Safetensors.Load(state, out var metadata);
            Assert.Equal("pt", metadata["format"]);
            foreach (var (name, t) in file)
                Assert.Equal(name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? DType.Int64 : weights == "F64" ? DType.Float64 : DType.Float32, t.DType);

            var m = model.Create(compute);
            if (weights is "F16" or "BF16" && compute == DType.Float64) m.LoadStateDict(Safetensors.Load(state, DType.Float64));
            else m.Load(state);
            m.Eval();
            AssertSameState(what, m.StateDict(), Safetensors.Load(wide), "");

            var torch = Safetensors.Load(io);
            Assert.Equal(compute, torch["x"].DType);
            Tensor y;
            using (Autograd.NoGrad()) y = m.Call(torch["x"]);
            AssertClose(what, torch["y"], y);
        }
    }

    /// <summary>The runtime dtype each dtype of the format reads into (docs/nn.md).</summary>
    static readonly Dictionary<string, DType> ReadsAs = new()
    {
        ["F64"] = DType.Float64,
        ["F32"] = DType.Float32,
        ["F16"] = DType.Float32,
        ["BF16"] = DType.Float32,
        ["I64"] = DType.Int64,
        ["I32"] = DType.Int32,
        ["I16"] = DType.Int32,
        ["I8"] = DType.Int32,
        ["U8"] = DType.Int32,
        ["BOOL"] = DType.Bool,
    };

    [SkippableFact]
    public void Every_dtype_PyTorch_writes_reads_as_the_values_PyTorch_widens_it_to()
    {
        OracleTests.RequireTorch();
        string narrow = PathOf("edges.safetensors"), wide = PathOf("edges.wide.safetensors");
        RunPython([new JsonObject { ["do"] = "edges", ["narrow"] = narrow, ["wide"] = wide }]);
        var read = Safetensors.Load(narrow);
        var asFloat64 = Safetensors.Load(narrow, DType.Float64);
        var widened = Safetensors.Load(wide);
        Assert.Equal(ReadsAs.Count * 3, read.Count);
        foreach (var (name, t) in read)
        {
            string format = name.Split('.')[0];
            Assert.Equal(ReadsAs[format], t.DType);
            AssertSameValues(name, widened[name], t);
            Assert.Equal(format is "F64" or "F32" or "F16" or "BF16" ? DType.Float64 : ReadsAs[format], asFloat64[name].DType);
            AssertSameValues(name, widened[name], asFloat64[name]);
        }
    }

    [SkippableFact]
    public void Every_dtype_Gradgen_writes_PyTorch_reads_as_the_same_values()
    {
        OracleTests.RequireTorch();
        float[] floats = [0f, -0f, 1f, 1f / 3, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
            float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 1.17549435e-38f, 1.17549421e-38f];
        double[] doubles = [0d, -0d, 1d, 1d / 3, double.PositiveInfinity, double.NegativeInfinity, double.NaN, -double.NaN,
            double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon, 2.2250738585072014e-308, 2.2250738585072009e-308];
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromArray(floats),
            ["f64"] = Tensor.FromArray(doubles),
            ["i32"] = Tensor.FromArray(new[] { int.MinValue, int.MinValue + 1, -1, 0, 1, int.MaxValue - 1, int.MaxValue }),
            ["i64"] = Tensor.FromArray(new[] { long.MinValue, long.MinValue + 1, -1L, 0L, 1L, (long)int.MaxValue + 1, long.MaxValue }),
            ["bool"] = Tensor.FromArray(new[] { true, false, false, true }),
            ["transposed"] = Tensor.FromArray(floats).Reshape(2, 7).T,    // written contiguous
            ["scalar"] = Tensor.Scalar(-2.5, DType.Float64),
            ["empty"] = Tensor.Zeros([0, 3], DType.Int64),
        };
        string input = PathOf("gradgen.safetensors"), output = PathOf("gradgen.echo.safetensors");
        Safetensors.Save(tensors, input);
        RunPython([new JsonObject { ["do"] = "echo", ["input"] = input, ["output"] = output }]);
        var echoed = Safetensors.Load(output, out var torchDTypes);
        Assert.Equal(tensors.Keys.Order(), echoed.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal("torch." + TorchName(t.DType), torchDTypes[name]);
            AssertSameValues(name, echoed[name], t);
        }
    }

    static string TorchName(DType d) => d switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        _ => "bool",
    };

    /// <summary>Runs the PyTorch side <paramref name="script"/> (copied beside the tests) on a JSON list of jobs; fails with its output if it fails.</summary>
    internal static void RunPython(JsonArray jobs, string script = "interchange.py")
    {
        string path = Path.Combine(Path.GetTempPath(), $"gradgen-{Path.GetFileNameWithoutExtension(script)}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, jobs.ToJsonString());
        try
        {
            var (code, output) = TorchRunner.RunProcess([Path.Combine(AppContext.BaseDirectory, script), path], 600);
            Assert.True(code == 0, $"{script} failed (exit {code}):\n{output}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Equal keys, and each tensor's values equal to the widened one's bit for bit (the format is exact).</summary>
    static void AssertSameState(string what, Dictionary<string, Tensor> state, Dictionary<string, Tensor> widened, string prefix)
    {
        Assert.Equal(state.Keys.Select(k => prefix + k).Order(), widened.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order());
        foreach (var (name, t) in state) AssertSameValues($"{what}: {name}", widened[prefix + name], t);
    }

    /// <summary>
    /// Same shape and the same values, exactly: integers as Int64, floats as float64 bit patterns (so -0 is not 0),
    /// NaN as NaN of the same sign (every conversion here keeps the sign; payloads are not compared).
    /// </summary>
    static void AssertSameValues(string what, Tensor expected, Tensor actual)
    {
        Assert.True(expected.Shape.Equals(actual.Shape), $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        if (actual.DType is not (DType.Float32 or DType.Float64))
        {
            Assert.True(expected.ToArray<long>().SequenceEqual(actual.ToArray<long>()), $"{what}: values differ");
            return;
        }
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            bool same = double.IsNaN(e[i])
                ? double.IsNaN(a[i]) && double.IsNegative(e[i]) == double.IsNegative(a[i])
                : BitConverter.DoubleToInt64Bits(e[i]) == BitConverter.DoubleToInt64Bits(a[i]);
            Assert.True(same, $"{what}: element {i} is {a[i]:R}, expected {e[i]:R}");
        }
    }

    /// <summary>
    /// The outputs of the two libraries on bit-identical weights and inputs (the format carries them exactly, which
    /// AssertSameState checks). They differ only where the libraries round differently: a dot product of n terms
    /// summed in another order differs by at most n·ε·Σ|terms|; here n ≤ 8, the inputs are standard normal, the
    /// weights at most 1/√fan-in (PyTorch's and Gradgen's initialisation) and at most three layers (batch norm
    /// scales by up to 1/√var), so Σ|terms| stays under about 10 and the bound under 100·ε per layer; sigmoid and tanh
    /// add an ulp or two. 2·10⁻⁵ (float32, ε = 6·10⁻⁸) and 10⁻¹³ (float64, ε = 1.1·10⁻¹⁶) of max(1, |expected|) allow
    /// that three times over and still fail on any wrong weight, layer or dtype.
    /// </summary>
    static void AssertClose(string what, Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.True(expected.Shape.Equals(actual.Shape), $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        double tolerance = expected.DType == DType.Float32 ? 2e-5 : 1e-13;
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"{what}: output {i} is {a[i]:R}, PyTorch's {e[i]:R}");
    }
}

using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>Module buffers (PyTorch's register_buffer): names, state dict order, loading, saving, dtype conversion.</summary>
public sealed class ModuleBufferTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "gradgen-buffers-" + Guid.NewGuid().ToString("N"));

    public ModuleBufferTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A layer with a parameter, a persistent buffer, a non-persistent one and a null one.</summary>
    sealed class Counter : Module
    {
        public Counter()
        {
            RegisterParameter("scale", Scale);
            RegisterBuffer("count", Count);
            RegisterBuffer("scratch", Scratch, persistent: false);
            RegisterBuffer("absent", null);
        }

        public Parameter Scale { get; } = new(Tensor.Ones(2));

        public Tensor Count { get; } = Tensor.Zeros([], DType.Int64);

        public Tensor Scratch { get; } = Tensor.Zeros(3);

        public override Tensor Forward(Tensor input) => input * Scale;

        protected override void DiscoverMembers()
        {
        }
    }

    sealed class Net : Module
    {
        public Net()
        {
            RegisterModule("a", A);
            RegisterBuffer("mask", Mask);
            RegisterModule("b", B);
        }

        public Counter A { get; } = new();

        public Tensor Mask { get; } = Tensor.Ones(2);

        public Counter B { get; } = new();

        public override Tensor Forward(Tensor input) => B.Call(A.Call(input) * Mask);

        protected override void DiscoverMembers()
        {
        }
    }

    [Fact]
    public void Named_buffers_list_every_buffer_depth_first_and_are_not_parameters()
    {
        var net = new Net();
        Assert.Equal(["mask", "a.count", "a.scratch", "b.count", "b.scratch"], net.NamedBuffers().Select(b => b.Name));
        Assert.Same(net.A.Count, net.Buffers().ElementAt(1));
        Assert.Equal(["a.scale", "b.scale"], net.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void State_dict_holds_parameters_then_persistent_buffers_then_children_as_PyTorch_orders_them()
    {
        var net = new Net();
        Assert.Equal(["mask", "a.scale", "a.count", "b.scale", "b.count"], net.StateDict().Keys);
    }

    [Fact]
    public void Load_state_dict_copies_buffers_and_reports_a_missing_one()
    {
        var source = new Counter();
        source.Count.Fill(7);
        var target = new Counter();
        target.LoadStateDict(source.StateDict());
        Assert.Equal(7L, target.Count.Item<long>());

        var partial = source.StateDict();
        partial.Remove("count");
        var e = Assert.Throws<ArgumentException>(() => new Counter().LoadStateDict(partial));
        Assert.Contains("Missing key(s): 'count'", e.Message);
    }

    [Fact]
    public void Buffers_go_through_safetensors()
    {
        var source = new Net();
        source.B.Count.Fill(42);
        source.Mask.Fill(0.5);
        string path = Path.Combine(dir, "net.safetensors");
        source.Save(path);
        var loaded = Safetensors.Load(path);
        Assert.Equal(DType.Int64, loaded["b.count"].DType);
        Assert.Equal(0, loaded["b.count"].Ndim);

        var target = new Net();
        target.Load(path);
        Assert.Equal(42L, target.B.Count.Item<long>());
        Assert.Equal([0.5f, 0.5f], target.Mask.ToArray<float>());
    }

    [Fact]
    public void To_dtype_converts_floating_parameters_and_buffers_in_place_and_keeps_integer_ones()
    {
        var net = new Net();
        var mask = net.Mask;
        net.To(DType.Float64);
        Assert.Same(mask, net.Mask);
        Assert.Equal(DType.Float64, net.Mask.DType);
        Assert.Equal(DType.Float64, net.A.Scale.DType);
        Assert.Equal(DType.Float64, net.A.Scratch.DType);
        Assert.Equal(DType.Int64, net.A.Count.DType);
        Assert.True(net.A.Scale.RequiresGrad);
        Assert.Throws<ArgumentException>(() => net.To(DType.Int32));
    }

    [Fact]
    public void Registration_rejects_taken_names_parameters_and_computed_tensors()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dup(d => d.Buffer("scale", Tensor.Zeros(1))));
        Assert.Contains("parameter named 'scale'", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dup(d => { d.Buffer("x", Tensor.Zeros(1)); d.Parameter("x"); }));
        Assert.Contains("buffer named 'x'", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dup(d => d.Buffer("p", new Parameter(Tensor.Zeros(1)))));
        Assert.Contains("RegisterParameter", e.Message);
        var leaf = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        e = Assert.Throws<ArgumentException>(() => new Dup(d => d.Buffer("y", leaf * 2)));
        Assert.Contains("Detach", e.Message);
    }

    sealed class Dup : Module
    {
        public Dup(Action<Dup> register)
        {
            RegisterParameter("scale", new Parameter(Tensor.Ones(1)));
            register(this);
        }

        public void Buffer(string name, Tensor t) => RegisterBuffer(name, t);

        public void Parameter(string name) => RegisterParameter(name, new Parameter(Tensor.Ones(1)));

        public override Tensor Forward(Tensor input) => input;

        protected override void DiscoverMembers()
        {
        }
    }
}

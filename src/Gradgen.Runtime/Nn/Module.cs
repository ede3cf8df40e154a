using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Gradgen.Nn;

/// <summary>
/// The base class of neural-network layers and models (PyTorch's <c>torch.nn.Module</c>). A module holds
/// <see cref="Parameter"/>s and child modules under names, and defines its computation in <see cref="Forward"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Registration.</b> Parameters and children are registered under a name, in order: explicitly with
/// <see cref="RegisterParameter"/> and <see cref="RegisterModule"/> (what the runtime's layers do in their
/// constructors), or, for a subclass that only declares fields (<c>readonly Linear hidden, output;</c>), by
/// <see cref="DiscoverMembers"/>: once, at the first call that needs the registry, every instance field whose value
/// is a <see cref="Module"/> or a <see cref="Parameter"/> and that was not registered explicitly is registered under
/// the field's name (a property's backing field under the property's name), base classes' fields first, each class's
/// fields in declaration order. Fields assigned after that first use are not seen: register them explicitly.
/// The source generator will emit this registration for <c>partial</c> model classes, without reflection.
/// </para>
/// <para>
/// <b>Names</b> are PyTorch's: <c>hidden.weight</c>, nested <c>inner.l1.weight</c>, <see cref="Sequential"/> children
/// <c>0.weight</c>.
/// </para>
/// </remarks>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module
{
    readonly List<KeyValuePair<string, Parameter?>> parameters = [];
    readonly List<KeyValuePair<string, Module?>> modules = [];
    readonly Lock discoveryLock = new();
    volatile bool discovered;
    bool discovering;
    bool training = true;

    /// <summary>The module's computation, written by the user and run eagerly op by op (PyTorch's <c>forward</c>).</summary>
    /// <param name="input">The input.</param>
    public abstract Tensor Forward(Tensor input);

    /// <summary>
    /// Runs the module on <paramref name="input"/> (PyTorch's <c>model(x)</c>): the compiled kernels when the class
    /// has them (<see cref="CallCompiled"/>), else <see cref="Forward"/>.
    /// </summary>
    /// <param name="input">The input.</param>
    public virtual Tensor Call(Tensor input) => CallCompiled(input) ?? Forward(input);

    /// <summary>
    /// The hook for compiled models: the source generator overrides it with the model's fused forward (one graph node
    /// whose backward is generated). Returns <see langword="null"/> to fall back to <see cref="Forward"/>, which is
    /// what the base implementation does.
    /// </summary>
    /// <param name="input">The input.</param>
    protected virtual Tensor? CallCompiled(Tensor input) => null;

    /// <summary>Whether the module is in training mode (PyTorch's <c>training</c>); true until <see cref="Eval"/>.</summary>
    public bool IsTraining => training;

    /// <summary>Sets training mode on this module and all its descendants (PyTorch's <c>train(mode)</c>); returns this module.</summary>
    /// <param name="mode">True for training, false for evaluation.</param>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.training = mode;
        return this;
    }

    /// <summary>Sets evaluation mode on this module and all its descendants (PyTorch's <c>eval()</c>); returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Registers a parameter under <paramref name="name"/> (PyTorch's <c>register_parameter</c>); a
    /// <see langword="null"/> parameter keeps the name (as <c>Linear</c>'s absent bias) but is skipped by
    /// <see cref="Parameters"/> and <see cref="StateDict"/>.
    /// </summary>
    /// <param name="name">A non-empty name without dots, unique among this module's parameters and children.</param>
    /// <param name="parameter">The parameter, or null.</param>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken.</exception>
    protected void RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name);
        parameters.Add(new(name, parameter));
    }

    /// <summary>Registers a child module under <paramref name="name"/> (PyTorch's <c>add_module</c>/<c>register_module</c>).</summary>
    /// <param name="name">A non-empty name without dots, unique among this module's parameters and children.</param>
    /// <param name="module">The child, or null.</param>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken, or the module is this one.</exception>
    protected void RegisterModule(string name, Module? module)
    {
        CheckName(name);
        if (ReferenceEquals(module, this)) throw new ArgumentException($"RegisterModule: a module cannot be its own child ('{name}').", nameof(module));
        modules.Add(new(name, module));
    }

    void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) throw new ArgumentException($"{GetType().Name}: a parameter or module name cannot be empty.", nameof(name));
        if (name.Contains('.')) throw new ArgumentException($"{GetType().Name}: the name '{name}' contains a dot; names of parameters and modules cannot contain '.'.", nameof(name));
        foreach (var p in parameters)
            if (p.Key == name) throw new ArgumentException($"{GetType().Name}: a parameter named '{name}' is already registered.", nameof(name));
        foreach (var m in modules)
            if (m.Key == name) throw new ArgumentException($"{GetType().Name}: a module named '{name}' is already registered.", nameof(name));
        CheckBufferName(name);
    }

    /// <summary>
    /// Runs <see cref="DiscoverMembers"/> once. Several threads may make the first use of a module at once (a server
    /// evaluating a model it just built): one runs discovery under the lock while the others wait, and every thread
    /// reads the registry only after it is complete, so none sees a half-filled list or one that changes under it.
    /// </summary>
    void EnsureDiscovered()
    {
        if (discovered) return;
        lock (discoveryLock)
        {
            // Re-entry from DiscoverMembers itself (an override that reads the registry) sees what is registered so far.
            if (discovered || discovering) return;
            discovering = true;
            try
            {
                DiscoverMembers();
            }
            finally
            {
                discovering = false;
                discovered = true;
            }
        }
    }

    /// <summary>
    /// Called once, at the first use of the registry, to register what the constructor did not. The base
    /// implementation finds fields of type <see cref="Module"/> or <see cref="Parameter"/> by reflection (see the class
    /// remarks); modules that register everything in their constructors override it with an empty method, and the
    /// source generator will override it in compiled <c>partial</c> models with explicit registrations.
    /// </summary>
    protected virtual void DiscoverMembers() => DiscoverFields(GetType());

    // The class-level [DynamicallyAccessedMembers] applies to every type deriving from Module, so the fields of each
    // class in the chain below Module are kept by the trimmer; the analysis cannot see that through BaseType.
    [UnconditionalSuppressMessage("Trimming", "IL2073", Justification = "Every type deriving from Module keeps its fields: Module is annotated with DynamicallyAccessedMembers(PublicFields | NonPublicFields), which applies to derived types.")]
    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
    static Type? BaseOf(Type t) => t.BaseType;

    /// <summary>Registers the fields of <paramref name="type"/>'s base classes (below <see cref="Module"/>), then its own.</summary>
    void DiscoverFields([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)] Type type)
    {
        if (type == typeof(Module)) return;
        if (BaseOf(type) is { } baseType) DiscoverFields(baseType);
        foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            var ft = f.FieldType;
            if (!typeof(Module).IsAssignableFrom(ft) && !ft.IsAssignableFrom(typeof(Parameter))) continue;
            RegisterField(FieldName(f.Name), f.GetValue(this));
        }
    }

    /// <summary>
    /// Registers a field's value the way discovery does: a <see cref="Module"/> or <see cref="Parameter"/> not yet
    /// registered (explicitly or under another name) is registered under <paramref name="name"/>; anything else is
    /// skipped. The source generator's <see cref="DiscoverMembers"/> override of a compiled model calls it for each
    /// field, in declaration order, so that no reflection is needed.
    /// </summary>
    /// <param name="name">The field's name.</param>
    /// <param name="value">The field's value.</param>
    protected void RegisterField(string name, object? value)
    {
        if (value is not (Module or Parameter) || ReferenceEquals(value, this) || IsRegistered(value)) return;
        if (value is Parameter p) RegisterParameter(name, p);
        else RegisterModule(name, (Module)value);
    }

    bool IsRegistered(object value)
    {
        foreach (var p in parameters) if (ReferenceEquals(p.Value, value)) return true;
        foreach (var m in modules) if (ReferenceEquals(m.Value, value)) return true;
        return false;
    }

    /// <summary><c>&lt;Hidden&gt;k__BackingField</c> → <c>Hidden</c>; other names as they are.</summary>
    static string FieldName(string name)
    {
        if (name.Length > 0 && name[0] == '<')
        {
            int end = name.IndexOf('>', StringComparison.Ordinal);
            if (end > 1) return name[1..end];
        }
        return name;
    }

    /// <summary>The parameters of this module and its descendants, each once, in registration order (PyTorch's <c>parameters()</c>).</summary>
    public IEnumerable<Parameter> Parameters()
    {
        foreach (var (_, p) in NamedParameters()) yield return p;
    }

    /// <summary>
    /// The parameters with their dotted names (<c>hidden.weight</c>, <c>0.bias</c>): this module's own first, then each
    /// child's in registration order, depth first; a parameter or module reached twice is listed once, under its first
    /// name (PyTorch's <c>named_parameters()</c>).
    /// </summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var (name, p) in m.parameters)
            {
                if (p is null || !seen.Add(p)) continue;
                yield return (prefix.Length == 0 ? name : prefix + "." + name, p);
            }
        }
    }

    /// <summary>The direct children, each once, in registration order (PyTorch's <c>children()</c>).</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var (_, m) in NamedChildren()) yield return m;
    }

    /// <summary>The direct children with their names, each once, in registration order (PyTorch's <c>named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        EnsureDiscovered();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in modules)
            if (m is not null && seen.Add(m)) yield return (name, m);
    }

    /// <summary>
    /// This module (named <c>""</c>) and all its descendants with dotted names, depth first in registration order,
    /// each once (PyTorch's <c>named_modules()</c>).
    /// </summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var result = new List<(string, Module)>();
        Collect(this, "", seen, result);
        return result;

        static void Collect(Module m, string prefix, HashSet<Module> seen, List<(string, Module)> result)
        {
            if (!seen.Add(m)) return;
            m.EnsureDiscovered();
            result.Add((prefix, m));
            foreach (var (name, child) in m.modules)
                if (child is not null) Collect(child, prefix.Length == 0 ? name : prefix + "." + name, seen, result);
        }
    }

    /// <summary>
    /// Clears the gradients of all parameters (PyTorch's <c>zero_grad()</c>): by default sets them to
    /// <see langword="null"/>, as PyTorch 2 does; with <paramref name="setToNone"/> false, zeroes them in place.
    /// </summary>
    /// <param name="setToNone">Drop the gradient tensors instead of zeroing them.</param>
    public void ZeroGrad(bool setToNone = true) => Optim.Sgd.ZeroGrads(Parameters(), setToNone);

    /// <summary>
    /// Moves the module's parameters, their gradients and its buffers to <paramref name="device"/> in place (PyTorch's
    /// <c>to(device)</c>): the same <see cref="Parameter"/> and buffer objects, so optimizers made before keep working.
    /// Returns this module.
    /// </summary>
    /// <param name="device">The target device.</param>
    /// <exception cref="NotSupportedException">A CUDA device without a registered backend (reference Gradgen.Cuda and call <c>Cuda.Register()</c>).</exception>
    public Module To(Device device)
    {
        foreach (var p in Parameters()) p.MoveTo(device);
        foreach (var (_, b) in NamedBuffers()) b.MoveTo(device);
        return this;
    }

    /// <summary>Moves the module to the device named as PyTorch names it (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>); returns this module.</summary>
    /// <param name="device">The device's name.</param>
    /// <exception cref="NotSupportedException">A CUDA device without a registered backend.</exception>
    public Module To(string device) => To(Device.Parse(device));

    /// <summary>
    /// Converts the module's floating-point parameters, their gradients and its floating-point buffers to
    /// <paramref name="dtype"/> in place (PyTorch's <c>to(dtype)</c>); integer buffers such as BatchNorm's
    /// <c>num_batches_tracked</c> keep their dtype, as in PyTorch. Returns this module.
    /// </summary>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating-point.</exception>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloating()) throw new ArgumentException($"Module.To: only floating-point dtypes convert a module (Float32 or Float64), not {dtype}.", nameof(dtype));
        foreach (var p in Parameters())
            if (p.DType.IsFloating()) p.ConvertTo(dtype);
        foreach (var (_, b) in NamedBuffers())
            if (b.DType.IsFloating()) b.ConvertTo(dtype);
        return this;
    }

    /// <summary>
    /// The parameters and persistent buffers by dotted name (PyTorch's <c>state_dict()</c>): each module's parameters,
    /// then its buffers, then its children's, in registration order; a new dictionary of detached tensors that share
    /// the storage of the parameters and buffers, as PyTorch's do, so they see later updates of the model (clone them
    /// to keep a snapshot). A tensor registered under two names appears under both.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        AddState(this, "", d);
        return d;

        static void AddState(Module m, string prefix, Dictionary<string, Tensor> d)
        {
            m.EnsureDiscovered();
            foreach (var (name, p) in m.parameters)
                if (p is not null) d[prefix + name] = p.Detach();
            m.AddBufferState(prefix, d);
            foreach (var (name, child) in m.modules)
                if (child is not null) AddState(child, prefix + name + ".", d);
        }
    }

    /// <summary>
    /// Copies the tensors of <paramref name="stateDict"/> into the parameters and buffers of the same names (PyTorch's
    /// <c>load_state_dict(strict=True)</c>), converting dtypes. Every key is checked before anything is copied: a
    /// missing key, an unexpected key or a shape that differs throws, naming all of them, and leaves the module unchanged.
    /// </summary>
    /// <param name="stateDict">The tensors by dotted name, as <see cref="StateDict"/> or <see cref="Safetensors.Load(string, DType?)"/> return them.</param>
    /// <exception cref="ArgumentException">Keys are missing or unexpected, or shapes differ.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = StateDict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, t) in own)
        {
            if (!stateDict.TryGetValue(name, out var src)) missing.Add(name);
            else if (src is null) mismatched.Add($"'{name}': the given tensor is null");
            else if (!src.Shape.Equals(t.Shape))
                mismatched.Add($"'{name}': copying a tensor of shape {src.Shape} from the state dict, but the tensor in the current model has shape {t.Shape}");
        }
        var unexpected = new List<string>();
        foreach (var key in stateDict.Keys)
            if (!own.ContainsKey(key)) unexpected.Add(key);
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var sb = new StringBuilder($"Error(s) in loading state dict for {GetType().Name}; nothing was copied:");
            if (missing.Count > 0) sb.Append("\n\tMissing key(s): ").AppendJoin(", ", missing.Select(k => $"'{k}'")).Append('.');
            if (unexpected.Count > 0) sb.Append("\n\tUnexpected key(s): ").AppendJoin(", ", unexpected.Select(k => $"'{k}'")).Append('.');
            foreach (var m in mismatched) sb.Append("\n\tSize mismatch for ").Append(m).Append('.');
            throw new ArgumentException(sb.ToString(), nameof(stateDict));
        }
        using (Autograd.Pause())
        {
            foreach (var (name, t) in own) t.CopyFrom(stateDict[name]);
        }
    }

    /// <summary>Writes <see cref="StateDict"/> to <paramref name="path"/> in the safetensors format, which PyTorch reads with <c>safetensors.torch.load_file</c>.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    public void Save(string path) => Safetensors.Save(StateDict(), path);

    /// <summary>
    /// Reads a safetensors file and loads it with <see cref="LoadStateDict"/>, which converts each tensor to the dtype
    /// of its parameter or buffer (so an F16 or BF16 checkpoint loads into a Float32 or Float64 model, exactly). The
    /// whole file is read and checked first, so a corrupt or mismatched file throws and leaves the module unchanged.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    /// <exception cref="ArgumentException">The file's tensors do not match the module's parameters.</exception>
    public void Load(string path) => LoadStateDict(Safetensors.Load(path));

    /// <summary>The arguments shown in this module's line of <see cref="ToString"/> (PyTorch's <c>extra_repr</c>), e.g. <c>in_features=2, out_features=1, bias=True</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree as PyTorch prints it: <c>Name(\n  (child): Linear(in_features=2, out_features=2, bias=True)\n)</c>.</summary>
    public override string ToString()
    {
        EnsureDiscovered();
        // A generic module prints without its arity, as PyTorch's classes have none: ModuleList`1 is ModuleList.
        string typeName = GetType().Name;
        int arity = typeName.IndexOf('`', StringComparison.Ordinal);
        var sb = new StringBuilder(arity > 0 ? typeName[..arity] : typeName).Append('(');
        string extra = ExtraRepr();
        var children = new List<(string, Module)>();
        foreach (var (name, m) in modules) if (m is not null) children.Add((name, m));
        if (children.Count == 0) return sb.Append(extra).Append(')').ToString();
        sb.Append('\n');
        if (extra.Length > 0) sb.Append("  ").Append(extra.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        foreach (var (name, m) in children)
            sb.Append("  (").Append(name).Append("): ").Append(m.ToString().Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        return sb.Append(')').ToString();
    }
}

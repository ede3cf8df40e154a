namespace Gradgen.Optim;

/// <summary>
/// An optimizer whose groups carry <typeparamref name="TOptions"/>: checks the parameters and options once, keeps
/// each parameter's state (<see cref="ParameterState"/>), and steps every parameter that has a gradient through the
/// optimizer's update rule.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options.</typeparam>
public abstract class Optimizer<TOptions> : Optimizer
    where TOptions : OptimizerOptions
{
    private readonly ParamGroup<TOptions>[] groups;
    private readonly Tensor[] parameters;
    private readonly ParameterState?[] states;

    private protected Optimizer(IEnumerable<ParamGroup<TOptions>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        this.groups = [.. groups];
        string name = GetType().Name;
        var all = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var group in this.groups)
        {
            if (group is null)
            {
                throw new ArgumentException($"{name}: parameter group {Array.IndexOf(this.groups, group)} is null.", nameof(groups));
            }

            group.Options.Validate();
            foreach (var p in group.Parameters)
            {
                int i = all.Count;
                if (p is null)
                {
                    throw new ArgumentException($"{name}: parameter {i} is null.", nameof(groups));
                }

                if (!p.IsLeaf)
                {
                    throw new ArgumentException($"{name}: can't optimize a non-leaf tensor (parameter {i} was computed by {p.GradFn!.Name}); pass leaves such as model.Parameters().", nameof(groups));
                }

                if (!p.DType.IsFloating())
                {
                    throw new ArgumentException($"{name}: parameter {i} has dtype {p.DType}; only Float32 and Float64 tensors can be optimised.", nameof(groups));
                }

                if (!seen.Add(p))
                {
                    throw new ArgumentException($"{name}: parameter {i} appears more than once in the parameter list.", nameof(groups));
                }

                all.Add(p);
            }
        }

        if (all.Count == 0)
        {
            throw new ArgumentException($"{name}: optimizer got an empty parameter list.", nameof(groups));
        }

        parameters = [.. all];
        states = new ParameterState?[parameters.Length];
    }

    /// <summary>The parameter groups with their typed options.</summary>
    public IReadOnlyList<ParamGroup<TOptions>> Groups => groups;

    /// <inheritdoc/>
    public override IReadOnlyList<ParamGroup> ParamGroups => groups;

    /// <summary>The optimised tensors of all groups, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>PyTorch's names of the state buffers, by slot (null for an unused slot).</summary>
    private protected abstract string?[] BufferNames { get; }

    /// <summary>Whether the state has a step count (PyTorch's SGD keeps none).</summary>
    private protected virtual bool CountsSteps => true;

    /// <summary>Updates one parameter: <paramref name="g"/> is its gradient in its dtype and on its device.</summary>
    private protected abstract void Update(Tensor p, Tensor g, TOptions options, ParameterState state);

    /// <summary>The state of parameter <paramref name="index"/>, null before its first step.</summary>
    internal ParameterState? State(int index) => states[index];

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A gradient's shape no longer matches its parameter's, or it is on another device.</exception>
    public override void Step()
    {
        using var _ = Autograd.Pause();
        int i = 0;
        foreach (var group in groups)
        {
            foreach (var p in group.Parameters)
            {
                var g = p.grad;
                if (g is not null)
                {
                    if (!g.Shape.Equals(p.Shape))
                    {
                        throw new InvalidOperationException($"{GetType().Name}.Step: parameter {i} has shape {p.Shape} but its gradient has shape {g.Shape}.");
                    }

                    Tensor.CommonDevice($"{GetType().Name}.Step", [p, g]);
                    if (g.DType != p.DType)
                    {
                        g = g.To(p.DType);
                    }

                    Update(p, g, group.Options, states[i] ??= new ParameterState());
                }

                i++;
            }
        }
    }

    /// <inheritdoc/>
    public override OptimizerStateDict StateDict()
    {
        var groupStates = new List<ParamGroupState>();
        int i = 0;
        foreach (var group in groups)
        {
            var options = new Dictionary<string, double>();
            group.Options.Write(options);
            if (group.InitialLr is { } initial)
            {
                options["initial_lr"] = initial;
            }

            var indices = new List<int>();
            foreach (var _ in group.Parameters)
            {
                indices.Add(i++);
            }

            groupStates.Add(new ParamGroupState(options, indices));
        }

        var state = new Dictionary<int, IReadOnlyDictionary<string, Tensor>>();
        for (int p = 0; p < states.Length; p++)
        {
            if (states[p] is not { } s)
            {
                continue;
            }

            var entries = new Dictionary<string, Tensor>();
            if (CountsSteps)
            {
                entries["step"] = Tensor.Full([], s.Step, DType.Float64);
            }

            for (int slot = 0; slot < s.Buffers.Length; slot++)
            {
                if (s.Buffers[slot] is { } buffer)
                {
                    entries[BufferNames[slot]!] = buffer.Detach().Clone();
                }
            }

            state[p] = entries;
        }

        return new OptimizerStateDict(groupStates, state);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        string name = GetType().Name;
        if (stateDict.ParamGroups.Count != groups.Length)
        {
            throw new ArgumentException($"{name}.LoadStateDict: loaded state dict has {stateDict.ParamGroups.Count} parameter groups, the optimizer has {groups.Length}.", nameof(stateDict));
        }

        for (int k = 0; k < groups.Length; k++)
        {
            if (stateDict.ParamGroups[k].Params.Count != groups[k].Parameters.Count)
            {
                throw new ArgumentException($"{name}.LoadStateDict: loaded parameter group {k} has {stateDict.ParamGroups[k].Params.Count} parameters, the optimizer's has {groups[k].Parameters.Count}.", nameof(stateDict));
            }
        }

        // Everything is checked and converted before anything is changed.
        var loaded = new ParameterState?[parameters.Length];
        foreach (var (index, entries) in stateDict.State)
        {
            if (index < 0 || index >= parameters.Length)
            {
                throw new ArgumentException($"{name}.LoadStateDict: state for parameter {index}, but the optimizer has {parameters.Length} parameters.", nameof(stateDict));
            }

            var p = parameters[index];
            var s = new ParameterState();
            foreach (var (key, value) in entries)
            {
                if (key == "step" && CountsSteps)
                {
                    s.Step = (long)value.To(Device.Cpu).Item<double>();
                    continue;
                }

                int slot = Array.IndexOf(BufferNames, key);
                if (slot < 0)
                {
                    throw new ArgumentException($"{name}.LoadStateDict: parameter {index} has an unknown state entry '{key}'; {name} keeps {string.Join(", ", BufferNames.Where(n => n is not null))}.", nameof(stateDict));
                }

                if (!value.Shape.Equals(p.Shape))
                {
                    throw new ArgumentException($"{name}.LoadStateDict: state '{key}' of parameter {index} has shape {value.Shape}, the parameter has shape {p.Shape}.", nameof(stateDict));
                }

                using (Autograd.Pause())
                {
                    s.Buffers[slot] = Tensor.Full(p.shape, 0, p.DType, p.Device).CopyFrom(value.Detach().To(p.Device));
                }
            }

            loaded[index] = s;
        }

        for (int k = 0; k < groups.Length; k++)
        {
            var options = stateDict.ParamGroups[k].Options;
            groups[k].Options.Read(options);
            groups[k].InitialLr = options.TryGetValue("initial_lr", out double initial) ? initial : null;
        }

        loaded.CopyTo(states, 0);
    }
}

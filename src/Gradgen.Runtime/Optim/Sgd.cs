namespace Gradgen.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum (PyTorch's
/// <c>torch.optim.SGD</c>), with PyTorch's update rule for each parameter p with gradient g:
/// <code>
/// g ← −g                                         (if maximize)
/// g ← g + weightDecay·p                          (if weightDecay ≠ 0)
/// b ← g  (first step)  |  b ← momentum·b + (1 − dampening)·g   (if momentum ≠ 0)
/// g ← g + momentum·b  (nesterov)  |  g ← b
/// p ← p − lr·g
/// </code>
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped (their momentum buffer is left as it is).
/// </summary>
/// <remarks>
/// <see cref="Optimizer.Step"/> makes one fused pass per parameter (<see cref="FusedUpdate"/>): a single loop reads the
/// parameter, its gradient and its momentum buffer and writes the new parameter and buffer in place, without
/// temporaries, under <see cref="Autograd.NoGrad"/>, and bumps the parameter's version counter (so a graph that saved
/// the old values refuses to run backward, as in PyTorch).
/// </remarks>
public sealed class Sgd : Optimizer<SgdOptions>
{
    /// <summary>An optimizer for <paramref name="parameters"/> (e.g. <c>model.Parameters()</c>) in one group.</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="momentum">The momentum factor, ≥ 0.</param>
    /// <param name="dampening">The dampening of momentum.</param>
    /// <param name="weightDecay">The L2 penalty, ≥ 0.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this([new ParamGroup<SgdOptions>(parameters, new SgdOptions { Lr = lr, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov, Maximize = maximize })])
    {
    }

    /// <summary>An optimizer for parameter groups, each with its own options.</summary>
    /// <param name="groups">The groups.</param>
    /// <exception cref="ArgumentException">An option is invalid, there are no parameters, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Sgd(IEnumerable<ParamGroup<SgdOptions>> groups)
        : base(groups)
    {
    }

    /// <summary>The learning rate of the first group; setting it sets every group's (as a scheduler does).</summary>
    public double Lr
    {
        get => Groups[0].Options.Lr;
        set
        {
            foreach (var group in Groups)
            {
                group.Options.Lr = value;
            }
        }
    }

    /// <summary>The momentum factor of the first group.</summary>
    public double Momentum => Groups[0].Options.Momentum;

    /// <summary>The dampening of momentum of the first group.</summary>
    public double Dampening => Groups[0].Options.Dampening;

    /// <summary>The L2 penalty of the first group.</summary>
    public double WeightDecay => Groups[0].Options.WeightDecay;

    /// <summary>Whether the first group uses Nesterov momentum.</summary>
    public bool Nesterov => Groups[0].Options.Nesterov;

    /// <summary>The momentum buffer of parameter <paramref name="index"/> (PyTorch's <c>state[p]['momentum_buffer']</c>), null before its first step or without momentum.</summary>
    /// <param name="index">The parameter's position across all groups.</param>
    public Tensor? MomentumBuffer(int index) => State(index)?.Buffers[0];

    private protected override string?[] BufferNames { get; } = ["momentum_buffer", null, null];

    private protected override bool CountsSteps => false;

    private protected override void Update(Tensor p, Tensor g, SgdOptions o, ParameterState state)
    {
        bool first = o.Momentum != 0 && state.Buffers[0] is null;
        var buffer = o.Momentum != 0 ? state.Buffer(0, p, 0) : null;
        var rule = new SgdRule(o.Lr, o.Momentum, 1 - o.Dampening, o.WeightDecay, first, o.Nesterov, o.Maximize);
        FusedUpdate.Run(rule, p, g, buffer);
    }

    private readonly record struct SgdRule(double Lr, double Momentum, double Keep, double WeightDecay, bool First, bool Nesterov, bool Maximize) : IUpdateRule
    {
        public void Apply<TV>(ref TV p, TV g, ref TV b, ref TV s1, ref TV s2)
            where TV : struct, IUpdateValue<TV>
        {
            var d = Maximize ? -g : g;
            if (WeightDecay != 0)
            {
                d += p * WeightDecay;
            }

            if (Momentum != 0)
            {
                b = First ? d : (b * Momentum) + (d * Keep);
                d = Nesterov ? d + (b * Momentum) : b;
            }

            p -= d * Lr;
        }
    }
}

using System.Globalization;
using System.Numerics;

namespace Gradgen.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum (PyTorch's
/// <c>torch.optim.SGD</c>), with PyTorch's update rule for each parameter p with gradient g:
/// <code>
/// g ← g + weightDecay·p                          (if weightDecay ≠ 0)
/// b ← g  (first step)  |  b ← momentum·b + (1 − dampening)·g   (if momentum ≠ 0)
/// g ← g + momentum·b  (nesterov)  |  g ← b
/// p ← p − lr·g
/// </code>
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped (their momentum buffer is left as it is).
/// </summary>
/// <remarks>
/// <see cref="Step"/> makes one fused pass per parameter: a single loop reads the parameter, its gradient and its
/// momentum buffer and writes the new parameter and buffer in place, without temporaries, under
/// <see cref="Autograd.NoGrad"/>, and bumps the parameter's version counter (so a graph that saved the old values
/// refuses to run backward, as in PyTorch).
/// </remarks>
public sealed class Sgd
{
    readonly Tensor[] parameters;
    readonly Tensor?[] buffers;

    /// <summary>An optimizer for <paramref name="parameters"/> (e.g. <c>model.Parameters()</c>).</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="momentum">The momentum factor, ≥ 0.</param>
    /// <param name="dampening">The dampening of momentum.</param>
    /// <param name="weightDecay">The L2 penalty, ≥ 0.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(lr >= 0)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Invalid learning rate: {lr}"), nameof(lr));
        if (!(momentum >= 0)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Invalid momentum value: {momentum}"), nameof(momentum));
        if (!(weightDecay >= 0)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Invalid weight_decay value: {weightDecay}"), nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(nesterov));
        var list = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        int i = 0;
        foreach (var p in parameters)
        {
            if (p is null) throw new ArgumentException($"Sgd: parameter {i} is null.", nameof(parameters));
            if (!p.IsLeaf) throw new ArgumentException($"Sgd: can't optimize a non-leaf tensor (parameter {i} was computed by {p.GradFn!.Name}); pass leaves such as model.Parameters().", nameof(parameters));
            if (!p.DType.IsFloating()) throw new ArgumentException($"Sgd: parameter {i} has dtype {p.DType}; only Float32 and Float64 tensors can be optimised.", nameof(parameters));
            if (!seen.Add(p)) throw new ArgumentException($"Sgd: parameter {i} appears more than once in the parameter list.", nameof(parameters));
            list.Add(p);
            i++;
        }
        if (list.Count == 0) throw new ArgumentException("Sgd: optimizer got an empty parameter list.", nameof(parameters));
        this.parameters = [.. list];
        buffers = new Tensor?[this.parameters.Length];
        Lr = lr;
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>The learning rate; may be changed between steps (as a scheduler does).</summary>
    public double Lr { get; set; }

    /// <summary>The momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>The dampening of momentum.</summary>
    public double Dampening { get; }

    /// <summary>The L2 penalty.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The optimised tensors, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>The momentum buffer of parameter <paramref name="index"/> (PyTorch's <c>state[p]['momentum_buffer']</c>), null before its first step or without momentum.</summary>
    /// <param name="index">The parameter's position.</param>
    public Tensor? MomentumBuffer(int index) => buffers[index];

    /// <summary>Clears the gradients of the parameters (PyTorch's <c>zero_grad()</c>): sets them to null by default, as PyTorch 2 does, or zeroes them in place.</summary>
    /// <param name="setToNone">Drop the gradient tensors instead of zeroing them.</param>
    public void ZeroGrad(bool setToNone = true) => ZeroGrads(parameters, setToNone);

    internal static void ZeroGrads(IEnumerable<Tensor> parameters, bool setToNone)
    {
        foreach (var p in parameters)
        {
            if (p.grad is null) continue;
            if (setToNone) p.grad = null;
            else
            {
                using (Autograd.Pause()) p.grad = p.grad.GradFn is null ? p.grad.Zero() : Tensor.ZerosLike(p.grad);
            }
        }
    }

    /// <summary>Updates every parameter that has a gradient by the rule in the class summary (PyTorch's <c>step()</c>).</summary>
    /// <exception cref="InvalidOperationException">A gradient's shape no longer matches its parameter's.</exception>
    public void Step()
    {
        using var _ = Autograd.Pause();
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var g = p.grad;
            if (g is null) continue;
            if (!g.Shape.Equals(p.Shape))
                throw new InvalidOperationException($"Sgd.Step: parameter {i} has shape {p.Shape} but its gradient has shape {g.Shape}.");
            if (p.Device.Type != DeviceType.Cpu)
            {
                StepOnDevice(i, p, g);
                continue;
            }
            if (!p.IsContiguous)
            {
                StepStrided(i, p, g);
                continue;
            }
            var gc = g.DType == p.DType ? g.ContiguousData() : g.ToDTypeData(p.DType);
            bool first = false;
            if (Momentum != 0 && buffers[i] is null)
            {
                buffers[i] = Tensor.Empty(p.DType, p.shape);
                first = true;
            }
            var b = buffers[i];
            if (p.DType == DType.Float32)
                Update<float>(p.StorageSpan<float>().Slice(p.offset, p.numel), gc.StorageSpan<float>().Slice(gc.offset, gc.numel),
                    b is null ? default : b.StorageSpan<float>(), first);
            else
                Update<double>(p.StorageSpan<double>().Slice(p.offset, p.numel), gc.StorageSpan<double>().Slice(gc.offset, gc.numel),
                    b is null ? default : b.StorageSpan<double>(), first);
            p.storage.Version++;
            if (b is not null) b.storage.Version++;

            // Read through spans above: a converted gradient stays reachable (its pooled array in use) until here.
            GC.KeepAlive(gc);
        }
    }

    /// <summary>The fused update of one contiguous parameter.</summary>
    void Update<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, bool first) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(Lr), wd = T.CreateChecked(WeightDecay), mu = T.CreateChecked(Momentum);
        T keep = T.One - T.CreateChecked(Dampening);
        bool decay = WeightDecay != 0, momentum = Momentum != 0, nesterov = Nesterov;
        for (int j = 0; j < p.Length; j++)
        {
            T d = g[j];
            if (decay) d += wd * p[j];
            if (momentum)
            {
                T bj = first ? d : mu * buf[j] + keep * d;
                buf[j] = bj;
                d = nesterov ? d + mu * bj : bj;
            }
            p[j] -= lr * d;
        }
    }

    /// <summary>The same rule with tensor operations, for a parameter that is a strided view.</summary>
    /// <summary>
    /// The update of a parameter on an accelerator: plain SGD (with weight decay) is one kernel in place; momentum
    /// keeps its buffer on the device and composes device operations, then updates in place.
    /// </summary>
    void StepOnDevice(int i, Tensor p, Tensor g)
    {
        var gd = Tensor.CommonDevice("Sgd.Step", [p, g]) == g.Device && g.DType == p.DType ? g : g.To(p.DType);
        if (Momentum == 0)
        {
            DeviceNn.SgdStep(p, gd, Lr, WeightDecay);
            return;
        }
        var d = WeightDecay != 0 ? gd + p * WeightDecay : gd;
        var b = buffers[i];
        b = b is null ? d.Clone() : b * Momentum + d * (1 - Dampening);
        buffers[i] = b;
        DeviceNn.Axpy(p, Nesterov ? d + b * Momentum : b, -Lr);
    }

    void StepStrided(int i, Tensor p, Tensor g)
    {
        var d = g.DType == p.DType ? g : g.To(p.DType);
        if (WeightDecay != 0) d = d + p * WeightDecay;
        if (Momentum != 0)
        {
            var b = buffers[i];
            if (b is null) buffers[i] = b = d.Clone();
            else
            {
                b.MulInPlace(Momentum).AddInPlace(d, 1 - Dampening);
            }
            d = Nesterov ? d + b * Momentum : b;
        }
        p.AddInPlace(d, -Lr);
    }
}

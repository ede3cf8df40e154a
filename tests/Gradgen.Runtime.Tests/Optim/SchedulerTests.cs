using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Tests.Optim;

/// <summary>Every scheduler's learning rates for 30 epochs against PyTorch's closed forms (lr_scheduler.py's <c>_get_closed_form_lr</c> and docs).</summary>
public class SchedulerTests
{
    const double Base = 0.1;

    static Sgd Optimizer(double lr = Base, double momentum = 0.9) => new([new Parameter(Tensor.Ones(2))], lr: lr, momentum: momentum);

    /// <summary>Epoch 0's rate after construction, then one <see cref="LRScheduler.Step"/> per epoch; each compared with <paramref name="closedForm"/>.</summary>
    static void Expect(Func<Optimizer, LRScheduler> make, Func<int, double> closedForm, int epochs = 30)
    {
        var optimizer = Optimizer();
        var scheduler = make(optimizer);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            if (epoch > 0) scheduler.Step();
            double expected = closedForm(epoch);
            Assert.True(Math.Abs(scheduler.GetLastLr()[0] - expected) <= 1e-12 * Math.Max(1, expected), $"epoch {epoch}: expected {expected:R}, got {scheduler.GetLastLr()[0]:R}");
            Assert.Equal(scheduler.GetLastLr()[0], optimizer.ParamGroups[0].Lr);
        }
    }

    [Fact] public void StepLR() => Expect(o => new StepLR(o, stepSize: 7, gamma: 0.5), e => Base * Math.Pow(0.5, e / 7));

    [Fact] public void MultiStepLR() => Expect(o => new MultiStepLR(o, [3, 10, 10, 25], gamma: 0.3), e => Base * Math.Pow(0.3, new[] { 3, 10, 10, 25 }.Count(m => m <= e)));

    [Fact] public void ExponentialLR() => Expect(o => new ExponentialLR(o, gamma: 0.9), e => Base * Math.Pow(0.9, e));

    // Past tMax the schedule continues as a cosine of period 2·tMax (PyTorch's chainable form does so).
    [Fact] public void CosineAnnealingLR() => Expect(o => new CosineAnnealingLR(o, tMax: 12, etaMin: 0.01), e => 0.01 + ((Base - 0.01) * (1 + Math.Cos(Math.PI * e / 12)) / 2));

    [Fact] public void LinearLR() => Expect(o => new LinearLR(o, startFactor: 0.25, endFactor: 0.9, totalIters: 8), e => Base * (0.25 + ((0.9 - 0.25) * Math.Min(e, 8) / 8)));

    [Fact] public void LinearLR_defaults() => Expect(o => new LinearLR(o), e => Base * ((1.0 / 3) + ((1 - (1.0 / 3)) * Math.Min(e, 5) / 5)));

    [Fact]
    public void OneCycleLR_two_phases_cosine_with_momentum()
    {
        const int total = 40;
        const double maxLr = 1.0, initial = maxLr / 25, min = initial / 1e4;
        double Cos(double start, double end, double pct) => end + ((start - end) / 2 * (Math.Cos(Math.PI * pct) + 1));
        var optimizer = Optimizer();
        var scheduler = new OneCycleLR(optimizer, maxLr, totalSteps: total);
        double rise = (0.3 * total) - 1;
        for (int step = 0; step < total; step++)
        {
            if (step > 0) scheduler.Step();
            bool up = step <= rise;
            double pct = up ? step / rise : (step - rise) / (total - 1 - rise);
            double lr = up ? Cos(initial, maxLr, pct) : Cos(maxLr, min, pct);
            double momentum = up ? Cos(0.95, 0.85, pct) : Cos(0.85, 0.95, pct);
            Assert.Equal(lr, scheduler.GetLastLr()[0], 1e-12);
            Assert.Equal(momentum, optimizer.Groups[0].Options.Momentum, 1e-12);
        }

        Assert.Equal(min, scheduler.GetLastLr()[0], 1e-15);
        scheduler.Step(); // step 40 = total: allowed, as in PyTorch
        Assert.Contains("Tried to step 41 times. The specified number of total steps is 40", Assert.Throws<InvalidOperationException>(scheduler.Step).Message);
    }

    [Fact]
    public void OneCycleLR_three_phases_linear_on_adam_cycles_beta1()
    {
        var optimizer = new Adam([new Parameter(Tensor.Ones(2))]);
        var scheduler = new OneCycleLR(optimizer, 0.5, epochs: 2, stepsPerEpoch: 10, pctStart: 0.25, annealStrategy: "linear", threePhase: true);
        double initial = 0.5 / 25, min = initial / 1e4;
        double[] ends = [4, 8, 19];
        for (int step = 0; step < 20; step++)
        {
            if (step > 0) scheduler.Step();
            double expected = step <= ends[0] ? initial + ((0.5 - initial) * step / ends[0])
                : step <= ends[1] ? 0.5 + ((initial - 0.5) * (step - ends[0]) / (ends[1] - ends[0]))
                : initial + ((min - initial) * (step - ends[1]) / (ends[2] - ends[1]));
            Assert.Equal(expected, scheduler.GetLastLr()[0], 1e-12);
        }

        Assert.Equal(0.95, optimizer.Groups[0].Options.Beta1, 1e-12);
    }

    [Fact]
    public void OneCycleLR_errors()
    {
        Assert.Contains("total_steps OR (epochs AND steps_per_epoch)", Assert.Throws<ArgumentException>(() => new OneCycleLR(Optimizer(), 1)).Message);
        Assert.Contains("Expected float between 0 and 1 pct_start, but got 1.5", Assert.Throws<ArgumentException>(() => new OneCycleLR(Optimizer(), 1, totalSteps: 10, pctStart: 1.5)).Message);
        Assert.Contains("anneal_strategy", Assert.Throws<ArgumentException>(() => new OneCycleLR(Optimizer(), 1, totalSteps: 10, annealStrategy: "exp")).Message);
        Assert.Contains("momentum or beta1", Assert.Throws<ArgumentException>(() => new OneCycleLR(new Adagrad([new Parameter(Tensor.Ones(1))]), 1, totalSteps: 10)).Message);
    }

    [Fact]
    public void ReduceLROnPlateau_waits_patience_epochs_then_cools_down()
    {
        var optimizer = Optimizer(lr: 1.0);
        var scheduler = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.2);
        double[] losses = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
        // Epoch 1: 9 is better; 2, 3: bad (1, 2); 4: bad 3 > 2 → 0.5, cooldown 1; 5: cooldown (bad reset);
        // 6, 7: bad 1, 2; 8: 3 → 0.25; 9: cooldown; 10, 11: 1, 2.
        double[] expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25];
        for (int i = 0; i < losses.Length; i++)
        {
            scheduler.Step(losses[i]);
            Assert.Equal(expected[i], scheduler.GetLastLr()[0]);
        }

        scheduler.Step(9); // 0.25·0.5 below the minimum: held at 0.2
        Assert.Equal(0.2, optimizer.Lr);
        Assert.Equal(9, scheduler.Best);
        Assert.Throws<InvalidOperationException>(scheduler.Step);
        Assert.Contains("Factor should be < 1.0.", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(optimizer, factor: 1)).Message);
        Assert.Contains("mode up is unknown!", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(optimizer, mode: "up")).Message);
    }

    [Fact]
    public void ReduceLROnPlateau_max_mode_with_absolute_threshold()
    {
        var optimizer = Optimizer(lr: 1.0);
        var scheduler = new ReduceLROnPlateau(optimizer, mode: "max", patience: 0, threshold: 0.1, thresholdMode: "abs");
        scheduler.Step(0.5);
        Assert.Equal(1.0, optimizer.Lr);
        scheduler.Step(0.55); // not better by 0.1
        Assert.Equal(0.1, optimizer.Lr, 1e-15);
    }

    [Fact]
    public void Every_group_is_scheduled_from_its_own_initial_lr()
    {
        var optimizer = new Adam([new ParamGroup<AdamOptions>([new Parameter(Tensor.Ones(1))], new() { Lr = 0.1 }), new ParamGroup<AdamOptions>([new Parameter(Tensor.Ones(1))], new() { Lr = 0.01 })]);
        var scheduler = new ExponentialLR(optimizer, 0.5);
        scheduler.Step();
        Assert.Equal([0.05, 0.005], scheduler.GetLastLr());
        Assert.Equal([0.1, 0.01], scheduler.BaseLrs);
        Assert.Equal(0.1, optimizer.ParamGroups[0].InitialLr);
        Assert.Contains("initial_lr", Assert.Throws<ArgumentException>(() => new StepLR(Optimizer(), 3, lastEpoch: 5)).Message);
    }
}

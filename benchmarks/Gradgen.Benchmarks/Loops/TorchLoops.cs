using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Loops;

/// <summary>The same computations with TorchSharp's eager autograd, as a .NET user would write them.</summary>
public sealed class TorchLoops : IDisposable
{
    readonly TorchTensor x;
    readonly TorchTensor label;
    readonly TorchTensor w, u, b;
    readonly TorchTensor[] steps;

    public TorchLoops(float[] values, int labelIndex, float[] sequence)
    {
        torch.set_num_threads(1);
        x = torch.tensor(values, requires_grad: true);
        label = torch.tensor(new long[] { labelIndex });
        w = torch.tensor(0.5f, requires_grad: true);
        u = torch.tensor(0.8f, requires_grad: true);
        b = torch.tensor(0.1f, requires_grad: true);
        steps = sequence.Select(v => torch.tensor(v)).ToArray();
    }

    public float LogSumExp()
    {
        x.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        var value = x.logsumexp(0);
        value.backward();
        return value.item<float>();
    }

    public float SoftmaxCrossEntropy()
    {
        x.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        var value = torch.nn.functional.cross_entropy(x.unsqueeze(0), label);
        value.backward();
        return value.item<float>();
    }

    public float Rnn()
    {
        w.grad?.zero_();
        u.grad?.zero_();
        b.grad?.zero_();
        using var scope = torch.NewDisposeScope();
        var h = torch.tensor(0f);
        foreach (var step in steps)
        {
            h = torch.tanh(w * h + u * step + b);
        }

        h.backward();
        return h.item<float>();
    }

    public float[] Gradient() => x.grad!.data<float>().ToArray();

    public float[] RnnGradient() => new[] { w.grad!.item<float>(), u.grad!.item<float>(), b.grad!.item<float>() };

    public void Dispose()
    {
        x.Dispose();
        label.Dispose();
        w.Dispose();
        u.Dispose();
        b.Dispose();
        foreach (var step in steps)
        {
            step.Dispose();
        }
    }
}

namespace Gradgen.Nn;

/// <summary>The graph node of <see cref="ConvolutionKernel"/> (PyTorch's <c>ConvolutionBackward0</c>): inputs x, weight, bias.</summary>
internal sealed class ConvolutionBackward : GradFn
{
    readonly ConvolutionShape shape;
    SavedTensor input;
    SavedTensor weight;

    public ConvolutionBackward(Tensor input, Tensor weight, Tensor? bias, ConvolutionShape shape)
    {
        this.shape = shape;
        this.input = Save(input);
        this.weight = Save(weight);
        next = [input.GradientEdge, weight.GradientEdge, bias?.GradientEdge];
    }

    public override string Name => "ConvolutionBackward0";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var x = input.Get(this).ContiguousData();
        var w = weight.Get(this).ContiguousData();
        var g = (grad.DType == x.DType ? grad : grad.ToDTypeData(x.DType)).ContiguousData();
        var dx = Needs(0) ? Tensor.Empty(x.DType, (int[])x.shape.Clone()) : null;
        var db = Needs(2) ? new double[shape.O] : null;
        Tensor? dw = null;
        if (x.DType == DType.Float32)
        {
            var sum = ConvolutionKernel.Backward<float>(shape, x, w, g, dx, Needs(1), db);
            dw = sum is null ? null : Tensor.FromArray(sum).Reshape(w.shape);
        }
        else
        {
            var sum = ConvolutionKernel.Backward<double>(shape, x, w, g, dx, Needs(1), db);
            dw = sum is null ? null : Tensor.FromArray(sum).Reshape(w.shape);
        }

        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(g);
        inputGrads[0] = dx;
        inputGrads[1] = dw;
        if (db is not null)
        {
            inputGrads[2] = Tensor.FromArray(db).To(next[2]!.outputDType);
        }
    }

    internal override void ReleaseSaved()
    {
        input.Release();
        weight.Release();
    }
}

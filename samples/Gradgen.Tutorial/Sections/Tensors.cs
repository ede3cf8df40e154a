using CudaBackend = Gradgen.Cuda.Cuda;

namespace Gradgen.Tutorial.Sections;

/// <summary>Section 12.1 of the seed: the tensor object — creation, attributes, views, arithmetic, masks, broadcasting, the GPU.</summary>
public static class Tensors
{
    /// <summary>Runs the section.</summary>
    public static void Run(Notebook nb)
    {
        RandomGenerator.ManualSeed(0);
        nb.Section("12.1 The Tensor object");
        nb.Say("Gradgen.Tensor is torch.Tensor in C#: an n-dimensional array of one dtype with SIMD operations,");
        nb.Say("broadcasting and autograd.");

        Creation(nb);
        Attributes(nb);
        Manipulation(nb);
        Computation(nb);
        Gpu(nb);
    }

    static void Creation(Notebook nb)
    {
        nb.Heading("Creating tensors");
        nb.Say("A vector of length 10 filled with zeros, one filled with ones, and 10 numbers from 0 to 9:");
        nb.Show("Tensor.Zeros(10)", Tensor.Zeros(10));
        nb.Show("Tensor.Ones(10)", Tensor.Ones(10));
        nb.Show("Tensor.Linspace(0, 9, steps: 10)", Tensor.Linspace(0, 9, steps: 10));

        nb.Say("From a C# array (a Python list in the seed):");
        float[] aList = [0, 1, 2, 3, 4, 5, 6];
        nb.Code("float[] aList = [0, 1, 2, 3, 4, 5, 6];");
        nb.Show("Tensor.FromArray(aList)", Tensor.FromArray(aList));

        nb.Say("From a double[] (NumPy's float64 ndarray in the seed; here the seed's own random numbers): the dtype is kept.");
        double[] numpyArray = [2.3634, 0.7277, 1.7162, -0.4610, 0.7706, -0.7328, 0.5429, -0.3567, 0.4777, -1.4907];
        nb.Code("double[] numpyArray = [2.3634, 0.7277, 1.7162, -0.4610, 0.7706, -0.7328, 0.5429, -0.3567, 0.4777, -1.4907];");
        nb.Show("Tensor.FromArray(numpyArray)", Tensor.FromArray(numpyArray));

        nb.Heading("From a tensor to an array");
        nb.Say("PyTorch's numpy() is ToArray<T>() (a copy; AsSpan<T>() reads a contiguous tensor in place).");
        nb.Say("Random numbers come from Gradgen.RandomGenerator (seeded with ManualSeed), not from PyTorch's generator.");
        var data = Tensor.Randn(5);
        nb.Code("var data = Tensor.Randn(5);");
        nb.Show("data", data);
        nb.Show("data.ToArray<float>()", data.ToArray<float>());
    }

    static void Attributes(Notebook nb)
    {
        nb.Heading("Important attributes of tensors");
        nb.Say("A tensor has a shape (its dimensions) and a dtype: Ndim, Shape and DType.");
        var a = Tensor.Randn(10, 20, 30);
        nb.Code("var a = Tensor.Randn(10, 20, 30);");
        nb.Show("(a.Ndim, a.Shape, a.DType)", (a.Ndim, a.Shape, a.DType));
        nb.Say("A tensor lives in system memory ('cpu') or in the memory of a device ('cuda'): Device.");
        nb.Show("a.Device", a.Device);
        nb.Say("The dtype and the device can be given when a tensor is created:");
        nb.Show("Tensor.Zeros([10], DType.Int32, device: Device.Cpu)", Tensor.Zeros([10], DType.Int32, device: Device.Cpu));
    }

    static void Manipulation(Notebook nb)
    {
        nb.Heading("Manipulating tensors");
        var a = Tensor.Linspace(0, 9, 10);
        nb.Code("var a = Tensor.Linspace(0, 9, 10);");
        nb.Show("a", a);

        nb.Say("Reshape reorganises the dimensions (a view of the same memory when the strides allow, as here):");
        var b = a.Reshape(2, 5);
        nb.Code("var b = a.Reshape(2, 5);");
        nb.Show("b", b);
        nb.Say("View does the same but never copies: it fails where a view is impossible.");
        nb.Show("a.View(5, 2)", a.View(5, 2));

        nb.Say("Transpose(0, 1), or its alias T:");
        nb.Show("b.T", b.T);

        nb.Say("Flatten turns a tensor of any dimension into a one-dimensional one:");
        nb.Show("b.Flatten()", b.Flatten());

        nb.Say("Unsqueeze(d) inserts a dimension of size 1 at position d:");
        var c = b.Unsqueeze(1);
        nb.Code("var c = b.Unsqueeze(1);");
        nb.Show("(c, c.Shape)", (c, c.Shape));
    }

    static void Computation(Notebook nb)
    {
        nb.Heading("Computing with tensors");
        nb.Say("Tensors support arithmetic and logical operations; on tensors in system memory the CPU runs them.");
        var data = Tensor.Linspace(0, 5, steps: 6);
        nb.Code("var data = Tensor.Linspace(0, 5, steps: 6);");
        nb.Show("data", data);

        nb.Say("Some arithmetic:");
        nb.Show("data + 5", data + 5);
        nb.Show("2 * data", 2 * data);
        nb.Show("data.Pow(2)", data.Pow(2));
        nb.Show("data.Log()", data.Log());

        nb.Say("A comparison gives a Bool tensor, a mask that selects elements:");
        var mask = data > 3;
        nb.Code("var mask = data > 3;");
        nb.Show("mask", mask);
        nb.Show("data[mask]", data[mask]);

        nb.Say("Broadcasting: a [6, 1] column times a [1, 6] row is the [6, 6] outer product.");
        var data2 = Tensor.Ones(6);
        nb.Code("var data2 = Tensor.Ones(6);");
        nb.Show("(data.Unsqueeze(1), data2.Unsqueeze(0), data.Unsqueeze(1) * data2.Unsqueeze(0))",
            (data.Unsqueeze(1), data2.Unsqueeze(0), data.Unsqueeze(1) * data2.Unsqueeze(0)));
    }

    static void Gpu(Notebook nb)
    {
        nb.Heading("Computing on the GPU");
        nb.Say("To(device) moves a tensor between system memory ('cpu', the host) and GPU memory ('cuda', the device).");
        nb.Say("Gradgen.Cuda runs the generated kernels on NVIDIA GPUs; Cuda.Register() plugs it into the tensors. Is there a GPU here?");
        nb.Show("Cuda.Register()", CudaBackend.Register());
        nb.Show("Cuda.DeviceDescription", CudaBackend.DeviceDescription);

        var data = Tensor.Zeros(10);
        nb.Code("var data = Tensor.Zeros(10);\ndata = data.To(\"cuda\");");
        if (!CudaBackend.IsAvailable)
        {
            nb.Say("No GPU (or no CUDA driver) here: data.To(\"cuda\") would throw NotSupportedException, so the tensor stays in");
            nb.Say("system memory and the tutorial continues on the CPU.");
            nb.Show("data.Device", data.Device);
            return;
        }

        data = data.To("cuda");
        nb.Show("data", data);
        nb.Say("When every tensor of an operation is on the GPU, the GPU computes it (and its gradient):");
        var x = Tensor.Linspace(0, 10, 5).To("cuda");
        x.RequiresGrad = true;
        var y = Curves.Bump(x);
        y.Sum().Backward();
        nb.Show("Curves.Bump(x)", y);
        nb.Show("x.Grad", x.Grad!);
    }
}

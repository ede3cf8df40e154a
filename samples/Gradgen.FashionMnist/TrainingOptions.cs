using System.Globalization;

namespace Gradgen.FashionMnist;

/// <summary>The sample's command-line options.</summary>
/// <param name="Epochs">Passes over the 60 000 training images.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Optimizer">adam, adamw, sgd, rmsprop or adagrad.</param>
/// <param name="Lr">The learning rate.</param>
/// <param name="Threads">CPU threads for the kernels (null: all).</param>
/// <param name="Device">cpu or cuda.</param>
/// <param name="DataDirectory">Where the four IDX files are (null: GRADGEN_DATA, then Debian's package).</param>
/// <param name="OutputDirectory">Where the plot and the weights go.</param>
/// <param name="Evaluate">A weights file to evaluate instead of training.</param>
/// <param name="Seed">Seeds the initial weights and the shuffling.</param>
/// <param name="Model">mlp (the quickstart network, compiled), cnn (two convolution blocks and two linear layers, eager, CPU) or cnn-bn (the same with BatchNorm2d after each convolution).</param>
public sealed record TrainingOptions(
    int Epochs = 10, int BatchSize = 64, string Optimizer = "adam", double Lr = 1e-3, int? Threads = null, string Device = "cpu",
    string? DataDirectory = null, string OutputDirectory = "fashion-mnist-out", string? Evaluate = null, int Seed = 0, string Model = "mlp")
{
    /// <summary>The usage text printed by <c>--help</c> and after a bad option.</summary>
    public const string Usage = """
        usage: dotnet run -c Release --project samples/Gradgen.FashionMnist -- [options]
          --model NAME       mlp (784-512-512-10, compiled), cnn (2 conv+pool blocks, 2 linear; CPU)
                             or cnn-bn (cnn with BatchNorm2d after each convolution; CPU) (default mlp)
          --epochs N         passes over the training set (default 10)
          --batch-size N     images per step (default 64)
          --optimizer NAME   adam, adamw, sgd, rmsprop or adagrad (default adam)
          --lr X             learning rate (default 1e-3)
          --threads N        CPU threads for the kernels (default: all cores)
          --device NAME      cpu or cuda (default cpu)
          --data DIR         directory with the four Fashion-MNIST IDX files (default: $GRADGEN_DATA,
                             then /usr/share/datasets/fashion-mnist from apt-get install dataset-fashion-mnist)
          --out DIR          where training.png and <model>.safetensors go (default fashion-mnist-out)
          --evaluate FILE    evaluate saved weights of --model on the test set instead of training
          --seed N           seed of the initial weights and the shuffling (default 0)
          --help             this text
        """;

    /// <summary>Whether <see cref="Model"/> is a convolutional network (cnn or cnn-bn), which takes [N, 1, 28, 28] images.</summary>
    public bool IsCnn => Model is "cnn" or "cnn-bn";

    /// <summary>The optimizers <see cref="Optimizer"/> may name.</summary>
    public static readonly string[] Optimizers = ["adam", "adamw", "sgd", "rmsprop", "adagrad"];

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments after <c>--</c>.</param>
    /// <param name="help">Set when <c>--help</c> was given.</param>
    /// <exception cref="ArgumentException">An unknown option, a missing value or a value out of range.</exception>
    public static TrainingOptions Parse(IReadOnlyList<string> args, out bool help)
    {
        ArgumentNullException.ThrowIfNull(args);
        help = false;
        var options = new TrainingOptions();
        for (int i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--model" => options with { Model = OneOf(args, ref i, ["mlp", "cnn", "cnn-bn"]) },
                "--epochs" => options with { Epochs = PositiveInt(args, ref i) },
                "--batch-size" => options with { BatchSize = PositiveInt(args, ref i) },
                "--optimizer" => options with { Optimizer = OneOf(args, ref i, Optimizers) },
                "--lr" => options with { Lr = PositiveDouble(args, ref i) },
                "--threads" => options with { Threads = PositiveInt(args, ref i) },
                "--device" => options with { Device = OneOf(args, ref i, ["cpu", "cuda"]) },
                "--data" => options with { DataDirectory = Value(args, ref i) },
                "--out" => options with { OutputDirectory = Value(args, ref i) },
                "--evaluate" => options with { Evaluate = Value(args, ref i) },
                "--seed" => options with { Seed = PositiveInt(args, ref i, allowZero: true) },
                "--help" or "-h" => options,
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
            help |= args[i] is "--help" or "-h";
        }

        return options;
    }

    static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }

        return args[++i];
    }

    static string OneOf(IReadOnlyList<string> args, ref int i, string[] allowed)
    {
        string option = args[i];
        string value = Value(args, ref i).ToLowerInvariant();
        return allowed.Contains(value) ? value : throw new ArgumentException($"{option} must be one of {string.Join(", ", allowed)}; got '{value}'");
    }

    static int PositiveInt(IReadOnlyList<string> args, ref int i, bool allowZero = false)
    {
        string option = args[i];
        string value = Value(args, ref i);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < (allowZero ? 0 : 1))
        {
            throw new ArgumentException($"{option} needs a {(allowZero ? "non-negative" : "positive")} integer, got '{value}'");
        }

        return n;
    }

    static double PositiveDouble(IReadOnlyList<string> args, ref int i)
    {
        string option = args[i];
        string value = Value(args, ref i);
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !(x > 0) || double.IsInfinity(x))
        {
            throw new ArgumentException($"{option} needs a positive number, got '{value}'");
        }

        return x;
    }
}

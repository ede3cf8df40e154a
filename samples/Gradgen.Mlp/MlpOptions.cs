using System.Globalization;

namespace Gradgen.Mlp;

/// <summary>The sample's command-line options.</summary>
/// <param name="Epochs">Full-batch epochs (one SGD step each) of the 2-2-1 perceptrons.</param>
/// <param name="MnistEpochs">Epochs of the 784-256-10 model (mini-batches of 128).</param>
/// <param name="MnistTrainSize">Synthetic training samples of the 784-256-10 model.</param>
/// <param name="MnistTestSize">Held-out synthetic samples the accuracy is measured on.</param>
/// <param name="OutputDirectory">Where the PNG plots are written.</param>
public sealed record MlpOptions(int Epochs = 200, int MnistEpochs = 5, int MnistTrainSize = 16384, int MnistTestSize = 2048, string OutputDirectory = "plots")
{
    /// <summary>The usage text printed by <c>--help</c> and after a bad option.</summary>
    public const string Usage = """
        usage: dotnet run --project samples/Gradgen.Mlp -- [options]
          --epochs N        full-batch epochs of the 2-2-1 perceptrons (default 200)
          --mnist-epochs N  epochs of the 784-256-10 model (default 5)
          --quick           a short run (30 and 3 epochs, a smaller synthetic data set), for tests
          --out DIR         where the PNG plots go (default plots/)
          --help            this text
        """;

    /// <summary>The options of a short run, for tests: a few epochs and a smaller synthetic data set.</summary>
    public static MlpOptions Quick { get; } = new(Epochs: 30, MnistEpochs: 3, MnistTrainSize: 6144, MnistTestSize: 1024);

    /// <summary>
    /// Reads the command line. <c>--quick</c> sets the short run's sizes; <c>--epochs</c> and <c>--mnist-epochs</c>
    /// given anywhere override its epoch counts.
    /// </summary>
    /// <param name="args">The arguments after <c>--</c>.</param>
    /// <param name="help">Set when <c>--help</c> was given.</param>
    /// <exception cref="ArgumentException">An unknown option, a missing value or a value that is not a positive integer.</exception>
    public static MlpOptions Parse(IReadOnlyList<string> args, out bool help)
    {
        ArgumentNullException.ThrowIfNull(args);
        help = false;
        int? epochs = null, mnistEpochs = null;
        string? outDir = null;
        bool quick = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--epochs":
                    epochs = PositiveInt(args, ref i);
                    break;
                case "--mnist-epochs":
                    mnistEpochs = PositiveInt(args, ref i);
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--out":
                    outDir = Value(args, ref i);
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        var options = quick ? Quick : new MlpOptions();
        return options with
        {
            Epochs = epochs ?? options.Epochs,
            MnistEpochs = mnistEpochs ?? options.MnistEpochs,
            OutputDirectory = outDir ?? options.OutputDirectory,
        };
    }

    static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count) throw new ArgumentException($"{args[i]} needs a value");
        return args[++i];
    }

    static int PositiveInt(IReadOnlyList<string> args, ref int i)
    {
        string option = args[i];
        string value = Value(args, ref i);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new ArgumentException($"{option} needs a positive integer, got '{value}'");
        return n;
    }
}

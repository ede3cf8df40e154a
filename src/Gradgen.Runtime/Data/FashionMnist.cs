namespace Gradgen.Data;

/// <summary>
/// Zalando's Fashion-MNIST (torchvision's <c>datasets.FashionMNIST</c>): 60 000 training and 10 000 test images of
/// 28×28 grey pixels in 10 classes, read from the four IDX files (raw or gzip-compressed):
/// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>,
/// <c>t10k-labels-idx1-ubyte</c>. Debian and Ubuntu package them: <c>apt-get install dataset-fashion-mnist</c>
/// puts them in <see cref="SystemDirectory"/>.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where Debian's and Ubuntu's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The environment variable that names a directory with the files (or with <c>fashion-mnist/</c> or <c>FashionMNIST/raw/</c> in it).</summary>
    public const string EnvironmentVariable = "GRADGEN_DATA";

    private static readonly string[] FileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private FashionMnist(string directory, MnistImages train, MnistImages test)
    {
        Directory = directory;
        Train = train;
        Test = test;
    }

    /// <summary>The class names, by label (torchvision's <c>FashionMNIST.classes</c>).</summary>
    public static IReadOnlyList<string> Classes { get; } = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The directory the files were read from.</summary>
    public string Directory { get; }

    /// <summary>The 60 000 training images.</summary>
    public MnistImages Train { get; }

    /// <summary>The 10 000 test images.</summary>
    public MnistImages Test { get; }

    /// <summary>
    /// Loads the data set from <paramref name="directory"/>, or else from the directory named by
    /// <see cref="EnvironmentVariable"/>, or else from <see cref="SystemDirectory"/> (in each, the files may also lie
    /// in <c>fashion-mnist/</c> or <c>FashionMNIST/raw/</c>).
    /// </summary>
    /// <param name="directory">A directory with the four files; null to search as above.</param>
    /// <exception cref="FileNotFoundException">No searched directory has the four files; the message lists where it looked and how to get them.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or the files disagree; the message names the file and the problem.</exception>
    public static FashionMnist Load(string? directory = null)
    {
        var searched = new List<string>();
        foreach (var (root, why) in Roots(directory))
        {
            foreach (var candidate in new[] { root, Path.Combine(root, "fashion-mnist"), Path.Combine(root, "FashionMNIST", "raw") })
            {
                var files = FileNames.Select(name => Find(candidate, name)).ToArray();
                if (files.All(f => f is not null))
                {
                    return new FashionMnist(candidate, Read(files[0]!, files[1]!, 60000), Read(files[2]!, files[3]!, 10000));
                }

                var missing = FileNames.Where((_, i) => files[i] is null);
                searched.Add($"{candidate} ({why}): {(System.IO.Directory.Exists(candidate) ? "missing " + string.Join(", ", missing) : "no such directory")}");
            }
        }

        throw new FileNotFoundException(
            "Fashion-MNIST was not found. Looked in:\n  " + string.Join("\n  ", searched) + "\n" +
            "Each place needs the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and " +
            "t10k-labels-idx1-ubyte (raw or .gz). On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist (installs them in " +
            SystemDirectory + "); or download them from https://github.com/zalandoresearch/fashion-mnist into a directory and pass " +
            "that directory or set " + EnvironmentVariable + " to it.");
    }

    static IEnumerable<(string Root, string Why)> Roots(string? directory)
    {
        if (directory is not null)
        {
            yield return (directory, "the given directory");
            yield break;
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            yield return (fromEnvironment, EnvironmentVariable);
        }

        yield return (SystemDirectory, "Debian's dataset-fashion-mnist");
    }

    static string? Find(string directory, string name)
    {
        foreach (var path in new[] { Path.Combine(directory, name), Path.Combine(directory, name + ".gz") })
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Reads one split, checking that the files are images and labels of the same count, classes 0–9.</summary>
    static MnistImages Read(string imagesPath, string labelsPath, int expectedCount)
    {
        var (imageShape, pixels) = IdxFile.ReadBytes(imagesPath);
        if (imageShape.Length != 3)
        {
            throw new InvalidDataException($"{imagesPath}: an image file has 3 dimensions (count, rows, columns), this one has shape [{string.Join(", ", imageShape)}].");
        }

        var (labelShape, labels) = IdxFile.ReadBytes(labelsPath);
        if (labelShape.Length != 1)
        {
            throw new InvalidDataException($"{labelsPath}: a label file has 1 dimension, this one has shape [{string.Join(", ", labelShape)}].");
        }

        if (imageShape[0] != labelShape[0])
        {
            throw new InvalidDataException($"{imagesPath} has {imageShape[0]} images but {labelsPath} has {labelShape[0]} labels.");
        }

        if (imageShape[0] != expectedCount || imageShape[1] != 28 || imageShape[2] != 28)
        {
            throw new InvalidDataException($"{imagesPath}: Fashion-MNIST has {expectedCount} images of 28×28 here, the file has shape [{string.Join(", ", imageShape)}].");
        }

        int bad = Array.FindIndex(labels, l => l > 9);
        if (bad >= 0)
        {
            throw new InvalidDataException($"{labelsPath}: label {bad} is {labels[bad]}; Fashion-MNIST's classes are 0 to 9.");
        }

        return new MnistImages(pixels, labels, imageShape[1], imageShape[2]);
    }
}

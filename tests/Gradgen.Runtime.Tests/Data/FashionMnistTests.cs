using Gradgen.Data;
using static Gradgen.Tests.Data.IdxFileTests;

namespace Gradgen.Tests.Data;

/// <summary>FashionMnist.Load: where it looks, its errors, files that disagree, and the real data where it is installed.</summary>
public sealed class FashionMnistTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("gradgen-fmnist-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>Whether the real files are found (the argument, GRADGEN_DATA or Debian's package).</summary>
    internal static FashionMnist? TryLoad()
    {
        try
        {
            return FashionMnist.Load();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    internal const string Missing = "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist (or set GRADGEN_DATA)";

    [Fact]
    public void A_directory_without_the_files_says_where_it_looked_and_how_to_get_them()
    {
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte.gz"), []);
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(directory)).Message;
        Assert.Contains(directory + " (the given directory): missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte", error);
        Assert.Contains(Path.Combine(directory, "FashionMNIST", "raw") + " (the given directory): no such directory", error);
        Assert.Contains("apt-get install dataset-fashion-mnist", error);
        Assert.Contains("GRADGEN_DATA", error);
    }

    [Fact]
    public void Files_that_disagree_name_both()
    {
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), Idx(0x08, [2, 28, 28], new byte[2 * 28 * 28]));
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Gzip(Idx(0x08, [3], [1, 2, 3])));
        File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte"), Idx(0x08, [1, 28, 28], new byte[28 * 28]));
        File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte"), Idx(0x08, [1], [0]));
        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory)).Message;
        Assert.Contains("has 2 images but", error);
        Assert.Contains("train-labels-idx1-ubyte.gz has 3 labels", error);

        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Gzip(Idx(0x08, [2, 1], [1, 2])));
        Assert.Contains("a label file has 1 dimension", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory)).Message);
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Gzip(Idx(0x08, [2], [1, 2])));
        Assert.Contains("Fashion-MNIST has 60000 images of 28×28", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory)).Message);
    }

    [Fact]
    public void MnistImages_scales_pixels_to_unit_floats_and_labels_to_int64()
    {
        var images = new MnistImages([0, 255, 51, 102, 7, 8, 9, 10], [3, 9], rows: 2, columns: 2);
        var (x, y) = images.GetItem(0);
        Assert.Equal([1, 2, 2], x.Shape.ToArray());
        Assert.Equal([0f, 1f, 0.2f, 0.4f], x.ToArray<float>());
        Assert.Equal(3L, y.Item<long>());
        var (bx, by) = new DataLoader(images, batchSize: 2).Single();
        Assert.Equal([2, 1, 2, 2], bx.Shape.ToArray());
        Assert.Equal([3L, 9L], by.ToArray<long>());
        Assert.Throws<ArgumentException>(() => new MnistImages(new byte[7], [1, 2], 2, 2));
    }

    [SkippableFact]
    public void The_real_data_set_has_pytorchs_sizes_and_classes()
    {
        var data = TryLoad();
        Skip.If(data is null, Missing);
        Assert.Equal(60000, data.Train.Count);
        Assert.Equal(10000, data.Test.Count);
        Assert.Equal(10, FashionMnist.Classes.Count);
        Assert.Equal("Ankle boot", FashionMnist.Classes[9]);

        // Every class appears 6000 times in training and 1000 times in the test set (the data set's documentation).
        Assert.All(Enumerable.Range(0, 60000).GroupBy(data.Train.Label), g => Assert.Equal(6000, g.Count()));
        Assert.All(Enumerable.Range(0, 10000).GroupBy(data.Test.Label), g => Assert.Equal(1000, g.Count()));
        var (x, _) = data.Train.GetItem(0);
        Assert.Equal([1, 28, 28], x.Shape.ToArray());
        Assert.InRange(x.ToArray<float>().Max(), 0.5f, 1f);
        Assert.True(x.ToArray<float>().Min() >= 0);
    }
}

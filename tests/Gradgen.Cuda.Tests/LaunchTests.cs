namespace Gradgen.Cuda.Tests;

public class LaunchTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(256, 1)]
    [InlineData(257, 2)]
    [InlineData(10_000_000, 132 * 32)]
    public void Elementwise_shapes_cover_n_and_cap_the_grid(long n, uint blocks)
    {
        LaunchShape shape = LaunchShape.ForElements(n, multiprocessors: 132);
        Assert.Equal(new Dim3(blocks), shape.Grid);
        Assert.Equal(new Dim3(256), shape.Block);
        Assert.Equal(0u, shape.SharedMemoryBytes);
    }

    [Fact]
    public void Without_a_cap_there_is_one_thread_per_element() =>
        Assert.Equal(new Dim3(39_063), LaunchShape.ForElements(10_000_000, 132, blocksPerMultiprocessor: 0).Grid);

    [Fact]
    public void Kernel_arguments_keep_their_bits_and_sizes()
    {
        KernelArg i = -2, u = 3u, l = -5L, f = 1.5f, d = -0.25;
        Assert.Equal((0xFFFF_FFFEul, 4), (i.Bits, i.Size));
        Assert.Equal((3ul, 4), (u.Bits, u.Size));
        Assert.Equal((unchecked((ulong)-5L), 8), (l.Bits, l.Size));
        Assert.Equal(((ulong)BitConverter.SingleToUInt32Bits(1.5f), 4), (f.Bits, f.Size));
        Assert.Equal((BitConverter.DoubleToUInt64Bits(-0.25), 8), (d.Bits, d.Size));
        Assert.Equal((0xDEAD_BEEF_0000ul, 8), (KernelArg.Pointer(0xDEAD_BEEF_0000).Bits, KernelArg.Pointer(0xDEAD_BEEF_0000).Size));
    }

    [Fact]
    public void Dim3_totals_and_prints()
    {
        Assert.Equal(24ul, new Dim3(2, 3, 4).Total);
        Assert.Equal("(5)", ((Dim3)5).ToString());
        Assert.Equal("(2, 3, 4)", new Dim3(2, 3, 4).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Dim3)0);
    }
}

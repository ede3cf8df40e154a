using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

public sealed class SpanChecksTests
{
    [Fact]
    public void Equal_lengths_pass()
    {
        SpanChecks.SameLength(10, "x", 10, "dx");
        SpanChecks.SameLength(0, "x", 0, "dx");
    }

    [Fact]
    public void Different_lengths_name_both_spans_and_their_lengths()
    {
        var exception = Assert.Throws<ArgumentException>(() => SpanChecks.SameLength(10, "x", 9, "dx"));
        Assert.Equal("dx", exception.ParamName);
        Assert.StartsWith(
            "Span lengths differ: 'x' has 10 elements but 'dx' has 9; every span passed to a generated kernel must have the same length.",
            exception.Message);
    }

    [Fact]
    public void One_element_is_singular()
    {
        var exception = Assert.Throws<ArgumentException>(() => SpanChecks.SameLength(1, "x", 3, "y"));
        Assert.StartsWith("Span lengths differ: 'x' has 1 element but 'y' has 3;", exception.Message);
    }
}

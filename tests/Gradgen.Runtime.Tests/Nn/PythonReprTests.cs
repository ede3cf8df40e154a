using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>Numbers printed as Python's repr prints them (module printing).</summary>
public class PythonReprTests
{
    [Theory]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0, "1.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(2.5e-7, "2.5e-07")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123.456, "123.456")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(double.PositiveInfinity, "inf")]
    public void Float_matches_python_repr(double value, string expected) => Assert.Equal(expected, PythonRepr.Float(value));
}

namespace Gradgen.CodeFixes.Tests;

/// <summary>GG0016's rewrite: a ModuleList filled by a loop of constant count becomes a list created with its modules, which compiles.</summary>
public sealed class ModelFixTests
{
    [Fact]
    public async Task GG0016_UnrollsTheLoopThatFillsAModuleListIntoItsCreation() => await Verify.Fix<ModuleListInPlaceCodeFix>(
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly ModuleList<Linear> layers = new();

            public Net()
            {
                for (int i = 0; i < 3; i++)
                {
                    {|GG0016:layers.Add(new Linear(4, 4))|};
                }
            }

            public override Tensor Forward(Tensor x)
            {
                foreach (var layer in layers) x = x + layer.Forward(x).Relu();
                return x;
            }
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly ModuleList<Linear> layers = new(new Linear(4, 4), new Linear(4, 4), new Linear(4, 4));

            public Net()
            {
            }

            public override Tensor Forward(Tensor x)
            {
                foreach (var layer in layers) x = x + layer.Forward(x).Relu();
                return x;
            }
        }
        """);

    [Fact]
    public async Task GG0016_PutsEachIterationsValueIntoItsModuleAndFoldsTheArithmetic() => await Verify.Fix<ModuleListInPlaceCodeFix>(
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Pyramid : Module
        {
            private const int Width = 4;
            private readonly ModuleList<Linear> layers;

            public Pyramid()
            {
                layers = new ModuleList<Linear>();
                for (int i = 1; i <= 3; i++) {|GG0016:layers.Add(new Linear(Width * i, 4 * (i + 1)))|};
            }

            public override Tensor Forward(Tensor x)
            {
                for (int i = 0; i < layers.Count; i++) x = layers[i].Forward(x).Tanh();
                return x;
            }
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Pyramid : Module
        {
            private const int Width = 4;
            private readonly ModuleList<Linear> layers;

            public Pyramid()
            {
                layers = new ModuleList<Linear>(new Linear(Width * 1, 8), new Linear(Width * 2, 12), new Linear(Width * 3, 16));
            }

            public override Tensor Forward(Tensor x)
            {
                for (int i = 0; i < layers.Count; i++) x = layers[i].Forward(x).Tanh();
                return x;
            }
        }
        """);

    [Fact]
    public async Task GG0016_TheRewriteIsNotOfferedWhenTheCountIsNotConstant()
    {
        const string source = """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly ModuleList<Linear> layers = new();

                public Net(int depth)
                {
                    for (int i = 0; i < depth; i++) {|GG0016:layers.Add(new Linear(4, 4))|};
                }

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x);
                    return x;
                }
            }
            """;
        await Verify.Fix<ModuleListInPlaceCodeFix>(source, source);
    }
}

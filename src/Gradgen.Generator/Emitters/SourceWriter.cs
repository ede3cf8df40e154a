using System;
using System.Collections.Generic;
using System.Text;

namespace Gradgen.Generator.Emitters;

/// <summary>Writes indented source text; shared by the C# and CUDA emitters.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    /// <summary>Opens a <c>{</c> block under <paramref name="header"/> (none when empty); dispose the result to close it.</summary>
    public IDisposable Block(string header)
    {
        if (header.Length > 0)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return new Closer(this, writeBrace: true);
    }

    /// <summary>Opens one block per enclosing type (outermost first); dispose the result to close them, innermost first.</summary>
    public IDisposable TypeBlocks(IEnumerable<string> headers)
    {
        var blocks = new List<IDisposable>();
        foreach (var header in headers)
        {
            blocks.Add(Block(header));
        }

        return new Closers(blocks);
    }

    /// <summary>Indents one level without writing braces; dispose the result to return.</summary>
    public IDisposable Indent()
    {
        _indent++;
        return new Closer(this, writeBrace: false);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closers : IDisposable
    {
        private readonly List<IDisposable> _blocks;

        public Closers(List<IDisposable> blocks) => _blocks = blocks;

        public void Dispose()
        {
            for (int i = _blocks.Count - 1; i >= 0; i--)
            {
                _blocks[i].Dispose();
            }
        }
    }

    private sealed class Closer : IDisposable
    {
        private readonly SourceWriter _writer;
        private readonly bool _writeBrace;

        public Closer(SourceWriter writer, bool writeBrace) => (_writer, _writeBrace) = (writer, writeBrace);

        public void Dispose()
        {
            _writer._indent--;
            if (_writeBrace)
            {
                _writer.Line("}");
            }
        }
    }
}

namespace Gradgen.Kernels;

/// <summary>
/// The values of the calls a row function makes inside <c>Grad.StopGradient</c>, kept by the forward of its tensor
/// overload so that the backward, which runs each row's forward sweep again (<c>FAccumulateGradient</c> needs the
/// outputs' gradients, which the forward cannot know), reads them instead of calling the method again: a helper that
/// counts its calls or draws a random number runs once per row, and the gradient is the one of the forward's values.
/// </summary>
/// <remarks>
/// Generated code calls this; user code has no reason to. The runtime makes one per recorded call of
/// <c>Tensor.ApplyRowwise</c> and makes it the current one of each thread that runs a chunk of rows: recording in the
/// forward, replaying in the backward. Elsewhere no instance is current, and <see cref="Keep(double)"/> only passes
/// the value on.
/// </remarks>
public sealed class StopGradientValues
{
    [ThreadStatic] private static Chunk? current;

    private readonly int[] rowChunk;
    private readonly int[] rowStart;
    private readonly int[] rowCount;
    private readonly List<double[]> chunks = [];
    private readonly Lock gate = new();
    private bool replaying;

    internal StopGradientValues(int rows)
    {
        rowChunk = new int[rows];
        rowStart = new int[rows];
        rowCount = new int[rows];
    }

    /// <summary>Whether the current thread replays kept values: then a wrapped call reads <see cref="NextDouble"/> instead of running.</summary>
    public static bool Replaying => current is { Owner.replaying: true };

    /// <summary>
    /// Starts row <paramref name="row"/>: in the forward, the values kept from here on are that row's; in the
    /// backward, <see cref="NextDouble"/> reads that row's values from the first.
    /// </summary>
    /// <param name="row">The row, as the runtime numbers the rows of the call.</param>
    /// <returns>Whether values are kept or replayed on this thread (the generated forward then runs the method's generated forward sweep, which keeps them).</returns>
    public static bool BeginRow(int row)
    {
        var chunk = current;
        if (chunk is null) return false;
        chunk.Begin(row);
        return true;
    }

    /// <summary>Keeps <paramref name="value"/>, the value of a wrapped call, where values are being kept; returns it.</summary>
    /// <param name="value">The call's value.</param>
    /// <returns><paramref name="value"/>.</returns>
    public static double Keep(double value)
    {
        if (current is { Owner.replaying: false } chunk) chunk.Add(value);
        return value;
    }

    /// <inheritdoc cref="Keep(double)"/>
    public static float Keep(float value)
    {
        if (current is { Owner.replaying: false } chunk) chunk.Add(value);
        return value;
    }

    /// <summary>The next kept value of the current row (where <see cref="Replaying"/>).</summary>
    /// <returns>The value the forward kept at this point of the row.</returns>
    /// <exception cref="InvalidOperationException">The row's values are used up: its sweep now makes more wrapped calls than the forward did.</exception>
    public static double NextDouble() => current!.Next();

    /// <inheritdoc cref="NextDouble"/>
    public static float NextSingle() => (float)current!.Next();

    /// <summary>Makes this the current thread's instance, recording a new chunk of rows, until the scope is disposed.</summary>
    internal Scope Record()
    {
        double[] buffer = new double[16];
        int index;
        lock (gate)
        {
            index = chunks.Count;
            chunks.Add(buffer);
        }

        return new Scope(new Chunk(this, index, buffer));
    }

    /// <summary>Makes this the current thread's instance, replaying the kept values row by row, until the scope is disposed.</summary>
    internal Scope Replay()
    {
        replaying = true;
        return new Scope(new Chunk(this, -1, null));
    }

    /// <summary>Restores the thread's previous instance (none, outside nested row functions).</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Chunk? previous;

        internal Scope(Chunk chunk)
        {
            previous = current;
            current = chunk;
        }

        public void Dispose() => current = previous;
    }

    /// <summary>One thread's position: the chunk it records into, or the row it replays.</summary>
    internal sealed class Chunk(StopGradientValues owner, int index, double[]? buffer)
    {
        // Recording: this chunk's own buffer, published to the owner (under its lock) whenever it grows.
        private double[]? values = buffer;
        private int count;
        private int row = -1;
        private int end;

        public StopGradientValues Owner { get; } = owner;

        public void Begin(int row)
        {
            this.row = row;
            if (Owner.replaying)
            {
                values = Owner.chunks[Owner.rowChunk[row]];
                count = Owner.rowStart[row];
                end = count + Owner.rowCount[row];
                return;
            }

            Owner.rowChunk[row] = index;
            Owner.rowStart[row] = count;
        }

        public void Add(double value)
        {
            if (row < 0) return;
            if (count == values!.Length)
            {
                Array.Resize(ref values, values.Length * 2);
                lock (Owner.gate)
                {
                    Owner.chunks[index] = values;
                }
            }

            values[count++] = value;
            Owner.rowCount[row]++;
        }

        public double Next()
        {
            if (row < 0 || count >= end)
                throw new InvalidOperationException($"Row {row} makes more calls inside Grad.StopGradient in its backward than in its forward ({Owner.rowCount[Math.Max(row, 0)]}): a condition or a trip count depends on a wrapped call whose value changed.");
            return values![count++];
        }
    }
}

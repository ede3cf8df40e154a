namespace Gradgen;

/// <summary>
/// Which gradients the autograd engine created itself during one <c>Backward</c> call, and when their memory goes
/// back to the storage cache (docs/tensors.md, "Memory").
/// </summary>
/// <remarks>
/// Every storage allocated on a thread while it runs a backward call is tagged with that call's id: those are the
/// gradients the nodes compute, which nobody but the engine sees (nodes run with gradient recording off and keep
/// nothing). The engine counts its references to each such storage (a pending gradient, a view of it, the same
/// tensor sent to two inputs) and releases the storage when the count falls to zero. A gradient that leaves the
/// engine — stolen into a leaf's <see cref="Tensor.Grad"/> — is untagged first, so it is never released.
/// </remarks>
internal static class EngineGradients
{
    [ThreadStatic] static int currentRun;
    static int lastRun;

    /// <summary>The id of the backward call running on this thread, or 0.</summary>
    public static int CurrentRun => currentRun;

    /// <summary>Starts tagging allocations with a new id; returns the previous one for <see cref="End"/>.</summary>
    public static int Begin()
    {
        int previous = currentRun;
        currentRun = Interlocked.Increment(ref lastRun);
        return previous;
    }

    public static void End(int previous) => currentRun = previous;

    /// <summary>Whether <paramref name="t"/>'s storage is a temporary of the running backward call.</summary>
    public static bool Owned(Tensor t) => currentRun != 0 && t.storage.backwardRun == currentRun;

    /// <summary>The engine keeps a reference to <paramref name="t"/>.</summary>
    public static void Hold(Tensor t)
    {
        if (Owned(t)) t.storage.engineRefs++;
    }

    /// <summary>The engine is done with one reference to <paramref name="t"/>; the last one gives its memory back.</summary>
    public static void Drop(Tensor t)
    {
        if (Owned(t) && --t.storage.engineRefs <= 0) t.storage.Release();
    }

    /// <summary>Gives back <paramref name="t"/>, a temporary of the engine that it never handed on, if nothing holds it.</summary>
    public static void Free(Tensor t)
    {
        if (Owned(t) && t.storage.engineRefs == 0) t.storage.Release();
    }

    /// <summary>Whether the engine's one reference is the only use of <paramref name="t"/>'s storage, so it may be taken over or written.</summary>
    public static bool Sole(Tensor t) => Owned(t) && t.storage.engineRefs == 1;

    /// <summary><paramref name="t"/> leaves the engine (becomes a leaf's gradient): never release it.</summary>
    public static void Disown(Tensor t)
    {
        if (t.storage.backwardRun == currentRun) t.storage.backwardRun = 0;
    }
}

using System;

namespace Gradgen.Generator.Diagnostics;

/// <summary>
/// Lets a test make the parsers fail on one method or model, by name, to prove that a crash still becomes GG0013 and
/// is never hidden. Set only by tests; the name is one no other test uses, so tests running beside it are unaffected.
/// </summary>
internal static class FaultInjection
{
    private static volatile string? s_failOn;

    /// <summary>The method or model name to fail on, or null (always, outside tests).</summary>
    public static string? FailOn
    {
        get => s_failOn;
        set => s_failOn = value;
    }

    /// <summary>Throws when <paramref name="name"/> is the one a test asked to fail on.</summary>
    public static void ThrowIfRequested(string name)
    {
        if (s_failOn is { } failOn && failOn == name)
        {
            throw new InvalidOperationException("a fault injected by a test");
        }
    }
}

namespace Gradgen.CodeFixes;

/// <summary>One edit a fix offers: the title shown in the light-bulb menu, and the equivalence key Fix All groups by.</summary>
public sealed class FixOption
{
    /// <summary>Creates an option.</summary>
    public FixOption(string title, string key)
    {
        Title = title;
        Key = key;
    }

    /// <summary>The title shown in the IDE.</summary>
    public string Title { get; }

    /// <summary>The equivalence key: the same for the same edit of any diagnostic.</summary>
    public string Key { get; }
}

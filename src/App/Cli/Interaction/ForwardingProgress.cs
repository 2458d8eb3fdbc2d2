namespace SecretChat.Cli.Interaction;

/// <summary>
/// Progress that outlives the display it reports to: a wait that goes on across several spinners (a listener that stops
/// its spinner to ask a question, then waits again) reports to whichever spinner runs now, and to nothing between them.
/// </summary>
internal sealed class ForwardingProgress : IProgress<string>
{
    private volatile IProgress<string>? _target;

    /// <summary>Where reports go now; null drops them.</summary>
    public IProgress<string>? Target
    {
        get => _target;
        set => _target = value;
    }

    public void Report(string value) => _target?.Report(value);
}

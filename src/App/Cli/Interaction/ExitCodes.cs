namespace SecretChat.Cli.Interaction;

/// <summary>Process exit codes, one meaning each.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The session failed: unreachable peer, refused key, unacknowledged messages, unclean end.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line or settings; also commands that are not available yet.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted with Ctrl+C (128 + SIGINT, as shells expect).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped with SIGTERM (128 + 15): the session was closed cleanly first, as for Ctrl+C.</summary>
    public const int Terminated = 143;
}

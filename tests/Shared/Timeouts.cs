namespace SecretChat.Tests;

/// <summary>
/// How long a test waits for something that should happen, by kind of wait. These bound a wait so a broken
/// build fails instead of hanging; they are never what a test asserts (timing is asserted in virtual time).
/// </summary>
public static class Timeouts
{
    /// <summary>One step in this process over loopback: a connect, an answer, a drain.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>Something another process has to start first: a server answering, a lab being built or removed.</summary>
    public static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    /// <summary>One step of a spawned <c>secretchat</c>: connecting (an RSA key may be generated first), delivering, exiting.</summary>
    public static readonly TimeSpan Process = TimeSpan.FromSeconds(60);
}

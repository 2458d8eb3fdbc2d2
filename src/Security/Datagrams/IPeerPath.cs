namespace SecretChat.Security.Datagrams;

/// <summary>
/// Keeps a datagram session with more than one way to the peer (a punched session: direct or relayed) on the best
/// path; a <see cref="ReliableDatagramChannel"/> reports through it where the session is.
/// </summary>
public interface IPeerPath : IDisposable
{
    /// <summary>True while the session's datagrams go through a relay.</summary>
    bool IsRelayed { get; }

    /// <summary><c>relay</c> or <c>direct</c>.</summary>
    string Name { get; }

    /// <summary>Each move, with the reason.</summary>
    IObservable<PathChange> Changes { get; }

    /// <summary>Things the user should know that do not end the session (e.g. a relay limit was hit).</summary>
    IObservable<string> Notices { get; }

    /// <summary>What a person needs to judge the path.</summary>
    string Describe(TimeSpan? roundTrip);
}

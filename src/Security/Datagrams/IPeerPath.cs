namespace SecretChat.Security.Datagrams;

/// <summary>
/// Keeps a datagram session with more than one way to the peer (a punched session: direct or relayed) on the best
/// path; a <see cref="ReliableDatagramChannel"/> reports through it where the session is.
/// </summary>
public interface IPeerPath : IDisposable
{
    /// <summary>The path in use.</summary>
    PathKind Path { get; }

    /// <summary>Each move, with the reason.</summary>
    IObservable<PathChange> Changes { get; }

    /// <summary>Things the user should know that do not end the session (e.g. a relay limit was hit).</summary>
    IObservable<string> Notices { get; }

    /// <summary>Where the session is, with the round trip the reliability layer measured.</summary>
    PathReport Report(TimeSpan? roundTrip);
}

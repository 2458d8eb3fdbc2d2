using System.Net;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// Decides where a <see cref="SecureDatagramChannel"/> sends, for a session with more than one path (installed by its
/// path manager). The channel calls it under its lock, so it must be quick and must not call back into the channel.
/// Without a policy the channel follows every authenticated packet to its source (<see cref="PathMoveReason.Roamed"/>).
/// </summary>
public interface IPathPolicy
{
    /// <summary>An authenticated packet came from <paramref name="candidate"/> while the session sends to <paramref name="current"/>: move?</summary>
    bool AllowMove(IPEndPoint current, IPEndPoint candidate, out PathMoveReason reason);

    /// <summary>Every authenticated packet, after any move: its source, when, and whether it came on the path in use.</summary>
    void Heard(IPEndPoint from, DateTimeOffset at, bool onCurrentPath);

    /// <summary>Every packet sealed for the peer (data, keepalives, probes), when.</summary>
    void Sent(DateTimeOffset at);

    /// <summary>The session moved: followed an authenticated packet, or <see cref="SecureDatagramChannel.SwitchPath"/>.</summary>
    void Moved(PathMove move);
}

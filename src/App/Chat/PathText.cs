using System.Net;
using System.Text;
using SecretChat.Security;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport;

namespace SecretChat.Chat;

/// <summary>
/// The one place that turns transports, paths, path moves and path reports into what the user reads (the JSON
/// values <c>tcp</c>, <c>udp</c>, <c>direct</c>, <c>relay</c>, the <c>path_changed</c> reasons and <c>/path</c>).
/// </summary>
public static class PathText
{
    /// <summary>The JSON value of a transport: <c>tcp</c> or <c>udp</c>.</summary>
    public static string Name(TransportKind transport) => transport switch
    {
        TransportKind.Tcp => "tcp",
        TransportKind.Udp => "udp",
        TransportKind.InMemory => "in-memory",
        TransportKind.Other => "other",
        _ => transport.ToString().ToLowerInvariant(),
    };

    /// <summary>The JSON value of a path: <c>direct</c> or <c>relay</c>.</summary>
    public static string Name(PathKind path) => path switch
    {
        PathKind.Direct => "direct",
        PathKind.Relay => "relay",
        _ => path.ToString().ToLowerInvariant(),
    };

    /// <summary>Why the session moved; <paramref name="silence"/> is how long a silent direct path was given (the default otherwise).</summary>
    public static string Reason(PathMoveReason reason, TimeSpan? silence = null) => reason switch
    {
        PathMoveReason.Roamed => "the peer's address changed (NAT rebinding)",
        PathMoveReason.Upgraded => "a direct path to the peer answered",
        PathMoveReason.FollowedPeerToRelay => "the peer moved to the relay: nothing arrives on the direct path any more",
        PathMoveReason.DirectSilent => $"the direct path stopped answering for {(silence ?? PeerToPeerOptions.Default.DirectSilence).TotalSeconds:0} s",
        PathMoveReason.RelayLost => "the TURN relay stopped relaying; the signaling server relays instead",
        _ => reason.ToString(),
    };

    /// <summary>
    /// Which relay a punched session's relay is: <c>TURN at HOST:PORT</c> or <c>signaling server</c>; null for a session
    /// without one.
    /// </summary>
    public static string? RelayKind(PathReport? report) => report?.PeerToPeer is { } punched
        ? punched.TurnServer is { } turn ? $"TURN at {turn}" : "signaling server"
        : null;

    /// <summary>A path with its relay when it is one: <c>relay (TURN at HOST:PORT)</c>, <c>relay (signaling server)</c>, <c>direct</c>.</summary>
    public static string NameWithRelay(PathKind path, PathReport? report) =>
        path == PathKind.Relay && RelayKind(report) is { } kind ? $"{Name(path)} ({kind})" : Name(path);

    /// <summary>Why a punched session is not on the direct path.</summary>
    public static string Failure(DirectPathFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Move is { } move
            ? Reason(move, failure.Waited)
            : $"no direct path completed a handshake within {failure.Waited.TotalSeconds:0.#} s (tried {string.Join(", ", failure.Tried)})";
    }

    /// <summary>What <c>/path</c> shows: a few lines on where the session's traffic goes.</summary>
    public static string Describe(PathReport? report)
    {
        if (report is null)
            return "No path information for this session.";
        if (report.PeerToPeer is { } punched)
            return DescribePunched(report, punched);
        if (report.MeasuresRoundTrip)
            return $"path: {Name(report.Path)} over {Name(report.Transport)}, peer at {report.Remote}, round trip {RoundTrip(report.RoundTrip)}";
        return $"path: {Name(report.Path)} over {Name(report.Transport)}\npeer: {report.Remote?.ToString() ?? "unknown"}";
    }

    private static string DescribePunched(PathReport report, PeerToPeerReport punched)
    {
        var text = new StringBuilder();
        text.Append($"path: {NameWithRelay(report.Path, report)}, peer at {report.Remote}");
        text.Append(report.RoundTrip is { } rtt ? $", round trip {rtt.TotalMilliseconds:0} ms" : ", round trip not measured yet");
        if (report.Path == PathKind.Relay)
            text.Append(punched.TurnServer is { } turn
                ? $"\nrelay: the TURN server {turn} forwards the sealed datagrams (it cannot read or alter them)"
                : $"\nrelay: the signaling server {punched.Relay} forwards the sealed datagrams (it cannot read or alter them)");
        if (punched.ReflexiveAddress is { } reflexive)
        {
            text.Append($"\nthis side: public address {reflexive} (local port {punched.LocalPort}: {MappingNote(punched.LocalPort, reflexive)})");
            text.Append($"\npeer: public address {punched.PeerReflexiveAddress}, host addresses {string.Join(", ", punched.PeerHostCandidates)}");
        }
        text.Append("\nNAT mapping behaviour toward several destinations is not measured here; run 'secretchat netcheck' on each side.");
        if (punched.DirectFailure is { } failure)
            text.Append($"\ndirect path: {Failure(failure)}");
        return text.ToString();
    }

    private static string RoundTrip(TimeSpan? rtt) => rtt is { } value ? $"{value.TotalMilliseconds:0} ms" : "not measured yet";

    private static string MappingNote(int localPort, IPEndPoint reflexive) => localPort == reflexive.Port
        ? "the NAT kept the port, a sign of endpoint-independent mapping"
        : "the NAT changed the port";
}

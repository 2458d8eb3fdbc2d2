using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Reliability;

namespace SecretChat.Cli.Settings;

/// <summary>
/// Everything the app reads from settings: built-in defaults (taken from the options types that own them:
/// <see cref="ChatOptions"/>, <see cref="ReliabilityOptions"/>), then <c>secretchat.json</c> beside the app
/// or <c>--config FILE</c>, then <c>SECRETCHAT_*</c> environment variables, then flags.
/// New sections (UDP, keepalives, ...) are added as properties with defaults; the binder picks them up.
/// </summary>
internal sealed class AppSettings
{
    /// <summary><c>noise</c>, <c>rsa</c> or <c>pseudo</c>.</summary>
    public string Encryption { get; set; } = ChatOptions.DefaultEncryption.Id;

    /// <summary>The name this side introduces itself with; null or empty means the OS user name.</summary>
    public string? Name { get; set; }

    /// <summary>Long-term identity key file (noise); null means the per-user default.</summary>
    public string? IdentityPath { get; set; }

    /// <summary>Known-peers (pins) file (noise); null means the default beside the identity.</summary>
    public string? KnownPeersPath { get; set; }

    /// <summary>noise: start handshakes in the post-quantum hybrid (ML-KEM-768); false only to reach a build without it.</summary>
    public bool PostQuantum { get; set; } = true;

    /// <summary>Refuse a peer whose session is not post-quantum (<c>--require-pq</c>).</summary>
    public bool RequirePostQuantum { get; set; }

    /// <summary>How long connecting plus the handshake may take.</summary>
    public double HandshakeTimeoutSeconds { get; set; } = HandshakeDefaults.Timeout.TotalSeconds;

    public SignalingSettings Signaling { get; set; } = new();

    public UdpSettings Udp { get; set; } = new();

    public PeerToPeerSettings P2p { get; set; } = new();

    /// <summary>The name to use: <see cref="Name"/>, else the OS user name.</summary>
    public string EffectiveName =>
        !string.IsNullOrWhiteSpace(Name) ? Name.Trim()
        : !string.IsNullOrWhiteSpace(Environment.UserName) ? Environment.UserName
        : "anonymous";
}

/// <summary>The rendezvous server, as in the original design.</summary>
internal sealed class SignalingSettings
{
    /// <summary>
    /// <c>HOST:PORT</c> of the signaling server that <c>p2p</c> registers with; or several nodes of one deployment,
    /// separated by commas, tried in order (the next when one stops answering).
    /// </summary>
    public string Server { get; set; } = "127.0.0.1:3478";

    /// <summary>
    /// <c>ADDR:PORT</c> that <c>secretchat signal</c> listens on: by default <c>[::]:3478</c>, one dual-stack socket for
    /// clients of both families (0.0.0.0 on a machine without IPv6).
    /// </summary>
    public string Listen { get; set; } = "[::]:3478";

    /// <summary><c>HOST:PORT</c> of the Redis that <c>secretchat signal</c> keeps its rooms in, shared with other nodes (none by default: in process).</summary>
    public string? Redis { get; set; }

    /// <summary><c>ADDR:PORT</c> clients reach this signal node at, named in redirects (default: the listen address).</summary>
    public string? NodeAddress { get; set; }

    /// <summary><c>HOST:PORT</c> of a TURN server whose credentials <c>secretchat signal</c> hands to matched peers (none by default).</summary>
    public string? Turn { get; set; }

    /// <summary>The file holding that TURN server's shared secret (readable by the owner only).</summary>
    public string? TurnSecretFile { get; set; }

    /// <summary><c>ADDR:PORT</c> where <c>secretchat signal</c> serves <c>/metrics</c> and <c>/health</c>; empty: not served.</summary>
    public string Metrics { get; set; } = "";

    /// <summary>The log format of <c>secretchat signal</c>: <c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; set; } = "text";
}

/// <summary>The UDP session's liveness timers.</summary>
internal sealed class UdpSettings
{
    /// <summary>Send a keepalive after this many seconds of silence (NATs forget idle mappings after about 30 s).</summary>
    public double KeepAliveSeconds { get; set; } = ReliabilityOptions.Default.KeepAliveInterval.TotalSeconds;

    /// <summary>Report the peer as gone after this many seconds without authenticated traffic.</summary>
    public double DeadPeerSeconds { get; set; } = ReliabilityOptions.Default.DeadPeerTimeout.TotalSeconds;
}

/// <summary>How <c>p2p</c> finds its path.</summary>
internal sealed class PeerToPeerSettings
{
    /// <summary>
    /// The local address the p2p socket binds to (its host candidates follow it); empty: loopback when the
    /// signaling server is on loopback, else every address.
    /// </summary>
    public string? Bind { get; set; }

    /// <summary>Seconds the direct path has before the session starts over the relay; 0 never uses the relay.</summary>
    public double RelayFallbackSeconds { get; set; } = PeerToPeerOptions.Default.RelayFallback!.Value.TotalSeconds;
}

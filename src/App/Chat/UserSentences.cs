using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.Chat;

/// <summary>
/// The sentences a user sees about a session, made from what the lower layers report (an exception, a clause,
/// the peer's close reason): one home, so that each kind of failure has one wording.
/// </summary>
/// <remarks>
/// Lower layers speak in clauses or in their own exceptions; the chat and the interactors turn them into a
/// sentence here and nowhere else. Sentences that need no lower-layer words (settings, usage) stay with the
/// code that checks them.
/// </remarks>
public static class UserSentences
{
    /// <summary>
    /// Lower layers speak in clauses ("the signaling server ... did not answer within 5 s"); the user gets a
    /// sentence: capitalised, ending with a full stop.
    /// </summary>
    public static string FromClause(string clause)
    {
        ArgumentNullException.ThrowIfNull(clause);
        return clause.Length == 0 ? clause : char.ToUpperInvariant(clause[0]) + clause[1..] + (clause.EndsWith('.') ? "" : ".");
    }

    /// <summary>Why a session failed, from what its secure channel reported.</summary>
    public static string SessionFailed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            // The first bytes failed the frame check before any hello: another protocol answered (an HTTP server's
            // "HTTP" reads as a length of 1213486160). The framing layer's typed exception is mapped here, once.
            HandshakeException { InnerException: MalformedFrameException } => NotASecretChatPeer,
            // A first frame of a plausible length that is no hello: the same kind of failure, the same sentence.
            HandshakeException { Message: NotOurHello } => NotASecretChatPeer,
            // These already say what happened, in the user's terms.
            HandshakeException or AuthenticationFailedException or TimeoutException => error.Message,
            InvalidDataException or MalformedFrameException => $"The peer sent invalid data: {error.Message}",
            IOException => $"The connection was lost: {error.Message}",
            _ => $"The session failed: {Plain(error)}",
        };
    }

    // What the security layer's hello parser says of a first frame without SecretChat's magic (ProtocolHello.Parse).
    private const string NotOurHello = "The peer does not speak the SecretChat protocol.";

    /// <summary>The other end answered with something that is not SecretChat's framing before any hello.</summary>
    public const string NotASecretChatPeer =
        "That is not a SecretChat peer: what it sent is not the SecretChat protocol (is another kind of server, such as a web server, on that port?).";

    /// <summary>
    /// An exception's message as a person reads it: without the <c>(Parameter 'name')</c> and <c>Actual value was</c>
    /// that .NET appends to argument errors.
    /// </summary>
    public static string Plain(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = error.Message;
        if (error is ArgumentException { ParamName: { } name })
        {
            var at = message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (at >= 0) message = message[..at];
        }

        return message.Trim();
    }

    /// <summary>A port to listen on is taken; <paramref name="where"/> names it (<c>tcp 127.0.0.1:5000</c>).</summary>
    public static string PortInUse(string where) =>
        $"Cannot listen on {where}: the port is already in use by another program (another secretchat?); stop it or choose another port (port 0 picks a free one).";

    /// <summary>Nobody came to the room within the wait (<c>--wait</c>).</summary>
    public static string NoPeerCame(string room, TimeSpan wait) =>
        $"No peer joined room '{room}' within {Duration(wait)}; check that the other side uses the same room and signaling server, or wait longer with --wait.";

    /// <summary>p2p with a code: nobody entered it at the other side before <c>--wait</c> ran out.</summary>
    public static string NobodyEnteredTheCode(TimeSpan wait) =>
        $"Nobody entered the code within {Duration(wait)}; check that the other side uses the same signaling server, or wait longer with --wait.";

    /// <summary>p2p found no signaling server: none is configured, and the default local one did not answer.</summary>
    public static string NoSignalingServer(string triedDefault) =>
        $"No signaling server configured (and none answered at the default {triedDefault}): run one with `secretchat signal` or pass --signal HOST:PORT.";

    /// <summary>A wait in the units a person reads: "45 s", "3 min 5 s", "10 min", "1 h 2 min".</summary>
    public static string Duration(TimeSpan span)
    {
        var seconds = (long)Math.Max(0, Math.Floor(span.TotalSeconds));
        if (seconds < 60) return $"{seconds} s";
        if (seconds < 3600) return seconds % 60 == 0 ? $"{seconds / 60} min" : $"{seconds / 60} min {seconds % 60} s";
        var minutes = seconds / 60;
        return minutes % 60 == 0 ? $"{minutes / 60} h" : $"{minutes / 60} h {minutes % 60} min";
    }

    /// <summary>A peer refused because its session is not post-quantum while <c>--require-pq</c> asks for it.</summary>
    public const string PeerNotPostQuantum =
        "REFUSED: the peer's handshake is not post-quantum (it did not mix in ML-KEM-768), and --require-pq asks for it; the peer needs a build with the post-quantum handshake, not turned off.";

    /// <summary>A send failed because the connection is gone.</summary>
    public static string LostWhileSending(Exception error) => $"The connection was lost while sending: {error.Message}";

    /// <summary>The peer sent a Close, with its reason (may be empty).</summary>
    public static string PeerClosed(string reason) =>
        reason.Length > 0 ? $"The peer closed the session ({reason})." : "The peer closed the session.";

    /// <summary>The peer sent a Close: its reason code in words, then its text when it gave one.</summary>
    public static string PeerClosed(CloseBody close)
    {
        var why = close.Reason switch
        {
            CloseReason.Orderly => null,
            CloseReason.RefusedByUser => "its user declined this side",
            CloseReason.NotTrusted => "it does not trust this side's key",
            CloseReason.ProtocolError => "this side broke the protocol",
            CloseReason.Timeout => "this side did not answer in time",
            CloseReason.GoingAway => "it is shutting down",
            CloseReason.KeyChanged => "its user has another key pinned for you; if you made a new identity, they must compare safety numbers with you and accept your new key (/trust)",
            _ => $"reason code {(byte)close.Reason}",
        };
        var text = close.Text.Trim();
        return (why, text.Length) switch
        {
            (null, 0) => "The peer closed the session.",
            (null, _) => $"The peer closed the session ({text}).",
            (_, 0) => $"The peer closed the session: {why}.",
            _ => $"The peer closed the session: {why} ({text}).",
        };
    }

    /// <summary>The peer's connection ended after it finished and acknowledged everything: the clean end.</summary>
    public const string PeerFinishedAndClosed = "The peer finished and closed the session.";

    /// <summary>The peer's connection ended after it finished, with messages of ours it never acknowledged.</summary>
    public static string PeerClosedBeforeAcknowledging(int pending) => $"The peer closed the session before acknowledging {pending} message(s).";

    /// <summary>The peer's connection ended before it finished.</summary>
    public const string PeerClosedConnection = "The peer closed the connection.";

    /// <summary>Both finished, this side half-closed, and the peer never closed its side.</summary>
    public const string PeerDidNotClose = "The peer finished but did not close the connection in time.";

    /// <summary>The peer sent a text or Finished before its hello.</summary>
    public const string PeerSpokeBeforeHello = "The peer sent messages before introducing itself.";

    /// <summary>What a refused peer is told (with <see cref="CloseReason.NotTrusted"/>).</summary>
    public const string IdentityRefused = "your identity was refused";

    /// <summary>
    /// What a peer is told (with <see cref="CloseReason.NotTrusted"/>) when this side could not check or record its key
    /// (a pin file that cannot be read or written).
    /// </summary>
    public const string PeerCouldNotBeRecorded = "the peer could not record your key";

    /// <summary>What a peer is told (with <see cref="CloseReason.GoingAway"/>) when handling its message failed on this side.</summary>
    public const string FailedHandlingAMessage = "this side failed while handling a message";

    /// <summary>
    /// Checking the peer threw (typically the pin file cannot be read or written): the problem, and what to do.
    /// </summary>
    public static string PeerCheckFailed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var problem = error.Message.Trim().TrimEnd('.');
        return $"The peer was turned away because its key could not be checked and recorded ({problem}); " +
            "fix that file or choose another with --known-peers, then connect again.";
    }

    /// <summary>
    /// What a newcomer is told (with <see cref="CloseReason.GoingAway"/>) when a listener already runs
    /// <paramref name="pending"/> handshakes.
    /// </summary>
    public static string ListenerBusy(int pending) => $"the listener is busy with {pending} pending handshakes; try again shortly";

    /// <summary>What a newcomer is told while the listener is in a session with someone else (a clause).</summary>
    public const string ListenerInSession = "the listener is in a session with someone else; try again later";

    /// <summary>What the listener's user is told about a newcomer it turned away while in a session (a clause).</summary>
    public const string NewcomerTurnedAway = "tried to connect during this session and was told this side is busy";

    /// <summary>A connect whose <c>--timeout</c> ran out before the connection was made.</summary>
    public static string NotConnectedInTime(string peer, TimeSpan timeout) =>
        $"Could not connect to {peer} within {timeout.TotalSeconds:0.#} s.";

    /// <summary>A connect whose <c>--timeout</c> ran out during the handshake (the whole connect is bounded, not each phase).</summary>
    public static string HandshakeNotAnsweredInTime(string peer, TimeSpan timeout) =>
        $"The peer at {peer} did not answer the handshake within {timeout.TotalSeconds:0.#} s.";

    /// <summary>
    /// The handshake completed but the session was not confirmed within <paramref name="timeout"/>: the peer sent neither
    /// its Hello (it accepted this side) nor a Close (why not), or checking the peer here did not finish.
    /// </summary>
    public static string PeerNotIntroduced(TimeSpan timeout) =>
        $"The handshake completed but the session was not confirmed within {timeout.TotalSeconds:0.#} s: the peer neither accepted this side nor said why not, or checking the peer did not finish.";

    /// <summary>This side's user did not answer the question about <paramref name="peerName"/>'s changed key in time: refused.</summary>
    public static string KeyChangeNotAnswered(string peerName, TimeSpan timeout) =>
        $"REFUSED: '{peerName}' presented a new key and nobody accepted it within {timeout.TotalSeconds:0.#} s; the peer was told its key was refused.";

    /// <summary>The peer's user is deciding about this side's key (it changed since the peer pinned it).</summary>
    public const string WaitingForKeyAcceptance =
        "Waiting for the listener to accept your new key: its user has another key pinned for you and must compare safety numbers with you first.";

    /// <summary>The peer's user did not decide about this side's new key within <paramref name="timeout"/>.</summary>
    public static string KeyNotAcceptedInTime(TimeSpan timeout) =>
        $"The peer's user did not accept your new key within {timeout.TotalSeconds:0.#} s (they have another key pinned for you); compare safety numbers with them, then try again.";

    /// <summary>The verifier refused the peer without saying why.</summary>
    public static string PeerRefused(string peerName) => $"The peer '{peerName}' was refused.";

    /// <summary>This side ended the session (<c>/quit</c>, Ctrl+C, end of input): <paramref name="how"/> completes "The session was ...".</summary>
    public static string ClosedHere(string how) => $"The session was {how}.";

    /// <summary>A scripted input line the chat would not take (too long for one message).</summary>
    public static string LineNotSent(Exception error) => error is ArgumentException
        ? $"A line was not sent: {Lower(Plain(error)).TrimEnd('.')}; split it into shorter lines."
        : $"A line was not sent: {Plain(error)}";

    private static string Lower(string sentence) =>
        sentence.Length > 1 && char.IsUpper(sentence[0]) && !char.IsUpper(sentence[1]) ? char.ToLowerInvariant(sentence[0]) + sentence[1..] : sentence;

    /// <summary>A line typed in the console that the chat would not take (too long for one message).</summary>
    public static string TypedLineNotSent(Exception error) => $"Not sent: {Plain(error)}";

    /// <summary>Why a scripted session did not succeed, from how it ended.</summary>
    public static string ScriptedFailure(Disconnected? disconnected, bool endedEarly, bool acknowledged, bool everyLineSent) =>
        disconnected is { Clean: false } ? disconnected.Reason
        : endedEarly ? $"The session ended before all input was sent{(disconnected is null ? "." : $": {disconnected.Reason}")}"
        : !acknowledged ? "The peer did not acknowledge every message."
        : !everyLineSent ? "Some lines could not be sent."
        : "The session did not end cleanly.";

    /// <summary>A command line that does not parse: the parser's first complaint and where to find help.</summary>
    public static string BadCommandLine(string parserError, string helpCommand) => $"{parserError.TrimEnd()} (see '{helpCommand}')";

    /// <summary>A command failed: a <see cref="ChatFailedException"/> holds its sentence already; anything else is unexpected.</summary>
    public static string CommandFailed(Exception error) =>
        error is ChatFailedException ? error.Message : $"secretchat: unexpected error: {Plain(error)}";

    /// <summary>What both sides see when a code pairing's confirmation did not match (issue 15's wording).</summary>
    public const string CodeDidNotMatch = "The code did not match: nothing was sent; if you typed it correctly, someone may have tried to guess it.";

    /// <summary>Why a code cannot be used with a module without identity keys (rsa, pseudo).</summary>
    public const string CodeNeedsNoise = "Pairing with a code needs the noise module (identity keys); rsa and pseudo cannot use --code.";

    /// <summary>What a side without a code tells a peer that started a code pairing, and shows itself.</summary>
    public const string PeerWantsACode = "The peer wants to pair with a code, but none was given here: both sides must use the same code.";

    /// <summary>The notice when a code pairing replaced the key pinned under a contact's name.</summary>
    public static string ReplacedByCode(string contact) =>
        $"The key pinned for '{contact}' was replaced by the one just verified by code.";
}

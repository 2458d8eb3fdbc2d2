using System.Globalization;
using System.Net;
using System.Text;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>
/// A TURN server refused a request, or did not answer: one sentence naming the server and saying what to do, fit to
/// show a user. The error code, when there was one, is in <see cref="Error"/>.
/// </summary>
public sealed class TurnException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/> about <paramref name="server"/>.</summary>
    /// <param name="message">One sentence saying what went wrong and where.</param>
    /// <param name="server">The TURN server's address.</param>
    /// <param name="error">The error response's ERROR-CODE, or <see langword="null"/> when there was no answer.</param>
    /// <param name="innerException">The error behind it, or <see langword="null"/>.</param>
    public TurnException(string message, IPEndPoint server, StunErrorCode? error = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        Error = error;
    }

    /// <summary>The TURN server's address.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The error response's ERROR-CODE, or <see langword="null"/> when there was no answer.</summary>
    public StunErrorCode? Error { get; }

    /// <summary>Whether the server refused the credentials (401 to a request that carried them, or 441).</summary>
    public bool IsCredentialRefusal => Error?.Code is StunErrorCode.Unauthenticated or StunErrorCode.WrongCredentials;

    internal static TurnException CredentialsRefused(IPEndPoint server, StunErrorCode error, TurnCredentials credentials, DateTimeOffset now) =>
        credentials.ExpiresAt is { } expiry && expiry <= now
            ? new($"the TURN server at {server} refused the credentials: they expired at {Format(expiry)}", server, error)
            : new($"the TURN server at {server} refused the credentials: wrong username or password: check --turn-secret-file matches the server's static-auth-secret", server, error);

    internal static TurnException NoAnswer(IPEndPoint server, TimeSpan waited) =>
        new($"the TURN server at {server} did not answer within {waited.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", server);

    internal static TurnException Refused(IPEndPoint server, string what, StunErrorCode error) => error.Code switch
    {
        StunErrorCode.AllocationQuotaReached =>
            new($"the TURN server at {server} refused {what}: this user has reached the server's allocation quota (486)", server, error),
        StunErrorCode.UnsupportedTransportProtocol =>
            new($"the TURN server at {server} refused {what}: it does not relay UDP (442 Unsupported Transport Protocol)", server, error),
        StunErrorCode.InsufficientCapacity =>
            new($"the TURN server at {server} refused {what}: it has no relay ports left (508 Insufficient Capacity)", server, error),
        StunErrorCode.AllocationMismatch =>
            new($"the TURN server at {server} refused {what}: it has no allocation for this socket, or already has one (437 Allocation Mismatch)", server, error),
        StunErrorCode.Forbidden =>
            new($"the TURN server at {server} refused {what}: forbidden by its policy (403)", server, error),
        StunErrorCode.PeerAddressFamilyMismatch =>
            new($"the TURN server at {server} refused {what}: the peer's address family differs from the relayed address's (443)", server, error),
        _ => new($"the TURN server at {server} refused {what}: {error.Code} {Printable(error.Reason)}", server, error),
    };

    internal static TurnException Protocol(IPEndPoint server, string what) =>
        new($"the TURN server at {server} answered {what}", server);

    private static string Format(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A reason phrase from the wire, fit for a terminal: control characters dropped, at most 80 characters.</summary>
    private static string Printable(string reason)
    {
        var text = new StringBuilder(Math.Min(reason.Length, 80));
        foreach (var rune in reason.EnumerateRunes())
        {
            if (text.Length >= 80)
                break;
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator)
                continue;
            text.Append(rune.ToString());
        }

        return text.ToString();
    }
}

using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Composes a chat from its parts in code: a framed connection (TCP, in-memory, your own) or a
/// ready secure channel (UDP), a security module (noise, rsa, pseudo, your own), a role, and options.
/// </summary>
/// <example>
/// <code>
/// await using var chat = await ChatBuilder
///     .Over(await TcpTransport.ConnectAsync("127.0.0.1", 5000))
///     .SecuredBy(new PseudoSecurity())
///     .AsInitiator()
///     .Named("alice")
///     .ConnectAsync();
/// </code>
/// </example>
public sealed record ChatBuilder
{
    private ChatBuilder(IFrameConnection? connection, ISecureChannel? channel)
    {
        Connection = connection;
        Channel = channel;
    }

    /// <summary>The framed connection to secure (null when composing over a ready channel).</summary>
    public IFrameConnection? Connection { get; }

    /// <summary>A ready secure channel (null when composing over a framed connection).</summary>
    public ISecureChannel? Channel { get; }

    /// <summary>
    /// The security module that runs the handshake over <see cref="Connection"/>; required with a framed connection.
    /// </summary>
    public ISecurityModule? Security { get; init; }

    /// <summary>Whether this side starts the handshake; <see cref="HandshakeRole.Initiator"/> unless set.</summary>
    public HandshakeRole Role { get; init; } = HandshakeRole.Initiator;

    /// <summary>How long the peer may take to complete the handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeDefaults.Timeout;

    /// <summary>The transport named in the <c>connected</c> event for a framed connection; TCP unless set.</summary>
    public TransportKind Transport { get; init; } = TransportKind.Tcp;

    /// <summary>The options of the session: name, peer verifier, close timeout and scheduler.</summary>
    public ChatSessionOptions Options { get; init; } = new();

    /// <summary>Starts composing a chat over a framed connection; choose its security with <see cref="SecuredBy"/>.</summary>
    public static ChatBuilder Over(IFrameConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new ChatBuilder(connection, null);
    }

    /// <summary>Starts composing a chat over a secure channel that brings its own handshake.</summary>
    public static ChatBuilder Over(ISecureChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return new ChatBuilder(null, channel);
    }

    /// <summary>Secures the framed connection with <paramref name="security"/>'s handshake and ciphers.</summary>
    /// <returns>A new builder; this one is unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="security"/> is null.</exception>
    public ChatBuilder SecuredBy(ISecurityModule security)
    {
        ArgumentNullException.ThrowIfNull(security);
        return this with { Security = security };
    }

    /// <summary>Takes <paramref name="role"/> in the handshake. Returns a new builder; this one is unchanged.</summary>
    public ChatBuilder As(HandshakeRole role) => this with { Role = role };

    /// <summary>
    /// Starts the handshake (the side that connected, usually). Returns a new builder; this one is unchanged.
    /// </summary>
    public ChatBuilder AsInitiator() => this with { Role = HandshakeRole.Initiator };

    /// <summary>
    /// Answers the handshake (the side that accepted, usually). Returns a new builder; this one is unchanged.
    /// </summary>
    public ChatBuilder AsResponder() => this with { Role = HandshakeRole.Responder };

    /// <summary>Introduces this side to the peer as <paramref name="name"/>.</summary>
    /// <returns>A new builder; this one is unchanged.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public ChatBuilder Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return this with { Options = Options with { Name = name } };
    }

    /// <summary>Lets <paramref name="verifier"/> decide whether the peer may chat (pinned keys, for example).</summary>
    /// <returns>A new builder; this one is unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="verifier"/> is null.</exception>
    public ChatBuilder VerifiedBy(IPeerVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return this with { Options = Options with { PeerVerifier = verifier } };
    }

    /// <summary>Gives the peer <paramref name="timeout"/> to complete the handshake.</summary>
    /// <returns>A new builder; this one is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is zero or negative.</exception>
    public ChatBuilder WithHandshakeTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return this with { HandshakeTimeout = timeout };
    }

    /// <summary>Runs every timer of the session and the handshake on <paramref name="scheduler"/> (a <c>TestScheduler</c> in tests).</summary>
    /// <returns>A new builder; this one is unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scheduler"/> is null.</exception>
    public ChatBuilder OnScheduler(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return this with { Options = Options with { Scheduler = scheduler } };
    }

    /// <summary>Names the transport in the <c>connected</c> event (framed connections only; channels name their own).</summary>
    public ChatBuilder Describing(TransportKind transport) => this with { Transport = transport };

    /// <summary>Builds the secure channel this chat runs on.</summary>
    public ISecureChannel BuildChannel() => Channel ?? new FramedSecureChannel(
        Connection!,
        Security ?? throw new InvalidOperationException("Choose a security module with SecuredBy(...) first."),
        Role,
        HandshakeTimeout,
        Options.Scheduler,
        Transport);

    /// <summary>Starts the handshake and returns the session at once; its events tell how it goes.</summary>
    public ChatSession Start() => ChatSession.Start(BuildChannel(), Options);

    /// <summary>Starts the session and waits until the peer is connected; throws <see cref="ChatFailedException"/> otherwise.</summary>
    public async Task<ChatSession> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var chat = Start();
        try
        {
            await chat.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
            return chat;
        }
        catch
        {
            await chat.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

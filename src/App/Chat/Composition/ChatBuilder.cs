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

    public ISecurityModule? Security { get; init; }

    public HandshakeRole Role { get; init; } = HandshakeRole.Initiator;

    public TimeSpan HandshakeTimeout { get; init; } = HandshakeDefaults.Timeout;

    public TransportKind Transport { get; init; } = TransportKind.Tcp;

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

    public ChatBuilder SecuredBy(ISecurityModule security)
    {
        ArgumentNullException.ThrowIfNull(security);
        return this with { Security = security };
    }

    public ChatBuilder As(HandshakeRole role) => this with { Role = role };

    public ChatBuilder AsInitiator() => this with { Role = HandshakeRole.Initiator };

    public ChatBuilder AsResponder() => this with { Role = HandshakeRole.Responder };

    public ChatBuilder Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return this with { Options = Options with { Name = name } };
    }

    public ChatBuilder VerifiedBy(IPeerVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return this with { Options = Options with { PeerVerifier = verifier } };
    }

    public ChatBuilder WithHandshakeTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return this with { HandshakeTimeout = timeout };
    }

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
        Transport,
        greeting: ChatSession.GreetingFor(Options.Name));

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

using System.Reactive.Concurrency;
using SecretChat.App.Chat;
using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.App.Composition;

/// <summary>
/// Composes a chat from its parts in code: any framed connection (TCP, in-memory, your own), any
/// security module (noise, rsa, pseudo, your own), a role, and the session's options.
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
    private ChatBuilder(IFrameConnection connection) => Connection = connection;

    public IFrameConnection Connection { get; }

    public ISecurityModule? Security { get; init; }

    public HandshakeRole Role { get; init; } = HandshakeRole.Initiator;

    public ChatSessionOptions Options { get; init; } = new();

    /// <summary>Starts composing a chat over <paramref name="connection"/>.</summary>
    public static ChatBuilder Over(IFrameConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new ChatBuilder(connection);
    }

    public ChatBuilder SecuredBy(ISecurityModule security)
    {
        ArgumentNullException.ThrowIfNull(security);
        return this with { Security = security };
    }

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

    public ChatBuilder WithHandshakeTimeout(TimeSpan timeout) => this with { Options = Options with { HandshakeTimeout = timeout } };

    public ChatBuilder OnScheduler(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return this with { Options = Options with { Scheduler = scheduler } };
    }

    public ChatBuilder Describing(string transport, string path = "direct") =>
        this with { Options = Options with { TransportName = transport, PathName = path } };

    /// <summary>Starts the handshake and returns the session at once; its events tell how it goes.</summary>
    public ChatSession Start() => ChatSession.Start(
        Connection,
        Security ?? throw new InvalidOperationException("Choose a security module with SecuredBy(...) first."),
        Role,
        Options);

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

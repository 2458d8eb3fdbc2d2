using System.Net;
using System.Reactive.Concurrency;
using SecretChat.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;

namespace SecretChat.Chat.Composition;

/// <summary>
/// Composes a chat from its parts in code: what carries it (a framed connection such as TCP, in-memory or your own;
/// a datagram transport such as a UDP socket or a simulated link; or a ready secure channel), a security module
/// (noise, rsa, pseudo, your own) as the upgrade step from the connection to a secure channel, how the peer is
/// verified, a role, and options.
/// </summary>
/// <remarks>
/// Safe by default: with a module that authenticates the peer or has a fingerprint (noise), building refuses until a
/// verification is chosen: <see cref="VerifiedBy(KnownPeers, bool)"/> (pins), <see cref="VerifiedBy(IPeerVerifier)"/>,
/// or an explicit <see cref="AcceptAnyPeer"/>. Whatever the choice, the <c>connected</c> event carries the safety
/// number (<see cref="Connected.Fingerprint"/>) when the module has one.
/// </remarks>
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
    private ChatBuilder(IFrameConnection? connection, ISecureChannel? channel, IDatagramTransport? datagrams, IPEndPoint? peer)
    {
        Connection = connection;
        Channel = channel;
        Datagrams = datagrams;
        Peer = peer;
    }

    /// <summary>The framed connection to secure (null when composing over datagrams or a ready channel).</summary>
    public IFrameConnection? Connection { get; }

    /// <summary>A ready secure channel (null when composing over a connection or datagrams).</summary>
    public ISecureChannel? Channel { get; }

    /// <summary>The datagram transport to secure (null when composing over a connection or a ready channel).</summary>
    public IDatagramTransport? Datagrams { get; }

    /// <summary>The peer's address on <see cref="Datagrams"/>; null for the side that waits for the peer's hello.</summary>
    public IPEndPoint? Peer { get; }

    /// <summary>The security module: the upgrade from the connection to a secure channel.</summary>
    public ISecurityModule? Security { get; init; }

    /// <summary>Which side of the handshake this is (framed connections; over datagrams the side with a peer address initiates).</summary>
    public HandshakeRole Role { get; init; } = HandshakeRole.Initiator;

    /// <summary>How long the handshake may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeDefaults.Timeout;

    /// <summary>The transport the <c>connected</c> event names; null takes it from the connection (see <see cref="IDescribedConnection"/>).</summary>
    public TransportKind? Transport { get; init; }

    /// <summary>The reliability layer's settings over datagrams (its defaults when null).</summary>
    public ReliabilityOptions? Reliability { get; init; }

    /// <summary>True once a verification was chosen (<c>VerifiedBy</c> or <see cref="AcceptAnyPeer"/>).</summary>
    public bool IsVerificationChosen { get; private init; }

    /// <summary>The session's options: name, verifier, scheduler.</summary>
    public ChatSessionOptions Options { get; init; } = new();

    /// <summary>Starts composing a chat over a framed connection; choose its security with <see cref="SecuredBy(ISecurityModule)"/>.</summary>
    public static ChatBuilder Over(IFrameConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new ChatBuilder(connection, null, null, null);
    }

    /// <summary>Starts composing a chat over a secure channel that brings its own handshake.</summary>
    /// <remarks>The builder cannot see the channel's module: choose the verification yourself (<c>VerifiedBy</c>).</remarks>
    public static ChatBuilder Over(ISecureChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return new ChatBuilder(null, channel, null, null);
    }

    /// <summary>
    /// Starts composing a chat over datagrams: the datagram stack (handshake, sealing, replay window, reliability)
    /// over <paramref name="transport"/>, which stays the caller's to dispose. With <paramref name="peer"/> this side
    /// starts the handshake toward it; without, it waits for the first peer's hello.
    /// </summary>
    public static ChatBuilder OverDatagrams(IDatagramTransport transport, IPEndPoint? peer = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return new ChatBuilder(null, null, transport, peer) { Role = peer is null ? HandshakeRole.Responder : HandshakeRole.Initiator };
    }

    /// <summary>Chooses the security module: the upgrade from the connection to a secure channel.</summary>
    public ChatBuilder SecuredBy(ISecurityModule security)
    {
        ArgumentNullException.ThrowIfNull(security);
        return this with { Security = security };
    }

    /// <summary>Chooses a module together with its verification (<see cref="SecurityChoice.NewVerifier"/>).</summary>
    public ChatBuilder SecuredBy(SecurityChoice security)
    {
        ArgumentNullException.ThrowIfNull(security);
        return SecuredBy(security.Module).VerifiedBy(security.NewVerifier());
    }

    /// <summary>Sets the handshake role (framed connections).</summary>
    public ChatBuilder As(HandshakeRole role) => this with { Role = role };

    /// <summary>This side starts the handshake (framed connections).</summary>
    public ChatBuilder AsInitiator() => this with { Role = HandshakeRole.Initiator };

    /// <summary>This side answers the handshake (framed connections).</summary>
    public ChatBuilder AsResponder() => this with { Role = HandshakeRole.Responder };

    /// <summary>The name this side introduces itself with.</summary>
    public ChatBuilder Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return this with { Options = Options with { Name = name } };
    }

    /// <summary>Lets <paramref name="verifier"/> decide about each peer.</summary>
    public ChatBuilder VerifiedBy(IPeerVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return this with { Options = Options with { PeerVerifier = verifier }, IsVerificationChosen = true };
    }

    /// <summary>
    /// Trust on first use: a peer's first key is pinned in <paramref name="pins"/>, a different key later is refused
    /// (or, with <paramref name="acceptNewKey"/>, replaces the pin).
    /// </summary>
    public ChatBuilder VerifiedBy(KnownPeers pins, bool acceptNewKey = false)
    {
        ArgumentNullException.ThrowIfNull(pins);
        return VerifiedBy(new PinnedPeerVerifier(pins, acceptNewKey));
    }

    /// <summary>
    /// Pairs with <paramref name="code"/> before chatting (noise only): J-PAKE bound to this session's handshake hash;
    /// the verifier is asked only once the code is confirmed (<see cref="IPeerVerifier.CheckPairedByCode"/>), and a
    /// mismatch ends the session on both sides with nothing exchanged. Null pairs with no code.
    /// </summary>
    public ChatBuilder PairedWithCode(Security.Pairing.PairingCode? code) => this with { Options = Options with { PairingCode = code } };

    /// <summary>
    /// Accepts any peer's key, on purpose: the users compare the safety number (<see cref="Connected.Fingerprint"/>)
    /// by other means, or the module has no keys to check.
    /// </summary>
    public ChatBuilder AcceptAnyPeer() => VerifiedBy(Chat.AcceptAnyPeer.Instance);

    /// <summary>How long the handshake may take.</summary>
    public ChatBuilder WithHandshakeTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return this with { HandshakeTimeout = timeout };
    }

    /// <summary>
    /// Tunes the reliability layer that every datagram chat runs (order, retransmission, keepalives, dead-peer
    /// detection); without this call its defaults apply.
    /// </summary>
    public ChatBuilder WithReliability(ReliabilityOptions? options = null) =>
        this with { Reliability = options ?? new ReliabilityOptions() };

    /// <summary>The clock of every timer (a <c>TestScheduler</c> for virtual time).</summary>
    public ChatBuilder OnScheduler(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return this with { Options = Options with { Scheduler = scheduler } };
    }

    /// <summary>
    /// Names the transport in the <c>connected</c> event, overriding what a framed connection says about itself
    /// (datagram transports and ready channels name their own).
    /// </summary>
    public ChatBuilder Describing(TransportKind transport) => this with { Transport = transport };

    /// <summary>Builds the secure channel this chat runs on.</summary>
    /// <exception cref="InvalidOperationException">No module was chosen, or the module checks identities and no verification was chosen.</exception>
    public ISecureChannel BuildChannel()
    {
        if (Channel is not null)
            return Channel;
        var security = Security ?? throw new InvalidOperationException("Choose a security module with SecuredBy(...) first.");
        var capabilities = security.Info.Capabilities;
        if (!IsVerificationChosen && (capabilities & (SecurityCapabilities.AuthenticatesPeer | SecurityCapabilities.HasFingerprint)) != 0)
            throw new InvalidOperationException(
                $"A {security.Info.Id} chat checks who the peer is: choose how with VerifiedBy(pins or a verifier), or say AcceptAnyPeer().");
        if (Datagrams is not null)
        {
            var options = DatagramChannelOptions.Default with { HandshakeTimeout = HandshakeTimeout, Greeting = ChatSession.GreetingFor(Options.Name) };
            var reliability = Reliability ?? new ReliabilityOptions();
            return Peer is not null
                ? DatagramChannels.Connect(Datagrams, Peer, security, options, reliability, Options.Scheduler)
                : DatagramChannels.Accept(Datagrams, security, options, reliability, Options.Scheduler);
        }
        return new FramedSecureChannel(
            Connection!,
            security,
            Role,
            HandshakeTimeout,
            Options.Scheduler,
            Transport ?? (Connection as IDescribedConnection)?.Transport ?? TransportKind.Other,
            greeting: ChatSession.GreetingFor(Options.Name));
    }

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

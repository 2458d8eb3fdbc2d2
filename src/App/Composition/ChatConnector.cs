using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.App.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Signaling;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.App.Composition;

/// <summary>
/// The real stack behind the command line: TCP (framed stream + <see cref="FramedSecureChannel"/>) or
/// UDP (<see cref="ReliableDatagramChannel"/>), the chosen security module, and <see cref="ChatSession"/>.
/// </summary>
public sealed class ChatConnector(IScheduler? scheduler = null) : IChatConnector
{
    private readonly IScheduler _scheduler = scheduler ?? DefaultScheduler.Instance;

    public async Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var peer = ParseEndPoint(options);
        // The identity key is needed only until the handshake is done, which it is once the session is returned.
        using var security = SecurityModules.Create(options);
        if (options.Transport == ChatTransport.PeerToPeer)
            return await ConnectPeerToPeerAsync(peer, security, options, progress, cancellationToken).ConfigureAwait(false);

        progress?.Report($"connecting to {peer} over {TransportName(options)}");
        var channel = options.Transport == ChatTransport.Tcp
            ? await ConnectTcpAsync(peer, security, options, cancellationToken).ConfigureAwait(false)
            : await ConnectUdpAsync(peer, security, options, cancellationToken).ConfigureAwait(false);
        progress?.Report($"{(options.Transport == ChatTransport.Tcp ? "connected to" : "sending to")} {channel.RemoteEndPoint}; running the {options.Encryption.Name()} handshake");
        return await StartSessionAsync(channel, security.NewVerifier(), options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Transport == ChatTransport.PeerToPeer)
            throw new ChatFailedException("Peer-to-peer sessions are not listened for: both peers run 'secretchat p2p --room NAME'.");
        var local = ParseEndPoint(options);
        var endPoint = new IPEndPoint(await ResolveAsync(local, "listen on", cancellationToken).ConfigureAwait(false), local.Port);
        var security = SecurityModules.Create(options);
        try
        {
            return options.Transport == ChatTransport.Tcp
                ? new TcpListener(this, TcpFrameListener.Start(endPoint), security, options)
                : new UdpListener(this, UdpDatagramSocket.Bind(endPoint), security, options);
        }
        catch (TransportException e)
        {
            security.Dispose();
            throw new ChatFailedException(e.Message, e);
        }
        catch (SocketException e)
        {
            security.Dispose();
            throw new ChatFailedException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"Could not listen on {endPoint}: the address is already in use."
                : $"Could not listen on {endPoint}: {e.Message}.", e);
        }
    }

    private async Task<ISecureChannel> ConnectTcpAsync(HostPort peer, SecurityChoice security, ChatOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        try
        {
            var connection = await TcpTransport.ConnectAsync(peer.Host, peer.Port, cancellationToken: timeout.Token).ConfigureAwait(false);
            return FramedChannel(connection, security.Module, HandshakeRole.Initiator, options);
        }
        catch (TransportException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChatFailedException($"Could not connect to {peer} within {options.HandshakeTimeout.TotalSeconds:0.#} s.");
        }
    }

    private async Task<ISecureChannel> ConnectUdpAsync(HostPort peer, SecurityChoice security, ChatOptions options, CancellationToken cancellationToken)
    {
        var address = await ResolveAsync(peer, "reach", cancellationToken).ConfigureAwait(false);
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        var datagrams = SecureDatagramChannel.Connect(security.Module, new IPEndPoint(address, peer.Port),
            (datagram, to) => socket.SendAsync(datagram, to), DatagramOptions(options), _scheduler);
        var wiring = socket.Datagrams.Subscribe(d => datagrams.Receive(d.RemoteEndPoint, d.Payload.Span));
        return new ReliableDatagramChannel(datagrams, ReliabilityOptions(options), _scheduler,
            owned: new AsyncDisposables(wiring, socket));
    }

    /// <summary>Meets the peer at the signaling server, punches through both NATs, and runs the UDP session over the hole.</summary>
    private async Task<IChat> ConnectPeerToPeerAsync(HostPort server, SecurityChoice security, ChatOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Room))
            throw new ChatFailedException("A room name is needed to meet the peer (--room NAME).");
        var serverAddress = new IPEndPoint(await ResolveAsync(server, "reach the signaling server", cancellationToken).ConfigureAwait(false), server.Port);
        var local = options.LocalAddress ?? DefaultLocalAddress(serverAddress.Address);
        if (local.AddressFamily != serverAddress.AddressFamily)
            throw new ChatFailedException($"The local address {local} cannot reach the signaling server at {serverAddress}: one is IPv4, the other IPv6.");
        var attempt = PunchAttempt.Start(serverAddress, local, _scheduler);
        ISecureChannel channel;
        try
        {
            var match = await attempt.MeetAsync(options.Room, progress, cancellationToken).ConfigureAwait(false);
            progress?.Report($"met the peer (this side is the {(attempt.Role == HandshakeRole.Initiator ? "initiator" : "responder")})");
            var punched = await attempt.PunchAsync(security.Module, match, options.HandshakeTimeout, options.RelayFallback, progress, cancellationToken).ConfigureAwait(false);
            progress?.Report(punched.Relayed
                ? $"connected through the relay at {attempt.Relay} ({punched.DirectFailure}); still trying the direct path"
                : $"direct path to {punched.Channel.RemoteEndPoint} open");
            channel = new ReliableDatagramChannel(punched.Channel, ReliabilityOptions(options), _scheduler, owned: attempt, path: attempt.ManagePath(punched));
        }
        catch (Exception e) when (e is SignalingException or HandshakeException or ArgumentException)
        {
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw new ChatFailedException(ChatFailedException.Sentence(e.Message), e);
        }
        catch
        {
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return await StartSessionAsync(channel, security.NewVerifier(), options, cancellationToken).ConfigureAwait(false);
    }

    private FramedSecureChannel FramedChannel(IFrameConnection connection, ISecurityModule security, HandshakeRole role, ChatOptions options) =>
        new(connection, security, role, options.HandshakeTimeout, _scheduler, "tcp");

    private async Task<IChat> StartSessionAsync(ISecureChannel channel, IPeerVerifier verifier, ChatOptions options, CancellationToken cancellationToken)
    {
        var chat = ChatBuilder.Over(channel)
            .VerifiedBy(verifier)
            .Named(options.Name)
            .OnScheduler(_scheduler)
            .Start();
        try
        {
            await chat.Connected.WaitAsync(cancellationToken).ConfigureAwait(false);
            return chat;
        }
        catch (ChatFailedException e) when (verifier is PinnedPeerVerifier { LastRefused: { } refused } pins)
        {
            await chat.DisposeAsync().ConfigureAwait(false);
            throw new PeerKeyChangedException(e.Message, refused.Name, refused.Key, pins.KnownPeers.FilePath);
        }
        catch
        {
            await chat.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Where the p2p socket binds when not told: a signaling server on loopback means the peer is on this machine,
    /// so loopback (nothing is announced or probed beyond it); otherwise every address of the server's family.
    /// </summary>
    private static IPAddress DefaultLocalAddress(IPAddress server) =>
        IPAddress.IsLoopback(server) ? server
        : server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any
        : IPAddress.Any;

    private static DatagramChannelOptions DatagramOptions(ChatOptions options) =>
        DatagramChannelOptions.Default with { HandshakeTimeout = options.HandshakeTimeout };

    private static ReliabilityOptions ReliabilityOptions(ChatOptions options) => new()
    {
        KeepAliveInterval = options.KeepAliveInterval,
        DeadPeerTimeout = options.DeadPeerTimeout,
    };

    private static string TransportName(ChatOptions options) => options.Transport == ChatTransport.Tcp ? "tcp" : "udp";


    private static HostPort ParseEndPoint(ChatOptions options)
    {
        try
        {
            return HostPort.Parse(options.EndPoint);
        }
        catch (FormatException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
    }

    /// <summary>An IP address for <paramref name="endPoint"/>, preferring IPv4 (what NATs and most LANs route).</summary>
    private static async Task<IPAddress> ResolveAsync(HostPort endPoint, string purpose, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(endPoint.Host, out var address))
            return address;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault()
                ?? throw new ChatFailedException($"Could not resolve host '{endPoint.Host}' to an address to {purpose}.");
        }
        catch (SocketException e)
        {
            throw new ChatFailedException($"Could not resolve host '{endPoint.Host}' ({e.Message}).", e);
        }
    }

    /// <summary>Hands out one session per peer that completes its handshake; the others become rejections.</summary>
    private abstract class Listener(ChatConnector owner, SecurityChoice security, ChatOptions options) : IChatListener
    {
        private readonly Subject<string> _rejections = new();

        public abstract EndPoint LocalEndPoint { get; }

        public IObservable<string> Rejections => _rejections.AsObservable();

        public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                progress?.Report($"waiting for a peer on {LocalEndPoint}");
                var channel = await NextChannelAsync(security.Module, cancellationToken).ConfigureAwait(false);
                progress?.Report($"a peer is here; running the {options.Encryption.Name()} handshake");
                try
                {
                    return await owner.StartSessionAsync(channel, security.NewVerifier(), options, cancellationToken).ConfigureAwait(false);
                }
                catch (ChatFailedException e)
                {
                    Reject(channel.RemoteEndPoint, e.Message);
                }
            }
        }

        /// <summary>Reports a peer that did not become a session; the listener goes on.</summary>
        protected void Reject(EndPoint? from, string reason) => _rejections.OnNext($"{from?.ToString() ?? "a peer"}: {reason}");

        public virtual ValueTask DisposeAsync()
        {
            _rejections.OnCompleted();
            security.Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>The next peer's channel, with its handshake under way.</summary>
        protected abstract Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken);

        protected ChatConnector Owner => owner;

        protected ChatOptions Options => options;
    }

    private sealed class TcpListener(ChatConnector owner, TcpFrameListener listener, SecurityChoice security, ChatOptions options)
        : Listener(owner, security, options)
    {
        public override EndPoint LocalEndPoint => listener.LocalEndPoint;

        protected override async Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken)
        {
            try
            {
                var connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                return Owner.FramedChannel(connection, module, HandshakeRole.Responder, Options);
            }
            catch (TransportException e)
            {
                throw new ChatFailedException(e.Message, e);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync().ConfigureAwait(false);
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One UDP socket; each accepted session gets a fresh datagram channel that the socket feeds.</summary>
    private sealed class UdpListener : Listener
    {
        private readonly UdpDatagramSocket _socket;
        private readonly IDisposable _wiring;
        private SecureDatagramChannel? _current;

        public UdpListener(ChatConnector owner, UdpDatagramSocket socket, SecurityChoice security, ChatOptions options)
            : base(owner, security, options)
        {
            _socket = socket;
            _wiring = socket.Datagrams.Subscribe(d => Volatile.Read(ref _current)?.Receive(d.RemoteEndPoint, d.Payload.Span));
        }

        public override EndPoint LocalEndPoint => _socket.LocalEndPoint;

        /// <summary>
        /// Waits for a peer whose handshake completes, then wraps it in the reliable session. The session (and its
        /// dead-peer timer) starts only then: an idle listener waits for as long as it takes. The payloads that
        /// arrive before the session subscribes are kept by the datagram channel.
        /// </summary>
        protected override async Task<ISecureChannel> NextChannelAsync(ISecurityModule module, CancellationToken cancellationToken)
        {
            while (true)
            {
                var datagrams = SecureDatagramChannel.Accept(module, (datagram, to) => _socket.SendAsync(datagram, to),
                    DatagramOptions(Options), Owner._scheduler);
                // The socket feeds only the newest channel; its handshake timeout starts with the first peer's hello.
                Volatile.Write(ref _current, datagrams);
                try
                {
                    await datagrams.Established.WaitAsync(cancellationToken).ConfigureAwait(false);
                    return new ReliableDatagramChannel(datagrams, ReliabilityOptions(Options), Owner._scheduler);
                }
                catch (HandshakeException e)
                {
                    Reject(datagrams.RemoteEndPoint, e.Message);
                    await datagrams.DisposeAsync().ConfigureAwait(false);
                }
                catch
                {
                    await datagrams.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync().ConfigureAwait(false);
            _wiring.Dispose();
            await _socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Disposes a subscription and then a resource, as one.</summary>
    private sealed class AsyncDisposables(IDisposable first, IAsyncDisposable second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            first.Dispose();
            await second.DisposeAsync().ConfigureAwait(false);
        }
    }
}

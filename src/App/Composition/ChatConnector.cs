using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.App.Chat;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Composition;

/// <summary>The real stack behind the command line: TCP transport, the chosen security module, and <see cref="ChatSession"/>.</summary>
public sealed class ChatConnector(IScheduler? scheduler = null) : IChatConnector
{
    private readonly IScheduler _scheduler = scheduler ?? DefaultScheduler.Instance;

    public async Task<IChat> ConnectAsync(ChatOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var peer = ParseEndPoint(options);
        var security = SecurityModules.Create(options);

        progress?.Report($"connecting to {peer} over {TransportName(options)}");
        IFrameConnection connection;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(options.HandshakeTimeout);
            try
            {
                connection = await TcpTransport.ConnectAsync(peer.Host, peer.Port, cancellationToken: timeout.Token).ConfigureAwait(false);
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

        progress?.Report($"connected to {connection.RemoteEndPoint}; running the {options.Encryption.Name()} handshake");
        return await StartSessionAsync(connection, security.Module, security.NewVerifier(), HandshakeRole.Initiator, options, cancellationToken).ConfigureAwait(false);
    }

    public Task<IChatListener> ListenAsync(ChatOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var local = ParseEndPoint(options);
        var address = ResolveListenAddress(local);
        var security = SecurityModules.Create(options);
        TcpFrameListener listener;
        try
        {
            listener = TcpFrameListener.Start(new IPEndPoint(address, local.Port));
        }
        catch (TransportException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
        return Task.FromResult<IChatListener>(new Listener(this, listener, security, options));
    }

    private async Task<IChat> StartSessionAsync(
        IFrameConnection connection, ISecurityModule security, IPeerVerifier verifier, HandshakeRole role,
        ChatOptions options, CancellationToken cancellationToken)
    {
        var chat = ChatBuilder.Over(connection)
            .SecuredBy(security)
            .As(role)
            .VerifiedBy(verifier)
            .Named(options.Name)
            .WithHandshakeTimeout(options.HandshakeTimeout)
            .OnScheduler(_scheduler)
            .Describing(TransportName(options))
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

    private static string TransportName(ChatOptions options) => options.Transport == ChatTransport.Tcp ? "tcp" : "udp";

    private static HostPort ParseEndPoint(ChatOptions options)
    {
        if (options.Transport != ChatTransport.Tcp)
            throw new ChatFailedException("The UDP transport is not available in this version yet; use --tcp.");
        try
        {
            return HostPort.Parse(options.EndPoint);
        }
        catch (FormatException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
    }

    private static IPAddress ResolveListenAddress(HostPort local)
    {
        if (IPAddress.TryParse(local.Host, out var address))
            return address;
        try
        {
            return Dns.GetHostAddresses(local.Host).FirstOrDefault()
                ?? throw new ChatFailedException($"Could not resolve '{local.Host}' to an address to listen on.");
        }
        catch (SocketException e)
        {
            throw new ChatFailedException($"Could not resolve '{local.Host}' to an address to listen on ({e.Message}).", e);
        }
    }

    /// <summary>Hands out one session per peer that completes its handshake; the others become rejections.</summary>
    private sealed class Listener(ChatConnector owner, TcpFrameListener listener, SecurityChoice security, ChatOptions options) : IChatListener
    {
        private readonly Subject<string> _rejections = new();

        public EndPoint LocalEndPoint => listener.LocalEndPoint;

        public IObservable<string> Rejections => _rejections.AsObservable();

        public async Task<IChat> AcceptAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                progress?.Report($"waiting for a peer on {listener.LocalEndPoint}");
                IFrameConnection connection;
                try
                {
                    connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (TransportException e)
                {
                    throw new ChatFailedException(e.Message, e);
                }

                var remote = connection.RemoteEndPoint?.ToString() ?? "a peer";
                progress?.Report($"{remote} connected; running the {options.Encryption.Name()} handshake");
                try
                {
                    return await owner.StartSessionAsync(connection, security.Module, security.NewVerifier(), HandshakeRole.Responder, options, cancellationToken).ConfigureAwait(false);
                }
                catch (ChatFailedException e)
                {
                    _rejections.OnNext($"{remote}: {e.Message}");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _rejections.OnCompleted();
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}

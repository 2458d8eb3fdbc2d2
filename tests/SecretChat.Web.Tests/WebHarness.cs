using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;

namespace SecretChat.Web.Tests;

/// <summary>
/// The web interactor served on 127.0.0.1 for one test, as <c>secretchat ui</c> serves it: the real chat connector,
/// with alice's identity and pins in a temporary home. The token is the test's, so it can build requests by hand.
/// </summary>
internal sealed class WebHarness : IAsyncDisposable
{
    private WebHarness(TempDirectory home, UiServer server)
    {
        Home = home;
        Server = server;
    }

    public TempDirectory Home { get; }

    public UiServer Server { get; }

    public string AliceIdentity => Home.File("alice", "identity.key");

    public string AlicePins => Home.File("alice", "known_peers.json");

    public static async Task<WebHarness> StartAsync(string name = "alice")
    {
        var home = new TempDirectory("secretchat-web-");
        Directory.CreateDirectory(home.File("alice"));
        UiServer? server = null;
        try
        {
            server = await UiServer.StartAsync(new UiOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Connector = new ChatConnector(),
                Name = name,
                DescribeSecurity = module => $"{module.Id}: {module.DisplayName}",
                ToChatOptions = request => new ChatOptions
                {
                    Transport = request.Transport,
                    EndPoint = request.EndPoint ?? throw new ArgumentException("The tests always name the address."),
                    Room = request.Room,
                    Encryption = BuiltInModules.TryFind(request.Encryption, out var mode) ? mode : ChatOptions.DefaultEncryption,
                    Name = name,
                    IdentityPath = home.File("alice", "identity.key"),
                    KnownPeersPath = home.File("alice", "known_peers.json"),
                    AcceptNewPeerKey = request.AcceptNewKey,
                    HandshakeTimeout = Timeouts.Startup, // rsa and noise handshakes on a loaded CI machine
                },
            });
            return new WebHarness(home, server);
        }
        catch
        {
            if (server is not null) await server.DisposeAsync();
            home.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Home.Dispose();
    }
}

/// <summary>The other side, through the chat library as the console uses it: a listener on 127.0.0.1 with its own identity.</summary>
internal sealed class LibraryPeer : IAsyncDisposable
{
    private readonly IChatListener _listener;
    private readonly List<IChat> _chats = [];

    private LibraryPeer(IChatListener listener, string identityPath)
    {
        _listener = listener;
        IdentityPath = identityPath;
    }

    public string IdentityPath { get; }

    public string Address => _listener.LocalEndPoint.ToString()!;

    public static async Task<LibraryPeer> ListenAsync(TempDirectory home, string folder, string name, string encryption)
    {
        Directory.CreateDirectory(home.File(folder));
        var identity = home.File(folder, "identity.key");
        var options = new ChatOptions
        {
            Transport = ChatTransport.Tcp,
            EndPoint = "127.0.0.1:0",
            Encryption = BuiltInModules.TryFind(encryption, out var mode) ? mode : throw new ArgumentException(encryption),
            Name = name,
            IdentityPath = identity,
            KnownPeersPath = home.File(folder, "known_peers.json"),
            HandshakeTimeout = Timeouts.Startup,
        };
        return new LibraryPeer(await new ChatConnector().ListenAsync(options), identity);
    }

    /// <summary>The public identity key this peer presents (created on first use, as the connector does).</summary>
    public byte[] PublicKey()
    {
        using var pair = SecretChat.Security.Identity.IdentityStore.LoadOrCreate(IdentityPath);
        return pair.PublicKey.ToArray();
    }

    /// <summary>The next session that completes its handshake here.</summary>
    public async Task<IChat> AcceptAsync()
    {
        var chat = await _listener.AcceptAsync().WaitAsync(Timeouts.Startup);
        lock (_chats) _chats.Add(chat);
        return chat;
    }

    public async ValueTask DisposeAsync()
    {
        IChat[] chats;
        lock (_chats) chats = [.. _chats];
        foreach (var chat in chats) await chat.DisposeAsync();
        await _listener.DisposeAsync();
    }
}

internal static class ChatEvents
{
    /// <summary>The first event of type <typeparamref name="T"/> that matches, or a timeout.</summary>
    /// <remarks>
    /// The test goes on off the chat's own thread: the event is emitted on the thread that received it, and a test that
    /// went on there (to poll the browser, say) would hold that thread, and with it the acknowledgement the peer waits for.
    /// </remarks>
    public static async Task<T> FirstAsync<T>(this IChat chat, Func<T, bool>? match = null) where T : ChatEvent
    {
        var found = await chat.Events.OfType<T>().FirstAsync(e => match is null || match(e)).ToTask().WaitAsync(Timeouts.Startup);
        await Task.Yield();
        return found;
    }
}

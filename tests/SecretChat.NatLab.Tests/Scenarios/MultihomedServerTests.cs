using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.NatLab.Tests.Harness;
using SecretChat.Signaling;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// A signaling server on a machine with two addresses of each family, listening on <c>::</c> (both families), answers
/// from the address it was asked at (issue 19). The test makes its own namespace with a dummy interface holding
/// 198.51.100.1-2 and 2001:db8::1-2 (documentation prefixes, inside the namespace only); the clients ask at the second
/// address from the first, where the kernel's own choice of source (without IP_PKTINFO) is the first.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "natlab")]
public sealed class MultihomedServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = Timeouts.Default;
    private static readonly IPAddress s_first4 = IPAddress.Parse("198.51.100.1"), s_second4 = IPAddress.Parse("198.51.100.2");
    private static readonly IPAddress s_first6 = IPAddress.Parse("2001:db8::1"), s_second6 = IPAddress.Parse("2001:db8::2");
    private readonly string _namespace = $"scmh-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly List<IDisposable> _sockets = [];

    public async Task InitializeAsync()
    {
        if (LabSkip.Reason() is not null)
            return;
        await Ip("netns", "add", _namespace);
        try
        {
            await AddAddressesAsync();
        }
        catch
        {
            await LabCommand.RunAsync("ip", ["netns", "delete", _namespace]);
            throw;
        }
    }

    private async Task AddAddressesAsync()
    {
        await Ip("-n", _namespace, "link", "set", "lo", "up");
        // On the namespace's loopback interface (no dummy driver needed): local addresses all the same to the kernel.
        foreach (var address in new[] { "198.51.100.1/32", "198.51.100.2/32" })
            await Ip("-n", _namespace, "addr", "add", address, "dev", "lo");
        foreach (var address in new[] { "2001:db8::1/128", "2001:db8::2/128" })
            await Ip("-n", _namespace, "addr", "add", address, "dev", "lo", "nodad");
    }

    public async Task DisposeAsync()
    {
        foreach (var socket in _sockets)
            socket.Dispose();
        if (LabSkip.Reason() is null)
            await LabCommand.RunAsync("ip", ["netns", "delete", _namespace]);
    }

    [LabTheory]
    [InlineData("198.51.100.1", "198.51.100.2")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public async Task MultihomedServer_ClientAsksAtTheSecondAddress_AnswerComesFromTheSecond(string client, string asked)
    {
        await using var server = await StartServerAsync(answerFromAsked: true);
        var socket = await OpenAsync(IPAddress.Parse(client));
        var at = new IPEndPoint(IPAddress.Parse(asked), server.LocalEndPoint.Port);

        var from = await StunFromAsync(socket, at);

        Assert.True(server.AnswersFromAskedAddress);
        Assert.Equal(at, from);
        output.WriteLine($"server on {server.LocalEndPoint}: {client} asked at {at}, the answer came from {from}");
    }

    [LabTheory]
    [InlineData("198.51.100.1", "198.51.100.2")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public async Task MultihomedServer_WithoutAskedAddress_AnswerComesFromTheKernelsChoice(string client, string asked)
    {
        // What the option fixes: without it the kernel picks the source, here the client's own address (the first).
        await using var server = await StartServerAsync(answerFromAsked: false);
        var socket = await OpenAsync(IPAddress.Parse(client));
        var at = new IPEndPoint(IPAddress.Parse(asked), server.LocalEndPoint.Port);

        var from = await StunFromAsync(socket, at);

        Assert.False(server.AnswersFromAskedAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(client), at.Port), from);
        output.WriteLine($"without IP_PKTINFO: {client} asked at {at}, the answer came from {from}");
    }

    [LabFact]
    public async Task MultihomedServer_PeersAskAtDifferentAddresses_EachHearsOnlyFromItsOwn()
    {
        // Bob waits at the second IPv4 address; alice joins at the first. The PeerInfo bob gets is sent because of alice's
        // Register, and must still leave from the address bob asked at: his client takes signaling only from there.
        await using var server = await StartServerAsync(answerFromAsked: true);
        var port = server.LocalEndPoint.Port;
        await using var bob = new Member(await OpenAsync(s_first4), new IPEndPoint(s_second4, port));
        await using var alice = new Member(await OpenAsync(s_first4), new IPEndPoint(s_first4, port));

        var bobWaits = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bobMatch = bob.Client.RegisterAsync("two-homes", [], new Reported(bobWaits));
        await bobWaits.Task.WaitAsync(s_timeout);
        var aliceMatch = await alice.Client.RegisterAsync("two-homes", []).WaitAsync(s_timeout);
        var bobSees = await bobMatch.WaitAsync(s_timeout);

        Assert.Equal(bob.Local, aliceMatch.PeerReflexiveAddress);
        Assert.Equal(alice.Local, bobSees.PeerReflexiveAddress);
        Assert.Equal(0, bob.Unclaimed + alice.Unclaimed);
        output.WriteLine($"bob at {bob.Local} asked at {bob.Server}, alice at {alice.Local} at {alice.Server}: both matched, nothing from another address");
    }

    private Task<SignalingServer> StartServerAsync(bool answerFromAsked) =>
        NetworkNamespace.RunInAsync(_namespace, () => SignalingServer.Start(
            new IPEndPoint(IPAddress.IPv6Any, 0),
            new SignalingServerOptions { AnswerFromAskedAddress = answerFromAsked, StunAnswersMayExceedRequests = true }));

    private async Task<Socket> OpenAsync(IPAddress address)
    {
        var socket = await NetworkNamespace.OpenUdpSocketAsync(_namespace, new IPEndPoint(address, 0));
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>Sends a STUN Binding request to <paramref name="at"/> and returns where the answer came from.</summary>
    private static async Task<IPEndPoint> StunFromAsync(Socket socket, IPEndPoint at)
    {
        var request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), 0x2112A442);
        Random.Shared.NextBytes(request.AsSpan(8, 12));
        var buffer = new byte[1500];
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await socket.SendToAsync(request, at);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(at.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), wait.Token);
                if (received.ReceivedBytes >= 20 && buffer.AsSpan(8, 12).SequenceEqual(request.AsSpan(8, 12)))
                    return (IPEndPoint)received.RemoteEndPoint;
            }
            catch (OperationCanceledException)
            {
                // lost or unanswered: ask again
            }
        }
        throw new TimeoutException($"no STUN answer to {at} in 5 tries");
    }

    private static async Task Ip(params string[] arguments) => (await LabCommand.RunAsync("ip", arguments)).EnsureSuccess();

    /// <summary>A signaling client on one socket of the namespace, fed only what comes from its server's address.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Member(Socket socket, IPEndPoint server)
        {
            _socket = socket;
            Server = server;
            Client = new RendezvousClient((d, to, ct) => new ValueTask(_socket.SendToAsync(d, SocketFlags.None, to, ct).AsTask()), server, DefaultScheduler.Instance);
            _loop = Task.Run(ReceiveAsync);
        }

        public RendezvousClient Client { get; }

        public IPEndPoint Server { get; }

        public IPEndPoint Local => (IPEndPoint)_socket.LocalEndPoint!;

        /// <summary>Datagrams the client did not take: from another address than its server's, or not signaling.</summary>
        public int Unclaimed;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try { await _loop; }
            catch (OperationCanceledException) { }
            Client.Dispose();
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[2048];
            var any = new IPEndPoint(Local.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                if (!Client.TryHandle(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint))
                    Interlocked.Increment(ref Unclaimed);
            }
        }
    }

    private sealed class Reported(TaskCompletionSource<IPEndPoint> seen) : IProgress<IPEndPoint>
    {
        public void Report(IPEndPoint value) => seen.TrySetResult(value);
    }
}

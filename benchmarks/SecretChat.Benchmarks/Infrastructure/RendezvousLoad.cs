using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using SecretChat.Signaling;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// Pairs of peers meeting at signaling servers, as <c>secretchat p2p</c> meets its peer: each peer a
/// <see cref="RendezvousClient"/> on a fresh loopback UDP socket (so each does the cookie round trip of a new source),
/// both peers of a pair registering the same new room at once, possibly at different nodes. Done when every pair has
/// been introduced; the rooms are left to expire (the server keeps them, as for peers that go on to chat).
/// </summary>
internal static class RendezvousLoad
{
    private static long _rooms;

    /// <summary>Registers <paramref name="pairs"/> pairs; peer i of each pair registers at <c>servers[random]</c>.</summary>
    public static async Task RunAsync(IReadOnlyList<IPEndPoint> servers, int pairs, Random? random = null)
    {
        var members = new Member[pairs * 2];
        try
        {
            var matches = new Task<PeerMatch>[members.Length];
            for (var i = 0; i < members.Length; i += 2)
            {
                var room = $"load-{Environment.ProcessId}-{Interlocked.Increment(ref _rooms)}";
                for (var j = i; j < i + 2; j++)
                {
                    members[j] = new Member(servers[random?.Next(servers.Count) ?? 0]);
                    matches[j] = members[j].Client.RegisterAsync(room, []);
                }
            }

            await Task.WhenAll(matches).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var member in members)
                member?.Dispose();
        }
    }

    /// <summary>A <see cref="RendezvousClient"/> on its own loopback socket with its receive loop.</summary>
    private sealed class Member : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();

        public Member(IPEndPoint server)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Client = new RendezvousClient(async (datagram, to, ct) => await _socket.SendToAsync(datagram, SocketFlags.None, to, ct), server, DefaultScheduler.Instance);
            _ = ReceiveAsync();
        }

        public RendezvousClient Client { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            Client.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[2048];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                    Client.TryHandle(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    if (_stop.IsCancellationRequested)
                        return;
                }
            }
        }
    }
}

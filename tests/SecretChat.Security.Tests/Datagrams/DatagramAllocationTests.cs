using System.Net;
using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport.Reliability;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// What the UDP session allocates per datagram and per message in steady state, measured on one thread over a
/// synchronous in-memory wire (the socket is not in the picture; its receive loop reuses one buffer): sealing and
/// opening allocate nothing, and neither does the whole inbound path from a sealed datagram to the chat's message.
/// </summary>
[Collection(SecretChat.Tests.PooledAllocationCollection.Name)]
public sealed class DatagramAllocationTests
{
    private const int Rounds = 200;
    private static readonly IPEndPoint AddressA = new(IPAddress.Loopback, 1000);
    private static readonly IPEndPoint AddressB = new(IPAddress.Loopback, 2000);

    [Fact]
    public void SendAsyncAndReceive_WarmedNoiseChannels_SealAndOpenAllocateNothing()
    {
        using var pair = new NoisePair();
        var payload = new byte[pair.A.MaxPayloadSize];
        Random.Shared.NextBytes(payload);
        long opened = 0;
        using var reading = pair.B.Payloads.Subscribe(p => opened += p.Length);
        pair.Direct = true;
        for (var i = 0; i < Rounds; i++)
            Assert.True(pair.A.SendAsync(payload).IsCompletedSuccessfully);

        var allocated = AllocatedBy(() =>
        {
            for (var i = 0; i < Rounds; i++)
                Assert.True(pair.A.SendAsync(payload).IsCompletedSuccessfully);
        });

        Assert.Equal(2L * Rounds * payload.Length, opened);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(TransportLimits.MaxMessageSize)]
    public void ReliableDatagramChannel_SteadyInboundMessages_AllocatesNothingFromSealedDatagramToMessage(int size)
    {
        // Not disposed: their linger waits for acknowledgements this wire drops, in a virtual time that never moves.
        // The pair's disposal ends the datagram channels under them.
        using var pair = new NoisePair();
        var scheduler = new TestScheduler();
        // The sender's datagrams are recorded and replayed, never acknowledged: no congestion window, or it would hold
        // all but its first ten packets back.
        var sender = new ReliableDatagramChannel(pair.A, new ReliabilityOptions { SendWindow = 32_768, CongestionControl = false }, scheduler);
        var receiver = new ReliableDatagramChannel(pair.B, new ReliabilityOptions(), scheduler);
        using var senderReading = sender.Messages.Subscribe(_ => { });
        long bytes = 0, count = 0;
        using var reading = receiver.Messages.Subscribe(m =>
        {
            bytes += m.Length;
            count++;
        });
        var message = new byte[size];
        for (var i = 0; i < 2 * Rounds; i++)
            Assert.True(sender.SendAsync(message).IsCompletedSuccessfully); // sealed datagrams queue on the wire
        var datagrams = pair.TakeQueued();
        var half = datagrams.Count / 2;
        foreach (var datagram in datagrams.Take(half))
            pair.B.Receive(AddressA, datagram);

        var allocated = AllocatedBy(() =>
        {
            for (var i = half; i < datagrams.Count; i++)
                pair.B.Receive(AddressA, datagrams[i]);
        });

        Assert.Equal(2L * Rounds, count);
        Assert.Equal(2L * Rounds * size, bytes);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SendWatch_SteadySendsTheSocketCompletesLater_TakesEachResultAndAllocatesNothing()
    {
        var socket = new DeferredSends();
        void Round(Exception? error)
        {
            ReliableDatagramChannel.SendWatch.Watch(socket.Send());
            ReliableDatagramChannel.SendWatch.Watch(socket.Send());
            socket.CompleteAll(error);
        }
        for (var i = 0; i < Rounds; i++)
            Round(i % 7 == 0 ? new System.Net.Sockets.SocketException() : null); // warm-up; a lost datagram is swallowed, not thrown here

        var allocated = AllocatedBy(() =>
        {
            for (var i = 0; i < Rounds; i++)
                Round(null); // (a failed send allocates its exception, in the socket)
        });

        Assert.Equal(0, allocated);
        Assert.Equal(4 * Rounds, socket.ResultsTaken); // each pooled send went back to its owner
    }

    /// <summary>Sends that complete when the test says so, like the socket's pooled state machines, and reused once their result is taken.</summary>
    private sealed class DeferredSends
    {
        private readonly Stack<PendingSend> _free = new();
        private readonly List<PendingSend> _outstanding = [];

        public int ResultsTaken { get; private set; }

        public ValueTask Send()
        {
            var send = _free.TryPop(out var free) ? free : new PendingSend(this);
            _outstanding.Add(send);
            return new ValueTask(send, send.Version);
        }

        public void CompleteAll(Exception? error)
        {
            foreach (var send in _outstanding)
                send.Complete(error);
            _outstanding.Clear();
        }

        private sealed class PendingSend(DeferredSends owner) : System.Threading.Tasks.Sources.IValueTaskSource
        {
            private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<bool> _core;

            public short Version => _core.Version;

            public void Complete(Exception? error)
            {
                if (error is null)
                    _core.SetResult(true);
                else
                    _core.SetException(error);
            }

            public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

            public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
                _core.OnCompleted(continuation, state, token, flags);

            public void GetResult(short token)
            {
                try
                {
                    _core.GetResult(token);
                }
                finally
                {
                    _core.Reset();
                    owner.ResultsTaken++;
                    owner._free.Push(this);
                }
            }
        }
    }

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Two noise channels whose datagrams queue (the handshake is pumped at once) or, when <see cref="Direct"/>, go straight to the peer.</summary>
    private sealed class NoisePair : IDisposable
    {
        private readonly Queue<(bool ToB, byte[] Bytes)> _wire = new();
        private readonly StaticKeyPair[] _keys = [StaticKeyPair.Generate(), StaticKeyPair.Generate()];

        public NoisePair()
        {
            var scheduler = new TestScheduler();
            B = SecureDatagramChannel.Accept(new NoiseSecurity(_keys[1]), (d, _, _) => Carry(toB: false, d.Span), null, scheduler);
            A = SecureDatagramChannel.Connect(new NoiseSecurity(_keys[0]), AddressB, (d, _, _) => Carry(toB: true, d.Span), null, scheduler);
            while (_wire.TryDequeue(out var datagram))
                (datagram.ToB ? B : A).Receive(datagram.ToB ? AddressA : AddressB, datagram.Bytes);
            Assert.True(A.Established.IsCompletedSuccessfully && B.Established.IsCompletedSuccessfully);
        }

        public SecureDatagramChannel A { get; }
        public SecureDatagramChannel B { get; }
        public bool Direct { get; set; }

        /// <summary>The sealed datagrams A sent since the handshake (B's acks are dropped).</summary>
        public List<byte[]> TakeQueued()
        {
            var toB = _wire.Where(d => d.ToB).Select(d => d.Bytes).ToList();
            _wire.Clear();
            return toB;
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
            foreach (var key in _keys)
                key.Dispose();
        }

        private ValueTask Carry(bool toB, ReadOnlySpan<byte> datagram)
        {
            if (Direct)
            {
                if (toB)
                    B.Receive(AddressA, datagram);
                else
                    A.Receive(AddressB, datagram);
            }
            else
            {
                _wire.Enqueue((toB, datagram.ToArray()));
            }
            return ValueTask.CompletedTask;
        }
    }
}

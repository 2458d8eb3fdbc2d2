using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Framing;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Tests;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;

namespace SecretChat.Security.Tests.Vectors;

/// <summary>
/// Our own transcript vector for UDP: every datagram of one protocol-2 noise session over the datagram stack
/// (<see cref="ReliableDatagramChannel"/> over <see cref="SecureDatagramChannel"/>, a lossless simulated link, virtual
/// time), from the first hello to the reliability CLOSE and its acks, with fixed static and ephemeral keys and fixed
/// session ids, compared byte for byte with <c>tests/vectors/transcripts/noise-udp.txt</c>. After an intentional
/// change of the wire, regenerate it with
/// <c>SECRETCHAT_WRITE_VECTORS=1 dotnet test tests/SecretChat.Security.Tests --filter TranscriptVectorTests</c>
/// (the filter matches this class and the TCP one).
/// </summary>
public sealed class UdpTranscriptVectorTests
{
    private const uint InitiatorSessionId = 0x11223344;
    private const uint ResponderSessionId = 0x55667788;
    private const long Time = 1_790_000_000_000; // the envelopes' timestamps, fixed
    private static readonly IPEndPoint InitiatorAddress = new(IPAddress.Parse("192.0.2.1"), 40000);
    private static readonly IPEndPoint ResponderAddress = new(IPAddress.Parse("198.51.100.2"), 3478);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static byte[] Key(byte first) => [.. Enumerable.Range(0, 32).Select(i => (byte)(first + i))];

    [Fact]
    public async Task NoiseOverUdp_FixedKeysAndSessionIds_EveryDatagramMatchesTheStoredTranscript()
    {
        var actual = await RecordAsync();
        var path = TestPaths.Vector("transcripts", "noise-udp.txt");
        if (Environment.GetEnvironmentVariable("SECRETCHAT_WRITE_VECTORS") == "1")
            await File.WriteAllTextAsync(path, actual);

        Assert.Equal(await File.ReadAllTextAsync(path), actual);
    }

    [Fact]
    public async Task NoiseOverUdp_FixedKeysAndSessionIds_RecordsTheSameBytesTwice()
    {
        // The control for the comparison above: the recording itself is deterministic.
        Assert.Equal(await RecordAsync(), await RecordAsync());
    }

    [Fact]
    public async Task NoiseOverUdp_Transcript_HoldsEveryPacketTypeOfANormalSession()
    {
        // The session the file holds must exercise what an implementer has to test: handshake packets both ways,
        // data packets both ways, and (inside the data packets, checked by RecordAsync) two Texts each way with their
        // Acks, Finished from both, Close, and the reliability CLOSE of both directions.
        var lines = (await RecordAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        var types = lines.Select(l => (Direction: l[..4], Type: Convert.FromHexString(l[5..])[0])).ToList();

        Assert.Equal(("I->R", (byte)4), types[0]); // the initiator's hello, with an empty cookie field (no listener asked)
        Assert.Contains(("I->R", (byte)1), types);
        Assert.Contains(("R->I", (byte)1), types);
        Assert.Contains(("I->R", (byte)2), types);
        Assert.Contains(("R->I", (byte)2), types);
        Assert.All(types, t => Assert.True(t.Type is 1 or 2 || t == ("I->R", 4), $"unexpected packet type {t.Type}"));

        // Noise data packets are 13 header bytes + the reliability packet + a 16-byte tag (PROTOCOL.md §6.5, §7.1):
        // each direction sends its reliability CLOSE (9 bytes) once and at least one stand-alone ACK (6 bytes, no ranges).
        var sealedSizes = lines.Where(l => l[5..7] == "02").Select(l => (Direction: l[..4], Plain: (l.Length - 5) / 2 - 29)).ToList();
        foreach (var direction in new[] { "I->R", "R->I" })
        {
            Assert.Single(sealedSizes, s => s.Direction == direction && s.Plain == 9);
            Assert.Contains((direction, 6), sealedSizes);
        }
    }

    [Fact]
    public void SessionIdSeam_IsNotPublic()
    {
        // The seam exists for this vector only: no caller of the library can fix its session ids.
        Assert.Null(typeof(DatagramChannelOptions).GetProperty(nameof(DatagramChannelOptions.SessionIds)));
        Assert.NotNull(typeof(DatagramChannelOptions).GetProperty(
            nameof(DatagramChannelOptions.SessionIds), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic));
    }

    private static async Task<string> RecordAsync()
    {
        using var aliceKey = StaticKeyPair.FromPrivateKey(Key(0x01));
        using var bobKey = StaticKeyPair.FromPrivateKey(Key(0x41));
        var scheduler = new TestScheduler();
        var link = new SimulatedLink(scheduler, new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10) });
        var wire = new List<string>();
        var capabilities = new[] { "text", "ack", "finished", "close-reasons" };
        var aliceOptions = DatagramChannelOptions.Default with
        {
            Greeting = new HandshakeGreeting("alice", capabilities),
            SessionIds = () => InitiatorSessionId,
        };
        var bobOptions = DatagramChannelOptions.Default with
        {
            Greeting = new HandshakeGreeting("bob", capabilities),
            SessionIds = () => ResponderSessionId,
        };
        var aliceDatagrams = SecureDatagramChannel.Connect(new NoiseSecurity(aliceKey, () => Key(0x21)), ResponderAddress,
            (m, _, _) => Send(link.A, "I->R", m), aliceOptions, scheduler);
        var bobDatagrams = SecureDatagramChannel.Accept(new NoiseSecurity(bobKey, () => Key(0x61)),
            (m, _, _) => Send(link.B, "R->I", m), bobOptions, scheduler);
        var alice = new ReliableDatagramChannel(aliceDatagrams, new ReliabilityOptions(), scheduler);
        var bob = new ReliableDatagramChannel(bobDatagrams, new ReliabilityOptions(), scheduler);
        var atAlice = new Inbox();
        var atBob = new Inbox();
        using var aliceMessages = alice.Messages.Subscribe(m => atAlice.Add(m.ToArray()), e => atAlice.Error = e, () => atAlice.Completed = true);
        using var bobMessages = bob.Messages.Subscribe(m => atBob.Add(m.ToArray()), e => atBob.Error = e, () => atBob.Completed = true);
        using var aliceFeed = link.A.Received.Subscribe(p => aliceDatagrams.Receive(ResponderAddress, p.Span));
        using var bobFeed = link.B.Received.Subscribe(p => bobDatagrams.Receive(InitiatorAddress, p.Span));

        RunUntil(scheduler, () => alice.Established.IsCompleted && bob.Established.IsCompleted);
        Assert.True(alice.Established.IsCompletedSuccessfully, alice.Established.Exception?.Message);
        Assert.True(bob.Established.IsCompletedSuccessfully, bob.Established.Exception?.Message);

        // Two Texts each way, each answered by an Ack (PROTOCOL.md §8.4), then Finished from both, Close and the
        // reliability CLOSE of both directions.
        await alice.SendAsync(Envelope(EnvelopeKind.Text, 1, Time, "hello bob"u8));
        await alice.SendAsync(Envelope(EnvelopeKind.Text, 2, Time + 1, "how are you?"u8));
        RunUntil(scheduler, () => atBob.Count == 2);
        await bob.SendAsync(Envelope(EnvelopeKind.Ack, 1, Time + 2, []));
        await bob.SendAsync(Envelope(EnvelopeKind.Ack, 2, Time + 3, []));
        await bob.SendAsync(Envelope(EnvelopeKind.Text, 1, Time + 4, "hi alice"u8));
        await bob.SendAsync(Envelope(EnvelopeKind.Text, 2, Time + 5, "fine, thanks"u8));
        RunUntil(scheduler, () => atAlice.Count == 4);
        await alice.SendAsync(Envelope(EnvelopeKind.Ack, 1, Time + 6, []));
        await alice.SendAsync(Envelope(EnvelopeKind.Ack, 2, Time + 7, []));
        await alice.SendAsync(Envelope(EnvelopeKind.Finished, 0, Time + 8, []));
        RunUntil(scheduler, () => atBob.Count == 5);
        await bob.SendAsync(Envelope(EnvelopeKind.Finished, 0, Time + 9, []));
        RunUntil(scheduler, () => atAlice.Count == 5);
        await alice.SendAsync(Envelope(EnvelopeKind.Close, 0, Time + 10, new CloseBody(CloseReason.Orderly, "bye").Encode()));
        await alice.CompleteAsync();
        RunUntil(scheduler, () => atBob.Count == 6 && atBob.Completed);
        await bob.CompleteAsync();
        RunUntil(scheduler, () => atAlice.Completed);
        // Let the last acks (of both CLOSE markers) cross; nothing else is due for seconds (keepalives after 15 s).
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        // A normal session: nothing was sent twice and no timer but the ack delay fired.
        Assert.Equal(0, alice.Reliability.Retransmissions + bob.Reliability.Retransmissions);
        Assert.Equal(0, alice.Reliability.KeepAlivesSent + bob.Reliability.KeepAlivesSent);
        Assert.Null(atAlice.Error);
        Assert.Null(atBob.Error);
        Assert.Equal([EnvelopeKind.Ack, EnvelopeKind.Ack, EnvelopeKind.Text, EnvelopeKind.Text, EnvelopeKind.Finished], atAlice.Kinds);
        Assert.Equal([EnvelopeKind.Text, EnvelopeKind.Text, EnvelopeKind.Ack, EnvelopeKind.Ack, EnvelopeKind.Finished, EnvelopeKind.Close], atBob.Kinds);

        var text = new StringBuilder();
        text.AppendLine("# Protocol 2, noise over UDP: every datagram (the UDP payload) of one session in the order it was sent, both directions interleaved,");
        text.AppendLine("# on a lossless link with 10 ms delay in virtual time; reliability defaults (acks on the next scheduler turn).");
        text.AppendLine("# initiator static private key " + Hex(Key(0x01)) + ", ephemeral " + Hex(Key(0x21)) + ", session id " + InitiatorSessionId.ToString("x8"));
        text.AppendLine("# responder static private key " + Hex(Key(0x41)) + ", ephemeral " + Hex(Key(0x61)) + ", session id " + ResponderSessionId.ToString("x8"));
        text.AppendLine("# greetings \"alice\" / \"bob\" with capabilities text ack finished close-reasons; envelope timestamps 1790000000000 + 0 to 10");
        text.AppendLine("# envelopes: I Text 1, Text 2; R Ack 1, Ack 2, Text 1, Text 2; I Ack 1, Ack 2, Finished; R Finished; I Close (orderly, \"bye\");");
        text.AppendLine("# then the reliability CLOSE of the initiator, then of the responder, and their acks");
        lock (wire)
        {
            foreach (var line in wire)
                text.AppendLine(line);
        }
        await alice.DisposeAsync();
        await bob.DisposeAsync();
        return text.ToString();

        ValueTask Send(SimulatedEndpoint end, string direction, ReadOnlyMemory<byte> datagram)
        {
            lock (wire)
                wire.Add(direction + " " + Hex(datagram.Span));
            end.Send(datagram);
            return ValueTask.CompletedTask;
        }
    }

    private static void RunUntil(TestScheduler scheduler, Func<bool> done)
    {
        var end = scheduler.Clock + Limit.Ticks;
        while (!done())
        {
            Assert.True(scheduler.Clock < end, "the scripted session did not progress");
            scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
        }
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static byte[] Envelope(EnvelopeKind kind, ulong id, long timestamp, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(kind, id, timestamp), body, bytes);
        return bytes;
    }

    private sealed class Inbox
    {
        private readonly List<byte[]> _messages = [];

        public Exception? Error { get; set; }

        public bool Completed { get; set; }

        public int Count
        {
            get
            {
                lock (_messages)
                    return _messages.Count;
            }
        }

        public EnvelopeKind[] Kinds
        {
            get
            {
                lock (_messages)
                    return [.. _messages.Select(m => (EnvelopeKind)m[0])];
            }
        }

        public void Add(byte[] message)
        {
            lock (_messages)
                _messages.Add(message);
        }
    }
}

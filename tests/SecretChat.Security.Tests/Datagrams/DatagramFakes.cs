using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using SecretChat.Security.Datagrams;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// A scripted handshake of <paramref name="messages"/> messages ("m1", "m2", ...), the first written by
/// <paramref name="firstWriter"/>. The first message also carries a random 8-byte key, so each handshake
/// makes a distinct toy session (packets of an old session fail to open in a new one).
/// </summary>
internal sealed class ScriptedDatagramSecurity(
    SecurityModuleInfo? mode = null,
    int messages = 2,
    HandshakeRole firstWriter = HandshakeRole.Initiator) : ISecurityModule
{
    public SecurityModuleInfo Info { get; } = mode ?? BuiltInModules.Pseudo;

    public List<byte[]> Prologues { get; } = [];

    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
    {
        Prologues.Add(prologue.ToArray());
        return new ScriptedDatagramHandshake(role, Info, messages, firstWriter);
    }
}

internal sealed class ScriptedDatagramHandshake(HandshakeRole role, SecurityModuleInfo mode, int messages, HandshakeRole firstWriter) : IHandshake
{
    private int _done;
    private ulong _key;

    public HandshakeRole Role => role;

    public HandshakeStatus Status =>
        _done == messages ? HandshakeStatus.Complete
        : (_done % 2 == 0) == (role == firstWriter) ? HandshakeStatus.MustWrite
        : HandshakeStatus.MustRead;

    public bool IsFinalWrite => _done + 2 >= messages;

    public void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    /// <summary>"m{n}", the key (first message only), then the payload in the clear.</summary>
    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        var text = System.Text.Encoding.ASCII.GetBytes($"m{_done + 1}");
        output.Write(text);
        if (_done == 0)
        {
            _key = (ulong)Random.Shared.NextInt64();
            BinaryPrimitives.WriteUInt64BigEndian(output.GetSpan(8), _key);
            output.Advance(8);
        }
        output.Write(payload);
        _done++;
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        var text = System.Text.Encoding.ASCII.GetBytes($"m{_done + 1}");
        var fixedLength = text.Length + (_done == 0 ? 8 : 0);
        if (!message.StartsWith(text) || message.Length < fixedLength)
            throw new HandshakeException("The scripted message was wrong.");
        if (_done == 0)
            _key = BinaryPrimitives.ReadUInt64BigEndian(message[text.Length..]);
        _done++;
        return message[fixedLength..].ToArray();
    }

    public SecureSession Split()
    {
        var (send, receive) = role == HandshakeRole.Initiator ? (_key ^ 1, _key ^ 2) : (_key ^ 2, _key ^ 1);
        return new SecureSession(mode, new ToyCipherState(send), new ToyCipherState(receive), BitConverter.GetBytes(_key));
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// A toy AEAD: plaintext in the clear and an 8-byte FNV-1a tag over key, nonce, associated data and
/// plaintext. Any single changed byte changes the tag (each FNV step is a bijection), like a real AEAD.
/// </summary>
internal sealed class ToyCipherState(ulong key) : CipherState
{
    public override int TagSize => 8;

    protected override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        plaintext.CopyTo(destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[plaintext.Length..], Tag(key, nonce, associatedData, plaintext));
    }

    protected override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (ciphertext.Length < TagSize)
            return false;
        var body = ciphertext[..^TagSize];
        if (BinaryPrimitives.ReadUInt64BigEndian(ciphertext[^TagSize..]) != Tag(key, nonce, associatedData, body))
            return false;
        body.CopyTo(destination);
        return true;
    }

    public override void Dispose()
    {
    }

    public static ulong Tag(ulong key, ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        var hash = 14695981039346656037UL;
        Span<byte> prefix = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, key);
        BinaryPrimitives.WriteUInt64BigEndian(prefix[8..], nonce);
        foreach (var part in new[] { prefix.ToArray(), associatedData.ToArray(), plaintext.ToArray() })
        {
            foreach (var b in part)
                hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}

/// <summary>One datagram on the virtual network.</summary>
internal sealed record Wire(IPEndPoint From, IPEndPoint To, byte[] Bytes, long SentAt)
{
    public byte Type => Bytes[0];

    /// <summary>A handshake packet or the initiator's hello (which carries the cookie field).</summary>
    public bool IsHandshake => Type is 1 or 4;
    public bool IsInitiatorHello => Type == 4;
    public bool IsCookie => Type == 5;
    public bool IsData => Type == 2;
    public bool IsReject => Type == 3;
}

/// <summary>
/// A virtual datagram network on a <see cref="TestScheduler"/>: each send is delivered after
/// <see cref="Latency"/> unless <see cref="Drop"/> says otherwise. Every datagram is logged.
/// </summary>
internal sealed class VirtualNetwork(TestScheduler scheduler)
{
    private readonly Dictionary<IPEndPoint, SecureDatagramChannel> _nodes = [];
    private readonly Lock _gate = new(); // senders on several threads (the concurrency tests)

    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(10);

    public Func<Wire, bool> Drop { get; set; } = _ => false;

    public List<Wire> Log { get; } = [];

    public SecretChat.Transport.SendDatagram SendFrom(IPEndPoint from) => (bytes, to, _) =>
    {
        lock (_gate)
        {
            var wire = new Wire(from, to, bytes.ToArray(), scheduler.Clock);
            Log.Add(wire);
            if (!Drop(wire))
                scheduler.Schedule(Latency, () => Deliver(wire.From, wire.To, wire.Bytes));
        }
        return ValueTask.CompletedTask;
    };

    public void Attach(IPEndPoint address, SecureDatagramChannel channel) => _nodes[address] = channel;

    /// <summary>Injects a datagram as if <paramref name="from"/> had sent it (now, no latency).</summary>
    public void Deliver(IPEndPoint from, IPEndPoint to, byte[] bytes)
    {
        if (_nodes.TryGetValue(to, out var node))
            node.Receive(from, bytes);
    }
}

/// <summary>Two channels, an initiator at <see cref="A"/> and a responder at <see cref="B"/>, on one virtual network.</summary>
internal sealed class ChannelPair
{
    public static readonly IPEndPoint A = new(IPAddress.Parse("10.0.0.1"), 1000);
    public static readonly IPEndPoint B = new(IPAddress.Parse("10.0.0.2"), 2000);
    public static readonly IPEndPoint Stranger = new(IPAddress.Parse("10.6.6.6"), 6666);

    public ChannelPair(
        ISecurityModule? initiatorSecurity = null,
        ISecurityModule? responderSecurity = null,
        DatagramChannelOptions? options = null,
        Func<Wire, bool>? drop = null)
    {
        Network = new VirtualNetwork(Scheduler);
        if (drop is not null)
            Network.Drop = drop;
        Responder = SecureDatagramChannel.Accept(responderSecurity ?? new ScriptedDatagramSecurity(), Network.SendFrom(B), options, Scheduler);
        Network.Attach(B, Responder);
        (ResponderPayloads, ResponderSubscription) = Collect(Responder);
        Initiator = SecureDatagramChannel.Connect(initiatorSecurity ?? new ScriptedDatagramSecurity(), B, Network.SendFrom(A), options, Scheduler);
        Network.Attach(A, Initiator);
        (InitiatorPayloads, _) = Collect(Initiator);
    }

    public TestScheduler Scheduler { get; } = new();

    public VirtualNetwork Network { get; }

    public SecureDatagramChannel Initiator { get; }

    public SecureDatagramChannel Responder { get; }

    public Received InitiatorPayloads { get; }

    public Received ResponderPayloads { get; }

    public IDisposable ResponderSubscription { get; }

    public static SecureSession SessionOf(SecureDatagramChannel channel)
    {
        Assert.True(channel.Established.IsCompletedSuccessfully);
        return channel.Established.GetAwaiter().GetResult();
    }

    public void Run(TimeSpan duration) => Scheduler.AdvanceBy(duration.Ticks);

    public void Establish()
    {
        Run(TimeSpan.FromSeconds(1));
        Assert.True(Initiator.Established.IsCompletedSuccessfully, "initiator established");
        Assert.True(Responder.Established.IsCompletedSuccessfully, "responder established");
    }

    /// <summary>Sends from the initiator and returns the data packet that went on the wire.</summary>
    public Wire SendFromInitiator(string text)
    {
        var count = Network.Log.Count;
        Assert.True(Initiator.SendAsync(System.Text.Encoding.UTF8.GetBytes(text)).IsCompletedSuccessfully);
        return Network.Log.Skip(count).Single(w => w.IsData);
    }

    private static (Received, IDisposable) Collect(SecureDatagramChannel channel)
    {
        var received = new Received();
        var subscription = channel.Payloads.Subscribe(
            p => received.Texts.Add(System.Text.Encoding.UTF8.GetString(p.Span)),
            e => received.Error = e,
            () => received.Completed = true);
        return (received, subscription);
    }
}

internal sealed class Received
{
    public List<string> Texts { get; } = [];
    public Exception? Error { get; set; }
    public bool Completed { get; set; }
}

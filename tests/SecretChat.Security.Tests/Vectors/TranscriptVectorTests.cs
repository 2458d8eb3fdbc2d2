using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using SecretChat.Framing;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Tests.Channels;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Vectors;

/// <summary>
/// Our own transcript vector: every frame of one protocol-2 noise session over TCP, from the hellos to the Close, with
/// fixed static and ephemeral keys, compared byte for byte with <c>tests/vectors/transcripts/noise-tcp.txt</c>; and the
/// same session in the post-quantum hybrid (fixed ML-KEM seed and encapsulation randomness too),
/// <c>tests/vectors/transcripts/noise-hybrid-tcp.txt</c>.
/// After an intentional change of the wire, regenerate it with
/// <c>SECRETCHAT_WRITE_VECTORS=1 dotnet test tests/SecretChat.Security.Tests --filter TranscriptVectorTests</c>.
/// </summary>
public sealed class TranscriptVectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static byte[] Key(byte first, int length = 32) => [.. Enumerable.Range(0, length).Select(i => (byte)(first + i))];

    [Fact]
    public async Task NoiseHybridOverTcp_FixedKeys_EveryFrameMatchesTheStoredTranscript()
    {
        var actual = await RecordAsync(hybrid: true);
        var path = TestPaths.Vector("transcripts", "noise-hybrid-tcp.txt");
        if (Environment.GetEnvironmentVariable("SECRETCHAT_WRITE_VECTORS") == "1")
            await File.WriteAllTextAsync(path, actual);

        Assert.Equal(await File.ReadAllTextAsync(path), actual);
    }

    [Fact]
    public async Task NoiseHybridOverTcp_FixedKeys_RecordsTheSameBytesTwice()
    {
        Assert.Equal(await RecordAsync(hybrid: true), await RecordAsync(hybrid: true));
    }

    [Fact]
    public async Task NoiseOverTcp_FixedKeys_EveryFrameMatchesTheStoredTranscript()
    {
        var actual = await RecordAsync();
        var path = TestPaths.Vector("transcripts", "noise-tcp.txt");
        if (Environment.GetEnvironmentVariable("SECRETCHAT_WRITE_VECTORS") == "1")
            await File.WriteAllTextAsync(path, actual);

        Assert.Equal(await File.ReadAllTextAsync(path), actual);
    }

    [Fact]
    public async Task NoiseOverTcp_FixedKeys_RecordsTheSameBytesTwice()
    {
        // The control for the comparison above: the recording itself is deterministic.
        Assert.Equal(await RecordAsync(), await RecordAsync());
    }

    private static async Task<string> RecordAsync(bool hybrid = false)
    {
        using var aliceKey = StaticKeyPair.FromPrivateKey(Key(0x01));
        using var bobKey = StaticKeyPair.FromPrivateKey(Key(0x41));
        var toBob = new List<byte[]>();
        var toAlice = new List<byte[]>();
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create(
            (_, frame) => { lock (toBob) toBob.Add(frame); return [frame]; },
            frame => { lock (toAlice) toAlice.Add(frame); });
        middle.Armed = true;
        await using var _ = middle;
        var capabilities = new[] { "text", "ack", "finished", "close-reasons" };
        // The hybrid's fixed KEM material: the initiator's e1 seed, the responder's encapsulation randomness m.
        var aliceSecurity = hybrid ? new NoiseSecurity(aliceKey, () => Key(0x21), () => (Key(0x81, 64), Key(0x81, 32))) : new NoiseSecurity(aliceKey, () => Key(0x21));
        var bobSecurity = hybrid ? new NoiseSecurity(bobKey, () => Key(0x61), () => (Key(0xC1, 64), Key(0xC1, 32))) : new NoiseSecurity(bobKey, () => Key(0x61));
        await using var alice = new FramedSecureChannel(aliceConnection, aliceSecurity,
            HandshakeRole.Initiator, Timeout, greeting: new HandshakeGreeting("alice", capabilities));
        await using var bob = new FramedSecureChannel(bobConnection, bobSecurity,
            HandshakeRole.Responder, Timeout, greeting: new HandshakeGreeting("bob", capabilities));
        var atBob = bob.Messages.Select(m => System.Buffers.BuffersExtensions.ToArray(m)).Take(2).ToList().ToTask();
        var atAlice = alice.Messages.Select(m => System.Buffers.BuffersExtensions.ToArray(m)).FirstAsync().ToTask();
        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        const long time = 1_790_000_000_000; // the envelopes' timestamps, fixed
        await alice.SendAsync(Envelope(EnvelopeKind.Text, 1, time, "hello bob"u8));
        await bob.SendAsync(Envelope(EnvelopeKind.Ack, 1, time + 1, []));
        await atAlice.WaitAsync(Timeout);
        await alice.SendAsync(Envelope(EnvelopeKind.Close, 0, time + 2, new CloseBody(CloseReason.Orderly, "bye").Encode()));
        await atBob.WaitAsync(Timeout);

        var text = new StringBuilder();
        text.AppendLine(hybrid
            ? "# Protocol 2, noise over TCP in the hybrid Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256: the frame payloads (without their 4-byte length prefix), in order per direction."
            : "# Protocol 2, noise over TCP: the frame payloads (without their 4-byte length prefix), in order per direction.");
        text.AppendLine("# initiator static private key " + Convert.ToHexString(Key(0x01)).ToLowerInvariant() + ", ephemeral " + Convert.ToHexString(Key(0x21)).ToLowerInvariant());
        text.AppendLine("# responder static private key " + Convert.ToHexString(Key(0x41)).ToLowerInvariant() + ", ephemeral " + Convert.ToHexString(Key(0x61)).ToLowerInvariant());
        if (hybrid)
        {
            text.AppendLine("# initiator ML-KEM-768 e1 seed (d || z) " + Convert.ToHexStringLower(Key(0x81, 64)));
            text.AppendLine("# responder ML-KEM-768 encapsulation randomness m " + Convert.ToHexStringLower(Key(0xC1, 32)) + "; both greetings gain pq-mlkem768");
        }
        text.AppendLine("# greetings \"alice\" / \"bob\" with capabilities text ack finished close-reasons; envelope timestamps 1790000000000 + 0, 1, 2");
        lock (toBob)
        {
            foreach (var frame in toBob)
                text.AppendLine("I->R " + Convert.ToHexString(frame).ToLowerInvariant());
        }
        lock (toAlice)
        {
            foreach (var frame in toAlice)
                text.AppendLine("R->I " + Convert.ToHexString(frame).ToLowerInvariant());
        }
        return text.ToString();
    }

    private static byte[] Envelope(EnvelopeKind kind, ulong id, long timestamp, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
        EnvelopeCodec.Encode(new EnvelopeHeader(kind, id, timestamp), body, bytes);
        return bytes;
    }
}

using System.Buffers;

namespace SecretChat.Security.Tests.Noise;

/// <summary>What the noise handshake tests do with messages and the keys they end in.</summary>
internal static class HandshakeMessages
{
    /// <summary>The next message <paramref name="handshake"/> writes, with an empty payload.</summary>
    public static byte[] Write(IHandshake handshake)
    {
        var output = new ArrayBufferWriter<byte>();
        handshake.WriteMessage(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>What <paramref name="sender"/> seals, <paramref name="receiver"/> opens to the same bytes.</summary>
    public static void AssertTransport(CipherState sender, CipherState receiver)
    {
        var plaintext = "hello"u8.ToArray();
        var sealedBytes = new byte[plaintext.Length + sender.TagSize];
        sender.Seal([], plaintext, sealedBytes);
        var opened = new byte[plaintext.Length];
        Assert.True(receiver.TryOpen([], sealedBytes, opened));
        Assert.Equal(plaintext, opened);
    }
}

using SecretChat.Security.Ciphers;

namespace SecretChat.Security.Tests.Ciphers;

public class PlaintextCipherStateTests
{
    [Fact]
    public void PlaintextCipherState_RoundTrip_CopiesBytesUnchangedWithNoTag()
    {
        using var sender = new PlaintextCipherState();
        using var receiver = new PlaintextCipherState();
        var message = "hello"u8.ToArray();
        var sealedBytes = new byte[message.Length];
        var opened = new byte[message.Length];

        sender.Seal(default, message, sealedBytes);
        Assert.True(receiver.TryOpen(default, sealedBytes, opened));

        Assert.Equal(0, sender.TagSize);
        Assert.Equal(message, sealedBytes);
        Assert.Equal(message, opened);
        Assert.Equal(1UL, sender.Nonce);
        Assert.Equal(1UL, receiver.Nonce);
    }
}

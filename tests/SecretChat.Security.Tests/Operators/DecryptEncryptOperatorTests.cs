using System.Buffers;
using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Tests;
using SecretChat.Security;

namespace SecretChat.Security.Tests.Operators;

public class DecryptEncryptOperatorTests : ReactiveTest
{
    private readonly TestScheduler _scheduler = new();

    [Fact]
    public void Decrypt_ArgumentChecking()
    {
        Assert.Equal("frames", Assert.Throws<ArgumentNullException>(() => SecureObservable.Decrypt(null!, new ChecksumCipherState())).ParamName);
        Assert.Equal("receiver", Assert.Throws<ArgumentNullException>(() => Observable.Never<ReadOnlySequence<byte>>().Decrypt(null!)).ParamName);
    }

    [Fact]
    public void Encrypt_ArgumentChecking()
    {
        Assert.Equal("plaintexts", Assert.Throws<ArgumentNullException>(() => SecureObservable.Encrypt(null!, new ChecksumCipherState())).ParamName);
        Assert.Equal("sender", Assert.Throws<ArgumentNullException>(() => Observable.Never<ReadOnlyMemory<byte>>().Encrypt(null!)).ParamName);
    }

    [Fact]
    public void EncryptThenDecrypt_RoundTripsInOrder_IncludingEmptyAndMultiSegmentFrames()
    {
        var sealedFrames = Seal("one", "", "three");
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, new ReadOnlySequence<byte>(sealedFrames[0])),
            OnNext(220, new ReadOnlySequence<byte>(sealedFrames[1])),
            OnNext(230, TestSequences.OneBytePerSegment(sealedFrames[2])),
            OnCompleted<ReadOnlySequence<byte>>(240));

        var result = _scheduler.Start(() => frames.Decrypt(new ChecksumCipherState()).Select(p => Encoding.UTF8.GetString(p)));

        result.Messages.AssertEqual(OnNext(210, "one"), OnNext(220, ""), OnNext(230, "three"), OnCompleted<string>(240));
    }

    [Theory]
    [InlineData("tampered")]
    [InlineData("replayed")]
    [InlineData("reordered")]
    [InlineData("truncated")]
    public void Decrypt_BadFrame_FailsWithAuthenticationFailed_AndOpensNothingAfterIt(string fault)
    {
        var s = Seal("one", "two", "three");
        ReadOnlySequence<byte> bad = fault switch
        {
            "tampered" => new(Flip(s[1])),
            "replayed" => new(s[0]),
            "reordered" => new(s[2]),
            _ => new(Array.Empty<byte>()),
        };
        var frames = _scheduler.CreateHotObservable(
            OnNext(210, new ReadOnlySequence<byte>(s[0])),
            OnNext(220, bad),
            OnNext(230, new ReadOnlySequence<byte>(s[1])));

        var result = _scheduler.Start(() => frames.Decrypt(new ChecksumCipherState()).Select(p => Encoding.UTF8.GetString(p)));

        Assert.Equal(2, result.Messages.Count);
        Assert.Equal("one", result.Messages[0].Value.Value);
        Assert.IsType<AuthenticationFailedException>(result.Messages[1].Value.Exception);
        Assert.Equal(220, result.Messages[1].Time);
        Assert.Equal(220, frames.Subscriptions.Single().Unsubscribe);
    }

    [Fact]
    public void Encrypt_UsesConsecutiveNonces()
    {
        var sender = new ChecksumCipherState();
        var plaintexts = _scheduler.CreateHotObservable(
            OnNext(210, (ReadOnlyMemory<byte>)"a"u8.ToArray()),
            OnNext(220, (ReadOnlyMemory<byte>)"b"u8.ToArray()));

        var result = _scheduler.Start(() => plaintexts.Encrypt(sender).Select(m => m.ToArray()));

        Assert.Equal(2UL, sender.Nonce);
        var receiver = new ChecksumCipherState();
        var buffer = new byte[1];
        Assert.True(receiver.TryOpen(default, result.Messages[0].Value.Value, buffer));
        Assert.True(receiver.TryOpen(default, result.Messages[1].Value.Value, buffer));
    }

    private static byte[][] Seal(params string[] texts)
    {
        var sender = new ChecksumCipherState();
        return texts.Select(t =>
        {
            var plaintext = Encoding.UTF8.GetBytes(t);
            var output = new byte[plaintext.Length + sender.TagSize];
            sender.Seal(default, plaintext, output);
            return output;
        }).ToArray();
    }

    private static byte[] Flip(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        copy[0] ^= 0x01;
        return copy;
    }
}

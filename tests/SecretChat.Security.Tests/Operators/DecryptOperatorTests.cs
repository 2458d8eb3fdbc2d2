using System.Buffers;
using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Tests;
using SecretChat.Security;

namespace SecretChat.Security.Tests.Operators;

public class DecryptOperatorTests : ReactiveTest
{
    private readonly TestScheduler _scheduler = new();

    [Fact]
    public void Decrypt_ArgumentChecking()
    {
        Assert.Equal("frames", Assert.Throws<ArgumentNullException>(() => SecureObservable.Decrypt(null!, new ChecksumCipherState())).ParamName);
        Assert.Equal("receiver", Assert.Throws<ArgumentNullException>(() => Observable.Never<ReadOnlySequence<byte>>().Decrypt(null!)).ParamName);
    }

    [Fact]
    public void Decrypt_SealedFrames_OpensInOrderIncludingEmptyAndMultiSegmentFrames()
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

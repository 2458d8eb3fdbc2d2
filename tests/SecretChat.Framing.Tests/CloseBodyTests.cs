using System.Text;

namespace SecretChat.Framing.Tests;

public sealed class CloseBodyTests
{
    [Theory]
    [InlineData(CloseReason.Orderly, "", "00")]
    [InlineData(CloseReason.NotTrusted, "key changed", "02" + "6b6579206368616e676564")]
    [InlineData(CloseReason.GoingAway, "", "05")]
    public void Encode_IsTheReasonByteThenTheText(CloseReason reason, string text, string hex)
    {
        var bytes = new CloseBody(reason, text).Encode();
        Assert.Equal(hex, Convert.ToHexString(bytes).ToLowerInvariant());
        Assert.Equal(new CloseBody(reason, text), CloseBody.Decode(bytes));
    }

    [Fact]
    public void Decode_EmptyBody_IsAnOrderlyCloseWithoutText()
    {
        var body = CloseBody.Decode([]);
        Assert.Equal(CloseReason.Orderly, body.Reason);
        Assert.Equal("", body.Text);
        Assert.True(body.IsClean);
    }

    [Fact]
    public void Decode_UnknownReason_IsKeptAndIsNotClean()
    {
        var body = CloseBody.Decode([200, (byte)'x']);
        Assert.Equal((CloseReason)200, body.Reason);
        Assert.Equal("x", body.Text);
        Assert.False(body.IsClean);
    }

    [Fact]
    public void Decode_TextNotUtf8_Throws()
    {
        Assert.Throws<InvalidDataException>(() => CloseBody.Decode([3, 0xC3, 0x28]));
    }

    [Fact]
    public void Encode_LongText_IsCutAtACharacterBoundaryWithinTheLimit()
    {
        var text = string.Concat(Enumerable.Repeat("é😀", 100)); // 2 + 4 bytes each
        var bytes = new CloseBody(CloseReason.ProtocolError, text).Encode();
        Assert.True(bytes.Length - 1 <= CloseBody.MaxTextBytes);
        var decoded = CloseBody.Decode(bytes).Text;
        Assert.StartsWith(decoded, text);
        Assert.True(Encoding.UTF8.GetByteCount(decoded) > CloseBody.MaxTextBytes - 4);
    }
}

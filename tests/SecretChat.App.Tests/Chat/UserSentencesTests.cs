using SecretChat.Chat;
using SecretChat.Framing;
using SecretChat.Security;

namespace SecretChat.App.Tests.Chat;

/// <summary>The sentences users see, made from lower layers' words in one place: each kind of failure has one wording.</summary>
public class UserSentencesTests
{
    public static TheoryData<Exception, string> Failures => new()
    {
        { new HandshakeException("The peer did not complete the handshake within 10 s."), "The peer did not complete the handshake within 10 s." },
        { new AuthenticationFailedException(), new AuthenticationFailedException().Message },
        { new TimeoutException("Nothing came back within 10 s."), "Nothing came back within 10 s." },
        { new InvalidDataException("a message was not valid UTF-8 text"), "The peer sent invalid data: a message was not valid UTF-8 text" },
        { new MalformedFrameException("the peer announced a frame of 99999999 bytes"), "The peer sent invalid data: the peer announced a frame of 99999999 bytes" },
        { new IOException("Connection reset by peer"), "The connection was lost: Connection reset by peer" },
        { new InvalidOperationException("boom"), "The session failed: boom" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void SessionFailed_EachKindOfFailure_HasItsSentence(Exception error, string sentence) =>
        Assert.Equal(sentence, UserSentences.SessionFailed(error));

    [Theory]
    [InlineData("the signaling server did not answer", "The signaling server did not answer.")]
    [InlineData("already a sentence.", "Already a sentence.")]
    [InlineData("", "")]
    public void FromClause_LowerLayersClause_BecomesOneSentence(string clause, string sentence)
    {
        Assert.Equal(sentence, UserSentences.FromClause(clause));
        Assert.Equal(sentence, ChatFailedException.Sentence(clause));
    }

    [Fact]
    public void CommandFailed_ChatFailureOrAnythingElse_SaysItOrCallsItUnexpected()
    {
        Assert.Equal("The peer refused.", UserSentences.CommandFailed(new ChatFailedException("The peer refused.")));
        Assert.Equal("secretchat: unexpected error: boom", UserSentences.CommandFailed(new InvalidOperationException("boom")));
    }

    [Fact]
    public void PeerClosed_WithAndWithoutAReason_SaysWhatThePeerSaid()
    {
        Assert.Equal("The peer closed the session (bye).", UserSentences.PeerClosed("bye"));
        Assert.Equal("The peer closed the session.", UserSentences.PeerClosed(""));
    }
}

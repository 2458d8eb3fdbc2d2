using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;
using SecretChat.Security.Ciphers;

namespace SecretChat.App.Tests.Composition;

/// <summary>p2p asks the verifier about each candidate's peer before choosing a path; the chat's own check must get the same answer.</summary>
public class AdmittedPeersTests
{
    private static SecureSession Session(string peerName) => new(
        BuiltInModules.Pseudo, new PlaintextCipherState(), new PlaintextCipherState(), new byte[32],
        peerGreeting: new HandshakeGreeting(peerName, []));

    /// <summary>A verifier whose every answer is new (as a pin's first sight differs from its second), counting the questions.</summary>
    private sealed class CountingVerifier(Func<string, PeerDecision> decide) : IPeerVerifier
    {
        public int Asked { get; private set; }

        public PeerDecision Check(string peerName, SecureSession session)
        {
            Asked++;
            return decide(peerName) with { Explanation = $"{decide(peerName).Explanation} #{Asked}" };
        }
    }

    [Fact]
    public void Check_SameSessionAfterAdmission_GetsTheFirstDecisionWithoutAskingAgain()
    {
        var verifier = new CountingVerifier(_ => PeerDecision.Accept(notice: "NEW contact"));
        var peers = new AdmittedPeers(verifier);
        var session = Session("bob");

        Assert.Null(peers.Admit(session));
        var chatCheck = peers.Check("bob", session);

        Assert.Equal(1, verifier.Asked);
        Assert.Equal("NEW contact #1", chatCheck.Explanation); // the notice the first check made, not a second look
        Assert.True(chatCheck.Accepted);
    }

    [Fact]
    public void Check_AnotherSessionOrName_AsksTheVerifier()
    {
        var verifier = new CountingVerifier(_ => PeerDecision.Accept());
        var peers = new AdmittedPeers(verifier);
        var session = Session("bob");

        peers.Admit(session);
        peers.Check("bobby", session);
        peers.Check("bob", Session("bob"));

        Assert.Equal(3, verifier.Asked);
    }

    [Fact]
    public void Admit_Refused_ReturnsTheVerifiersSentence()
    {
        var peers = new AdmittedPeers(new CountingVerifier(name => PeerDecision.Refuse($"REFUSED: '{name}' has another key.")));

        Assert.Equal("REFUSED: 'mallory' has another key. #1", peers.Admit(Session("mallory")));
    }
}

using System.Net;
using SecretChat.Security.Ciphers;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Channels;

/// <summary>
/// The session says which protocol its handshake ran (<see cref="SecureSession.ProtocolName"/>), end to end over real
/// loopback channels: noise's AESGCM suite where both sides accelerate AES, its ChaChaPoly fallback otherwise (forced
/// the way NoiseCipherChoiceTests forces it), and rsa's and pseudo's own names. The name is the
/// one the keys really use: both sides report it, and their cipher states are of that cipher.
/// </summary>
public sealed class NegotiatedProtocolTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    /// <summary>Initiator accelerates AES, responder does, the initiator is post-quantum, over UDP; what both report.</summary>
    public static TheoryData<bool, bool, bool, bool, string> NoiseCases()
    {
        var cases = new TheoryData<bool, bool, bool, bool, string>();
        foreach (var udp in new[] { false, true })
        {
            cases.Add(true, true, false, udp, "Noise_XX_25519_AESGCM_SHA256");
            cases.Add(true, false, false, udp, "Noise_XX_25519_ChaChaPoly_SHA256");
            cases.Add(false, true, false, udp, "Noise_XX_25519_ChaChaPoly_SHA256");
            cases.Add(true, true, true, udp, "Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256");
            cases.Add(true, false, true, udp, "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256");
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(NoiseCases))]
    public async Task Noise_EitherCipherNegotiated_BothSessionsReportTheProtocolTheirKeysRun(
        bool initiatorAes, bool responderAes, bool postQuantum, bool udp, string expected)
    {
        var initiator = new NoiseSecurity(_alice, postQuantum) { AesGcm = initiatorAes };
        var responder = new NoiseSecurity(_bob) { AesGcm = responderAes };

        var (a, b) = await EstablishAsync(initiator, responder, udp);

        Assert.Equal(expected, a.ProtocolName);
        Assert.Equal(expected, b.ProtocolName);
        Assert.Equal(postQuantum, a.IsPostQuantum);
        var cipher = expected.Contains("_AESGCM_", StringComparison.Ordinal) ? typeof(AesGcmCipherState) : typeof(ChaChaPolyCipherState);
        Assert.All(new[] { a.Sender, a.Receiver, b.Sender, b.Receiver }, state => Assert.IsType(cipher, state));
    }

    [Theory]
    [InlineData("rsa", false, RsaSecurity.ProtocolName)]
    [InlineData("rsa", true, RsaSecurity.ProtocolName)]
    [InlineData("pseudo", false, PseudoSecurity.ProtocolName)]
    [InlineData("pseudo", true, PseudoSecurity.ProtocolName)]
    public async Task OtherModules_Established_ReportTheirOwnProtocol(string mode, bool udp, string expected)
    {
        using var pool = new RsaKeyPool();
        ISecurityModule Module() => mode == "rsa" ? new RsaSecurity(pool) : new PseudoSecurity();

        var (a, b) = await EstablishAsync(Module(), Module(), udp);

        Assert.Equal(expected, a.ProtocolName);
        Assert.Equal(expected, b.ProtocolName);
        if (mode == "rsa")
            Assert.All(new[] { a.Sender, a.Receiver, b.Sender, b.Receiver }, state => Assert.IsType<AesGcmCipherState>(state));
        else
            Assert.All(new[] { a.Sender, a.Receiver, b.Sender, b.Receiver }, state => Assert.IsType<PlaintextCipherState>(state));
    }

    [Fact]
    public void SecureSession_ModuleThatDoesNotSay_ReportsTheModuleIdentifier()
    {
        var module = new SecurityModuleInfo("custom-mode", "A custom mode", SecurityCapabilities.Confidential);
        using var session = new SecureSession(module, new PlaintextCipherState(), new PlaintextCipherState(), default);

        Assert.Equal("custom-mode", session.ProtocolName);
    }

    /// <summary>One handshake between the two modules on loopback, over TCP frames or the UDP listener; both sessions.</summary>
    private static async Task<(SecureSession Initiator, SecureSession Responder)> EstablishAsync(
        ISecurityModule initiator, ISecurityModule responder, bool udp)
    {
        if (udp)
        {
            await using var listener = UdpSecureListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), responder);
            await using var peer = UdpSecureChannel.Connect(initiator, listener.LocalEndPoint);
            await using var accepted = await listener.AcceptAsync().WaitAsync(Timeout);
            return (await peer.Established.WaitAsync(Timeout), await accepted.Established.WaitAsync(Timeout));
        }

        await using var frames = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = frames.AcceptAsync().AsTask();
        var left = await TcpTransport.ConnectAsync("127.0.0.1", frames.LocalEndPoint.Port).WaitAsync(Timeout);
        var right = await accepting.WaitAsync(Timeout);
        await using var alice = new FramedSecureChannel(left, initiator, HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(right, responder, HandshakeRole.Responder, Timeout);
        using var aliceReads = alice.Messages.Subscribe(_ => { }, _ => { });
        using var bobReads = bob.Messages.Subscribe(_ => { }, _ => { });
        return (await alice.Established.WaitAsync(Timeout), await bob.Established.WaitAsync(Timeout));
    }
}

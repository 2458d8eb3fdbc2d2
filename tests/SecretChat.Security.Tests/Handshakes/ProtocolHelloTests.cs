namespace SecretChat.Security.Tests.Handshakes;

public sealed class ProtocolHelloTests
{
    private static ProtocolHello Hello(string module, HandshakeRole role, params byte[] versions) =>
        new(versions.Length == 0 ? ProtocolHello.SupportedVersions : versions, module, role);

    [Fact]
    public void Local_NoiseInitiator_IsTheDocumentedBytes()
    {
        // "SCHT", format 2, role 1, one version (2), id length 5, "noise": docs/PROTOCOL.md §3.
        var hello = ProtocolHello.Local(new SecretChat.Security.Pseudo.PseudoSecurity(), HandshakeRole.Initiator);
        Assert.Equal("53434854" + "02" + "01" + "01" + "02" + "06" + "70736575646f", Convert.ToHexString(hello.ToArray()).ToLowerInvariant());
        Assert.Equal("53434854020101020" + "56e6f697365", Convert.ToHexString(Hello("noise", HandshakeRole.Initiator).ToArray()).ToLowerInvariant());
    }

    [Theory]
    [InlineData("noise", HandshakeRole.Initiator)]
    [InlineData("rsa", HandshakeRole.Responder)]
    [InlineData("my-module.v2_x", HandshakeRole.Initiator)]
    public void Parse_WhatWasWritten_RoundTrips(string module, HandshakeRole role)
    {
        var hello = Hello(module, role, 2, 3, 9);
        var parsed = ProtocolHello.Parse(hello.ToArray());
        Assert.Equal([2, 3, 9], parsed.Versions);
        Assert.Equal(module, parsed.ModuleId);
        Assert.Equal(role, parsed.Role);
        Assert.False(parsed.IsLegacy);
        Assert.Equal(hello.ToArray(), parsed.ToArray());
    }

    [Fact]
    public void Parse_BytesAfterTheModuleId_AreKeptAndOtherwiseIgnored()
    {
        byte[] bytes = [.. Hello("noise", HandshakeRole.Responder).ToArray(), 0xAA, 0xBB];
        var parsed = ProtocolHello.Parse(bytes);
        Assert.Equal("noise", parsed.ModuleId);
        Assert.Equal(bytes, parsed.ToArray()); // the prologue and the echo cover them
    }

    [Fact]
    public void Parse_VersionOneHello_IsRecognisedAsLegacy()
    {
        var parsed = ProtocolHello.Parse(Convert.FromHexString("53434854" + "01" + "02" + "01"));
        Assert.True(parsed.IsLegacy);
        Assert.Equal([1], parsed.Versions);
        Assert.Equal("noise", parsed.ModuleId);
        Assert.Equal(HandshakeRole.Initiator, parsed.Role);
    }

    [Theory]
    [InlineData("", "does not speak the SecretChat protocol")]
    [InlineData("534348", "does not speak the SecretChat protocol")]
    [InlineData("474554202f20485454502f312e31", "does not speak the SecretChat protocol")]
    [InlineData("53434854" + "07" + "01" + "01" + "02", "a layout this side does not know (format 7)")]
    [InlineData("53434854" + "02" + "01" + "00" + "05", "version list")]
    [InlineData("53434854" + "02" + "01" + "02" + "0302" + "05" + "6e6f697365", "ascending")]
    [InlineData("53434854" + "02" + "01" + "01" + "02" + "00", "module id")]
    [InlineData("53434854" + "02" + "01" + "01" + "02" + "06" + "6e6f697365", "module id")]
    [InlineData("53434854" + "02" + "01" + "01" + "02" + "05" + "4e6f697365", "module id has characters")]
    public void Parse_Malformed_FailsWithTheReason(string hex, string reason)
    {
        var e = Assert.Throws<HandshakeException>(() => ProtocolHello.Parse(Convert.FromHexString(hex)));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Parse_LongerThanTheLimit_Fails()
    {
        byte[] bytes = [.. Hello("noise", HandshakeRole.Responder).ToArray(), .. new byte[ProtocolHello.MaxSize]];
        Assert.Throws<HandshakeException>(() => ProtocolHello.Parse(bytes));
    }

    [Fact]
    public void Constructor_ArgumentChecking()
    {
        Assert.Equal("versions", Assert.Throws<ArgumentException>(() => new ProtocolHello([], "noise", HandshakeRole.Initiator)).ParamName);
        Assert.Equal("versions", Assert.Throws<ArgumentException>(() => new ProtocolHello([3, 2], "noise", HandshakeRole.Initiator)).ParamName);
        Assert.Equal("moduleId", Assert.Throws<ArgumentException>(() => new ProtocolHello([2], "Noise", HandshakeRole.Initiator)).ParamName);
        Assert.Equal("moduleId", Assert.Throws<ArgumentException>(() => new ProtocolHello([2], new string('a', 33), HandshakeRole.Initiator)).ParamName);
        Assert.Equal("role", Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolHello([2], "noise", (HandshakeRole)3)).ParamName);
    }

    [Fact]
    public void Negotiate_SeveralVersionsInCommon_PicksTheHighest()
    {
        var local = Hello("noise", HandshakeRole.Initiator, 2, 3, 5);
        var peer = Hello("noise", HandshakeRole.Responder, 1, 3, 5, 7);
        Assert.Equal(5, local.Negotiate(peer));
        Assert.Equal(5, peer.Negotiate(local));
    }

    [Fact]
    public void Negotiate_NoVersionInCommon_BothSidesNameBothSidesVersions()
    {
        var local = Hello("noise", HandshakeRole.Initiator, 2);
        var peer = Hello("noise", HandshakeRole.Responder, 3, 4);

        Assert.Equal(
            "The peer speaks SecretChat protocol version 3 and 4 and this side speaks version 2: there is no version in common, so one side must be updated.",
            Assert.Throws<HandshakeException>(() => local.Negotiate(peer)).Message);
        Assert.Equal(
            "The peer speaks SecretChat protocol version 2 and this side speaks version 3 and 4: there is no version in common, so one side must be updated.",
            Assert.Throws<HandshakeException>(() => peer.Negotiate(local)).Message);
    }

    [Fact]
    public void Negotiate_VersionOnePeer_IsRefusedNamingBothVersions()
    {
        var legacy = ProtocolHello.Parse(Convert.FromHexString("53434854" + "01" + "02" + "01"));
        var e = Assert.Throws<HandshakeException>(() => Hello("noise", HandshakeRole.Responder).Negotiate(legacy));
        Assert.Equal(
            "The peer speaks SecretChat protocol version 1 and this side speaks version 2: there is no version in common, so one side must be updated.",
            e.Message);
    }

    [Fact]
    public void LegacyRefusal_IsAVersionOneHelloNamingVersionTwo()
    {
        // A version-1 peer parses seven bytes and refuses "version 2" with its own sentence.
        Assert.Equal("53434854" + "02" + "02" + "02", Convert.ToHexString(Hello("noise", HandshakeRole.Responder).LegacyRefusal()));
        Assert.Equal("53434854" + "02" + "FF" + "02", Convert.ToHexString(Hello("custom", HandshakeRole.Responder).LegacyRefusal()));
    }

    [Theory]
    [InlineData("noise", "rsa", "The peer uses rsa encryption but this side uses noise; both sides must choose the same security module.")]
    [InlineData("my-module", "noise", "The peer uses noise encryption but this side uses my-module; both sides must choose the same security module.")]
    public void Negotiate_OtherModule_FailsNamingBothModules(string local, string peer, string expected)
    {
        var e = Assert.Throws<HandshakeException>(() => Hello(local, HandshakeRole.Initiator).Negotiate(Hello(peer, HandshakeRole.Responder)));
        Assert.Equal(expected, e.Message);
    }

    [Theory]
    [InlineData(HandshakeRole.Initiator, "Both sides tried to start the handshake (both are initiators).")]
    [InlineData(HandshakeRole.Responder, "Both sides waited for the other to start the handshake (both are responders).")]
    public void Negotiate_SameRole_FailsWithTheReason(HandshakeRole role, string expected)
    {
        var e = Assert.Throws<HandshakeException>(() => Hello("noise", role).Negotiate(Hello("noise", role)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Negotiate_UnknownRole_Fails()
    {
        var bytes = Hello("noise", HandshakeRole.Responder).ToArray();
        bytes[5] = 9;
        var e = Assert.Throws<HandshakeException>(() => Hello("noise", HandshakeRole.Initiator).Negotiate(ProtocolHello.Parse(bytes)));
        Assert.Contains("no known handshake role (9)", e.Message);
    }

    [Fact]
    public void Prologue_IsTheLabelTheLengthAndTheInitiatorsHello()
    {
        var initiator = Hello("noise", HandshakeRole.Initiator);
        var expected = Convert.FromHexString("536563726574436861742070726f6c6f67756520763" + "2" + "0e" + "53434854020101020" + "56e6f697365");
        Assert.Equal(expected, ProtocolHello.Prologue(initiator));
    }
}

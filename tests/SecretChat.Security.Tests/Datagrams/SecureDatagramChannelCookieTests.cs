using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Framing.Packets;
using SecretChat.Security.Datagrams;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>The initiator's side of return routability (PROTOCOL.md §6.7), in virtual time with a recording send.</summary>
public class SecureDatagramChannelCookieTests
{
    private static readonly IPEndPoint Listener = new(IPAddress.Parse("10.0.0.2"), 2000);
    private static readonly AddressCookie Cookie = new(0x0102030405060708, 0x090A0B0C0D0E0F10);

    private sealed class Initiator
    {
        public Initiator()
        {
            // A noise-like script: the initiator's flight is its hello and message 1.
            Channel = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(messages: 3), Listener, (datagram, to, _) =>
            {
                Sent.Add((datagram.ToArray(), to));
                return ValueTask.CompletedTask;
            }, null, Scheduler);
        }

        public TestScheduler Scheduler { get; } = new();
        public List<(byte[] Bytes, IPEndPoint To)> Sent { get; } = [];
        public SecureDatagramChannel Channel { get; }

        public void CookieFrom(IPEndPoint from, uint sessionId, AddressCookie cookie)
        {
            var packet = new byte[PacketCodec.CookiePacketSize];
            PacketCodec.WriteHeader(PacketHeader.Cookie(sessionId), packet);
            cookie.Write(packet.AsSpan(PacketCodec.CookieHeaderSize));
            Channel.Receive(from, packet);
        }

        public List<byte[]> Hellos => [.. Sent.Where(s => s.Bytes[0] == (byte)PacketType.InitiatorHello).Select(s => s.Bytes)];
    }

    private static AddressCookie CookieIn(byte[] hello) => AddressCookie.Read(hello.AsSpan(PacketCodec.InitiatorHelloHeaderSize));

    [Fact]
    public void FirstHello_CarriesAnEmptyCookieField_AndIsLargerThanACookiePacket()
    {
        var initiator = new Initiator();

        var hello = Assert.Single(initiator.Hellos);
        Assert.True(CookieIn(hello).IsNone);
        Assert.True(hello.Length > PacketCodec.CookiePacketSize);
        Assert.Equal(PacketHeader.InitiatorHello(initiator.Channel.LocalSessionId), PacketCodec.Decode(hello, out _));
    }

    [Fact]
    public void CookieFromTheListener_FlightResentAtOnceWithTheCookie()
    {
        var initiator = new Initiator();
        initiator.Sent.Clear();

        initiator.CookieFrom(Listener, initiator.Channel.LocalSessionId, Cookie);

        // The whole flight again, now: the hello with the cookie, and message 1.
        Assert.Equal(2, initiator.Sent.Count);
        Assert.Equal(Cookie, CookieIn(Assert.Single(initiator.Hellos)));
        Assert.Equal((byte)PacketType.Handshake, initiator.Sent[1].Bytes[0]);
        Assert.All(initiator.Sent, s => Assert.Equal(Listener, s.To));
        Assert.Equal(Cookie, initiator.Channel.Cookie);

        // And every retransmission after it carries the cookie too.
        initiator.Sent.Clear();
        initiator.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(250).Ticks);
        Assert.Equal(Cookie, CookieIn(Assert.Single(initiator.Hellos)));
    }

    [Fact]
    public void CookieFlood_ResendsAtMostOncePerHalfRetransmitInterval()
    {
        var initiator = new Initiator();
        initiator.Sent.Clear();

        for (ulong i = 1; i <= 100; i++)
            initiator.CookieFrom(Listener, initiator.Channel.LocalSessionId, new AddressCookie(i, i));

        Assert.Equal(2, initiator.Sent.Count); // one flight
        Assert.Equal(new AddressCookie(100, 100), initiator.Channel.Cookie); // the newest is kept for the next retransmission
        initiator.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(125).Ticks);
        initiator.CookieFrom(Listener, initiator.Channel.LocalSessionId, new AddressCookie(101, 101));
        Assert.Equal(4, initiator.Sent.Count);
    }

    [Fact]
    public void CookieFromAStrangerOrForAnotherSessionOrEmpty_Dropped()
    {
        var initiator = new Initiator();
        initiator.Sent.Clear();

        initiator.CookieFrom(new IPEndPoint(IPAddress.Parse("10.6.6.6"), 2000), initiator.Channel.LocalSessionId, Cookie);
        initiator.CookieFrom(Listener, initiator.Channel.LocalSessionId + 1, Cookie);
        initiator.CookieFrom(Listener, initiator.Channel.LocalSessionId, default);

        Assert.Empty(initiator.Sent);
        Assert.True(initiator.Channel.Cookie.IsNone);
        var statistics = initiator.Channel.Statistics;
        Assert.Equal(1, statistics.Dropped(DatagramDropReason.Stranger));
        Assert.Equal(1, statistics.Dropped(DatagramDropReason.UnknownSession));
        Assert.Equal(1, statistics.Dropped(DatagramDropReason.Malformed));
    }

    [Fact]
    public void CookieToAResponder_Dropped()
    {
        var sent = 0;
        using var responder = SecureDatagramChannel.Accept(new ScriptedDatagramSecurity(), (_, _, _) =>
        {
            sent++;
            return ValueTask.CompletedTask;
        }, null, new TestScheduler());
        var packet = new byte[PacketCodec.CookiePacketSize];
        PacketCodec.WriteHeader(PacketHeader.Cookie(1), packet);
        Cookie.Write(packet.AsSpan(PacketCodec.CookieHeaderSize));

        responder.Receive(Listener, packet);

        Assert.Equal(0, sent);
        Assert.Equal(1, responder.Statistics.Dropped(DatagramDropReason.Unexpected));
    }

    [Fact]
    public void InitiatorHelloWithAnyCookie_AcceptedByAResponderThatIsNotAListener()
    {
        // A p2p responder ignores the field: the same session establishes whatever the initiator carries.
        var pair = new ChannelPair(new ScriptedDatagramSecurity(), new ScriptedDatagramSecurity());
        var packet = new byte[PacketCodec.CookiePacketSize];
        PacketCodec.WriteHeader(PacketHeader.Cookie(pair.Initiator.LocalSessionId), packet);
        Cookie.Write(packet.AsSpan(PacketCodec.CookieHeaderSize));
        pair.Initiator.Receive(ChannelPair.B, packet);

        pair.Establish();

        Assert.True(pair.Responder.Established.IsCompletedSuccessfully);
        Assert.Equal(Cookie, pair.Initiator.Cookie);
    }
}

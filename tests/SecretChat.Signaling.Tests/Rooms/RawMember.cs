using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SecretChat.Security;

namespace SecretChat.Signaling.Tests.Rooms;

/// <summary>
/// A client played by hand over a real UDP socket on 127.0.0.1: it sends encoded packets to whichever node the test
/// names and hands back every signaling packet it receives, with the node it came from. Cheap enough for thousands.
/// </summary>
internal sealed class RawMember : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Channel<(IPEndPoint From, SignalingPacket Packet)> _received = Channel.CreateUnbounded<(IPEndPoint, SignalingPacket)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<(IPEndPoint, string)> _seen = [];
    private readonly Task _loop;

    /// <param name="id">The peer id it registers with (a fresh one by default; another member's, to play a thief).</param>
    public RawMember(PeerId? id = null)
    {
        Id = id ?? PeerId.New();
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public PeerId Id { get; }

    /// <summary>The token the last Registered or PeerInfo gave this member.</summary>
    public MemberToken Token { get; private set; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public void Send(SignalingPacket packet, IPEndPoint to) => _socket.SendTo(SignalingCodec.Encode(packet), to);

    /// <summary>
    /// The next signaling packet, whoever sent it, skipping exact repeats of one already received from the same node
    /// (the answers to a retransmitted request, late on a loaded machine); a timeout fails the test.
    /// </summary>
    public async Task<(IPEndPoint From, SignalingPacket Packet)> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            (IPEndPoint From, SignalingPacket Packet) received;
            do
            {
                received = await _received.Reader.ReadAsync(cancel.Token);
            }
            while (!_seen.Add((received.From, Convert.ToHexString(SignalingCodec.Encode(received.Packet)))));

            if (received.Packet is RegisteredPacket registered)
                Token = registered.Token;
            else if (received.Packet is PeerInfoPacket info)
                Token = info.Token;
            return received;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Member {Id} heard nothing within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>The next packet, which must be a <typeparamref name="T"/> from <paramref name="node"/>.</summary>
    public async Task<T> ExpectAsync<T>(IPEndPoint node, TimeSpan timeout)
        where T : SignalingPacket
    {
        var (from, packet) = await ReceiveAsync(timeout);
        Assert.Equal(node, from);
        return Assert.IsAssignableFrom<T>(packet);
    }

    /// <summary>
    /// Sends a Register to <paramref name="node"/>, answers its Cookie, and returns the first other answer (Registered,
    /// PeerInfo or Error), sent again every 2 s while unanswered, as a client does.
    /// </summary>
    public async Task<SignalingPacket> RegisterAsync(string room, IPEndPoint node, TimeSpan timeout, MemberToken rejoin = default)
    {
        // What this node said before may be said again now (a retransmitted request's cookie and answer): news here.
        _seen.RemoveWhere(seen => seen.Item1.Equals(node));
        var register = new RegisterPacket(room, Id, [LocalEndPoint], Token: rejoin);
        var deadline = DateTime.UtcNow + timeout;
        Send(register, node);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"No answer to the Register of {Id} for '{room}' at {node}.");
            (IPEndPoint From, SignalingPacket Packet) answer;
            try
            {
                answer = await ReceiveAsync(left < TimeSpan.FromSeconds(2) ? left : TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
                Send(register, node);
                continue;
            }

            if (!answer.From.Equals(node))
                throw new InvalidOperationException($"{answer.Packet.Type} from {answer.From} while registering at {node}.");
            if (answer.Packet is CookiePacket cookie)
            {
                register = register with { Cookie = cookie.Cookie };
                Send(register, node);
                continue;
            }

            return answer.Packet;
        }
    }

    /// <summary><paramref name="packet"/> as a <typeparamref name="T"/>; anything else fails the test, an Error with its reason.</summary>
    public static T As<T>(SignalingPacket packet)
        where T : SignalingPacket =>
        packet as T ?? throw new Xunit.Sdk.XunitException($"Expected {typeof(T).Name}, got {packet}");

    /// <summary>Just the cookie for <paramref name="node"/>: a Register without one, answered by a Cookie and nothing else.</summary>
    public async Task<AddressCookie> CookieAsync(string room, IPEndPoint node, TimeSpan timeout)
    {
        Send(new RegisterPacket(room, Id, []), node);
        return (await ExpectAsync<CookiePacket>(node, timeout)).Cookie;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP port unreachable for an earlier send
            }

            if (SignalingCodec.TryDecode(buffer.AsSpan(0, received.ReceivedBytes), out var packet))
                _received.Writer.TryWrite(((IPEndPoint)received.RemoteEndPoint, packet!));
        }
    }
}

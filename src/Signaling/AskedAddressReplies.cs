using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SecretChat.Signaling;

/// <summary>
/// Replies of a signaling server bound to a wildcard address (0.0.0.0 or ::) on a machine with several addresses, sent
/// from the address each client asked at: a reply from another address of the machine is dropped by the client's NAT,
/// its firewall and the client itself (it only takes signaling from the server it asked).
/// </summary>
/// <remarks>
/// The asked address comes with each datagram (IP_PKTINFO / IPV6_PKTINFO through <see cref="Socket.ReceiveMessageFrom(Span{byte}, ref SocketFlags, ref EndPoint, out IPPacketInformation)"/>),
/// and goes back as the source of every datagram to that client through <c>sendmsg</c> with the same ancillary data
/// (Linux; .NET's <c>SendTo</c> cannot carry it). One socket, one receive loop, as before, rather than a socket per
/// local address: the server's rooms stay single-threaded, and addresses added later are answered from too.
/// The address each client last asked at is remembered (for PeerInfo and relayed datagrams sent to it because of
/// another client's packet) in a bounded table: when full it starts over, and a forgotten client is answered from the
/// address the kernel's routing picks until its next packet, which it sends every keepalive interval.
/// </remarks>
internal sealed class AskedAddressReplies
{
    private const int MaxRemembered = 65_536;
    private const int IpProtocolIp = 0;
    private const int IpPacketInfo = 8;
    private const int IpProtocolIpv6 = 41;
    private const int Ipv6PacketInfo = 50;
    private const ushort FamilyInet = 2;
    private const ushort FamilyInet6 = 10;

    private readonly Socket _socket;
    private readonly ConcurrentDictionary<IPEndPoint, IPPacketInformation> _asked = new();

    [ThreadStatic]
    private static byte[]? t_scratch;

    public AskedAddressReplies(Socket socket)
    {
        _socket = socket;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
        if (socket.AddressFamily == AddressFamily.InterNetwork || socket.DualMode)
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
    }

    /// <summary>
    /// Whether a server bound to <paramref name="listen"/> answers from the asked address: <paramref name="wanted"/>
    /// when set, else when the address is a wildcard on a machine with more than one address of a family it serves.
    /// Only on Linux (the <c>sendmsg</c> layout here is Linux's).
    /// </summary>
    public static bool Apply(IPEndPoint listen, bool? wanted)
    {
        var wildcard = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any);
        if (!OperatingSystem.IsLinux() || !wildcard || !Environment.Is64BitProcess)
            return false;
        return wanted ?? Multihomed(listen.Address.Equals(IPAddress.IPv6Any));
    }

    /// <summary>Datagrams remembered with their asked address now (for the tests).</summary>
    public int Remembered => _asked.Count;

    /// <summary>Receives one datagram, noting the address it was sent to; as <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/>.</summary>
    public int Receive(byte[] buffer, ref EndPoint source)
    {
        var flags = SocketFlags.None;
        var received = _socket.ReceiveMessageFrom(buffer.AsSpan(), ref flags, ref source, out var asked);
        var from = PlainAddress.Of((IPEndPoint)source);
        source = from;
        if (asked.Address is not null && (!_asked.TryGetValue(from, out var known) || !known.Equals(asked)))
        {
            if (_asked.Count >= MaxRemembered)
                _asked.Clear();
            _asked[from] = asked;
        }
        return received;
    }

    /// <summary>
    /// Sends <paramref name="datagram"/> to <paramref name="to"/> from the address it last asked at; through the
    /// socket's ordinary <c>SendTo</c> when it never asked (or asked at an address of no use as a source).
    /// </summary>
    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        to = PlainAddress.Of(to);
        var local = _asked.TryGetValue(to, out var asked) && asked.Address is { } address ? PlainAddress.Of(address) : null;
        if (local is null || local.AddressFamily != to.AddressFamily)
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
            return;
        }
        SendFrom(datagram, to, local, asked.Interface);
    }

    private void SendFrom(ReadOnlySpan<byte> datagram, IPEndPoint to, IPAddress local, int interfaceIndex)
    {
        // One pinned scratch buffer per sending thread: the receive loop, the room sweep, the room store's callbacks.
        var scratch = t_scratch ??= GC.AllocateArray<byte>(Layout.Size + 2048, pinned: true);
        var payload = datagram.Length <= scratch.Length - Layout.Size ? scratch : GC.AllocateArray<byte>(Layout.Size + datagram.Length, pinned: true);
        Array.Clear(payload, 0, Layout.Size);
        datagram.CopyTo(payload.AsSpan(Layout.Size));
        var origin = Marshal.UnsafeAddrOfPinnedArrayElement(payload, 0);
        var span = payload.AsSpan();

        // The destination, as the socket's family names it (IPv4 as ::ffff:a.b.c.d on a dual-stack socket).
        int nameLength;
        var ipv6Socket = _socket.AddressFamily == AddressFamily.InterNetworkV6;
        if (ipv6Socket)
        {
            var address = to.Address.AddressFamily == AddressFamily.InterNetwork ? to.Address.MapToIPv6() : to.Address;
            BitConverter.TryWriteBytes(span[Layout.Name..], FamilyInet6);
            span[Layout.Name + 2] = (byte)(to.Port >> 8);
            span[Layout.Name + 3] = (byte)to.Port;
            address.TryWriteBytes(span.Slice(Layout.Name + 8, 16), out _);
            BitConverter.TryWriteBytes(span[(Layout.Name + 24)..], (uint)address.ScopeId);
            nameLength = 28;
        }
        else
        {
            BitConverter.TryWriteBytes(span[Layout.Name..], FamilyInet);
            span[Layout.Name + 2] = (byte)(to.Port >> 8);
            span[Layout.Name + 3] = (byte)to.Port;
            to.Address.TryWriteBytes(span.Slice(Layout.Name + 4, 4), out _);
            nameLength = 16;
        }

        // The source: IP_PKTINFO's ipi_spec_dst for IPv4 (also on a dual-stack socket, where Linux sends IPv4 as IPv4),
        // with no interface (an interface would override the address with its first one); IPV6_PKTINFO for IPv6, with
        // the interface only for a link-local address, which needs it.
        int controlLength;
        var control = span[Layout.Control..];
        if (to.Address.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(control, (ulong)(16 + 12)); // cmsg_len = CMSG_LEN(sizeof(in_pktinfo))
            BitConverter.TryWriteBytes(control[8..], IpProtocolIp);
            BitConverter.TryWriteBytes(control[12..], IpPacketInfo);
            local.TryWriteBytes(control.Slice(16 + 4, 4), out _); // ipi_ifindex 0, ipi_spec_dst
            controlLength = 32; // CMSG_SPACE(12)
        }
        else
        {
            BitConverter.TryWriteBytes(control, (ulong)(16 + 20)); // CMSG_LEN(sizeof(in6_pktinfo))
            BitConverter.TryWriteBytes(control[8..], IpProtocolIpv6);
            BitConverter.TryWriteBytes(control[12..], Ipv6PacketInfo);
            local.TryWriteBytes(control.Slice(16, 16), out _);
            BitConverter.TryWriteBytes(control[32..], local.IsIPv6LinkLocal ? interfaceIndex : 0);
            controlLength = 40; // CMSG_SPACE(20)
        }

        // struct iovec { void* iov_base; size_t iov_len; }
        BitConverter.TryWriteBytes(span[Layout.Iov..], (long)(origin + Layout.Size));
        BitConverter.TryWriteBytes(span[(Layout.Iov + 8)..], (long)datagram.Length);
        // struct msghdr { void* name; socklen_t namelen; iovec* iov; size_t iovlen; void* control; size_t controllen; int flags; }
        BitConverter.TryWriteBytes(span[Layout.Header..], (long)(origin + Layout.Name));
        BitConverter.TryWriteBytes(span[(Layout.Header + 8)..], nameLength);
        BitConverter.TryWriteBytes(span[(Layout.Header + 16)..], (long)(origin + Layout.Iov));
        BitConverter.TryWriteBytes(span[(Layout.Header + 24)..], 1L);
        BitConverter.TryWriteBytes(span[(Layout.Header + 32)..], (long)(origin + Layout.Control));
        BitConverter.TryWriteBytes(span[(Layout.Header + 40)..], (long)controlLength);

        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (SendMessage(handle.DangerousGetHandle(), origin + Layout.Header, 0) < 0)
                throw new SocketException((int)SocketError.SocketError, $"sendmsg from {local} to {to} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    private static bool Multihomed(bool dualStack)
    {
        try
        {
            var addresses = NetworkInterface.GetAllNetworkInterfaces()
                .Where(nic => nic.OperationalStatus == OperationalStatus.Up)
                .SelectMany(nic => nic.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
                .Where(a => dualStack || a.AddressFamily == AddressFamily.InterNetwork)
                .ToList();
            return addresses.Count(a => a.AddressFamily == AddressFamily.InterNetwork) > 1
                || addresses.Count(a => a.AddressFamily == AddressFamily.InterNetworkV6) > 1;
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }

    /// <summary>Where each part of the native call sits in the scratch buffer, in front of the payload (64-bit Linux).</summary>
    private static class Layout
    {
        public const int Header = 0;    // struct msghdr, 56 bytes
        public const int Iov = 64;      // struct iovec, 16 bytes
        public const int Name = 80;     // struct sockaddr_in6 (28) or sockaddr_in (16)
        public const int Control = 112; // one cmsghdr with in6_pktinfo: CMSG_SPACE(20) = 40 bytes
        public const int Size = 160;
    }

    // DllImport rather than LibraryImport: every argument is a plain integer, so nothing is marshalled and the
    // assembly needs no unsafe code.
    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMessage(nint socket, nint message, int flags);
}

using System.Net;
using SecretChat.Transport;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>One of the hard side's extra sockets: its datagrams, how to send from it, and how to close it.</summary>
internal sealed record BirthdaySocket(IObservable<Datagram> Datagrams, SendDatagram Send, IDisposable Closer)
{
    /// <summary>Binds a UDP socket on <paramref name="localAddress"/> (any free port).</summary>
    public static BirthdaySocket Bind(IPAddress localAddress)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(localAddress, 0));
        return new(socket.Datagrams, (datagram, to, ct) => socket.SendAsync(datagram, to, ct), socket);
    }
}

/// <summary>Opens one more socket for the hard side (throws when the system has no more to give).</summary>
internal delegate BirthdaySocket OpenBirthdaySocket();

using System.Net;
using System.Net.Sockets;

namespace SecretChat.Tests;

/// <summary>Ports on 127.0.0.1 that nothing listens on: bound by a socket that is then closed.</summary>
public static class LoopbackPorts
{
    public static int UnusedTcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int UnusedUdp()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecretChat.NatLab.Tests.Validation;

/// <summary>
/// A tiny UDP echo for reading NAT mappings: it answers every datagram with the address and port it came
/// from, i.e. the sender's mapped endpoint as the internet sees it.
/// </summary>
internal sealed class UdpEcho : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public UdpEcho(Socket socket)
    {
        _socket = socket;
        _loop = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            while (!_stop.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                var reply = Encoding.ASCII.GetBytes(received.RemoteEndPoint.ToString()!);
                await _socket.SendToAsync(reply, received.RemoteEndPoint);
            }
        });
    }

    /// <summary>Sends a probe from <paramref name="client"/> to <paramref name="echo"/> and returns the endpoint the echo saw.</summary>
    public static async Task<IPEndPoint> MappedEndPointAsync(Socket client, IPEndPoint echo, TimeSpan timeout)
    {
        await client.SendToAsync("probe"u8.ToArray(), echo);
        var text = await ReceiveTextAsync(client, timeout);
        return IPEndPoint.Parse(text);
    }

    /// <summary>Receives one datagram as text, or throws when none comes in time.</summary>
    public static async Task<string> ReceiveTextAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[1500];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No datagram within {timeout.TotalSeconds:0} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop.WaitAsync(Timeouts.Default);
        _stop.Dispose();
    }
}

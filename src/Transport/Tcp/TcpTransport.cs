using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>Opens frame connections to TCP listeners.</summary>
public static class TcpTransport
{
    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>, trying each of its addresses in turn.</summary>
    /// <param name="host">An IPv4 or IPv6 literal, or a name to resolve.</param>
    /// <param name="port">1 to 65535.</param>
    /// <param name="options">Frame limits; <see cref="FrameConnectionOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels name resolution and connecting (this is how to bound them in time).</param>
    /// <param name="resolver">What <paramref name="host"/> means; <see cref="HostResolver.Default"/> when null.</param>
    /// <exception cref="TransportException">
    /// The name does not resolve, or no address accepted the connection (refused, unreachable, timed out);
    /// the message is one sentence naming the host or endpoint.
    /// </exception>
    public static async Task<IFrameConnection> ConnectAsync(
        string host,
        int port,
        FrameConnectionOptions? options = null,
        CancellationToken cancellationToken = default,
        IHostResolver? resolver = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        options ??= FrameConnectionOptions.Default;
        options.Validate();

        var addresses = await ResolveAsync(resolver ?? HostResolver.Default, host, cancellationToken).ConfigureAwait(false);
        TransportException? lastFailure = null;
        foreach (var address in addresses)
        {
            var endPoint = new IPEndPoint(address, port);
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                return SocketFrameConnection.Create(socket, options);
            }
            catch (SocketException error)
            {
                socket.Dispose();
                lastFailure = TransportErrors.ConnectFailed(endPoint, error);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw lastFailure ?? TransportErrors.ResolveFailed(host, null);
    }

    /// <summary>Connects to <paramref name="endPoint"/>; see <see cref="ConnectAsync(string, int, FrameConnectionOptions?, CancellationToken, IHostResolver?)"/>.</summary>
    public static Task<IFrameConnection> ConnectAsync(
        HostPort endPoint,
        FrameConnectionOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ConnectAsync(endPoint.Host, endPoint.Port, options, cancellationToken);

    private static async Task<IPAddress[]> ResolveAsync(IHostResolver resolver, string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException error)
        {
            throw TransportErrors.ResolveFailed(host, error);
        }

        return addresses.Length > 0 ? addresses : throw TransportErrors.ResolveFailed(host, null);
    }
}

using System.Net;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>Hands out one frame connection per peer that arrives (TCP: <see cref="TcpFrameListener"/>; or your own transport).</summary>
public interface IFrameListener : IAsyncDisposable
{
    /// <summary>The address peers reach this listener at.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Waits for the next peer; the caller owns the returned connection.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    ValueTask<IFrameConnection> AcceptAsync(CancellationToken cancellationToken = default);
}

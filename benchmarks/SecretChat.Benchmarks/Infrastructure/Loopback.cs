using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>Loopback TCP socket pairs, and an in-memory duplex stream pair, for the baselines.</summary>
public sealed class Loopback : IDisposable
{
    private readonly Socket _listener;

    public Loopback()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>A connected pair of TCP sockets over loopback, Nagle off on both (as the frame transport does).</summary>
    public async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accepting = _listener.AcceptAsync();
        await client.ConnectAsync(EndPoint).ConfigureAwait(false);
        var server = await accepting.ConfigureAwait(false);
        server.NoDelay = true;
        return (client, server);
    }

    /// <summary>Two streams joined by in-memory pipes: what one writes, the other reads.</summary>
    public static (Stream Left, Stream Right) CreateStreamPair()
    {
        var leftToRight = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var rightToLeft = new Pipe(new PipeOptions(useSynchronizationContext: false));
        return (new DuplexStream(rightToLeft.Reader, leftToRight.Writer), new DuplexStream(leftToRight.Reader, rightToLeft.Writer));
    }

    public void Dispose() => _listener.Dispose();

    private sealed class DuplexStream(PipeReader input, PipeWriter output) : Stream
    {
        private readonly Stream _reading = input.AsStream();
        private readonly Stream _writing = output.AsStream();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _reading.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reading.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _reading.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _writing.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _writing.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _writing.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Flush() => _writing.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _writing.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _reading.Dispose();
                _writing.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

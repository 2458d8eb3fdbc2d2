namespace SecretChat.Tests;

/// <summary>
/// A read-only stream that keeps a copy of every byte read through it: what a process wrote, byte for byte, before any
/// line splitting (tests that assert no control byte reaches the terminal need the bytes, not the lines).
/// </summary>
public sealed class RecordingStream(Stream inner) : Stream
{
    private readonly MemoryStream _copy = new();

    /// <summary>Every byte read so far.</summary>
    public byte[] Bytes
    {
        get
        {
            lock (_copy) return _copy.ToArray();
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Keep(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Keep(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private int Keep(ReadOnlySpan<byte> read)
    {
        lock (_copy) _copy.Write(read);
        return read.Length;
    }
}

using System.Buffers;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

internal static class FrameRecording
{
    /// <summary>Every payload until the frames end (copied, since a payload lives only during OnNext); faults with their error.</summary>
    public static Task<IList<byte[]>> ReceiveAllAsync(this IFrameConnection connection) =>
        connection.Frames.Select(payload => payload.ToArray()).ToList().ToTask();

    /// <summary>The first <paramref name="count"/> payloads.</summary>
    public static Task<IList<byte[]>> ReceiveAsync(this IFrameConnection connection, int count) =>
        connection.Frames.Select(payload => payload.ToArray()).Take(count).ToList().ToTask();

    public static byte[] Payload(int length, int seed = 0)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
            payload[i] = (byte)(i * 7 + seed);
        return payload;
    }
}

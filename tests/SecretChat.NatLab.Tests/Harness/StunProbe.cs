using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// A minimal STUN Binding client (RFC 8489), to know when the signaling server answers and which mapped
/// address a host gets: the server answers STUN on its signaling port.
/// </summary>
public static class StunProbe
{
    private const uint MagicCookie = 0x2112A442;

    /// <summary>A SOFTWARE value of 28 bytes (a multiple of 4, so no attribute padding).</summary>
    private static ReadOnlySpan<byte> Software => "SecretChat natlab STUN probe"u8;

    /// <summary>
    /// Sends Binding requests from <paramref name="socket"/> until one is answered (a server that is still
    /// starting answers a later one), and returns the XOR-MAPPED-ADDRESS of the answer.
    /// </summary>
    public static async Task<IPEndPoint> BindingAsync(Socket socket, IPEndPoint server, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[1500];
        while (true)
        {
            // Padded with SOFTWARE to 52 bytes: the server answers only requests its answer fits in (no amplification).
            var request = new byte[20 + 4 + Software.Length];
            BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), (ushort)(4 + Software.Length));
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), MagicCookie);
            var transaction = RandomNumberGenerator.GetBytes(12);
            transaction.CopyTo(request, 8);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(20), 0x8022);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(22), (ushort)Software.Length);
            Software.CopyTo(request.AsSpan(24));
            try
            {
                await socket.SendToAsync(request, server, deadline.Token);
                // Each try waits a little for its answer; the deadline bounds them all.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                attempt.CancelAfter(TimeSpan.FromMilliseconds(250));
                while (true)
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), attempt.Token);
                    if (TryReadMappedAddress(buffer.AsSpan(0, received.ReceivedBytes), transaction, out var mapped))
                        return mapped;
                }
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
            }
            catch (SocketException) when (!deadline.IsCancellationRequested)
            {
                // ICMP port unreachable while the server starts.
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No STUN Binding answer from {server} within {timeout.TotalSeconds:0} s.");
            }
        }
    }

    private static bool TryReadMappedAddress(ReadOnlySpan<byte> message, byte[] transaction, out IPEndPoint mapped)
    {
        mapped = null!;
        if (message.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(message) != 0x0101
            || BinaryPrimitives.ReadUInt32BigEndian(message[4..]) != MagicCookie || !message.Slice(8, 12).SequenceEqual(transaction))
            return false;
        var attributes = message[20..];
        while (attributes.Length >= 4)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(attributes);
            var length = BinaryPrimitives.ReadUInt16BigEndian(attributes[2..]);
            if (attributes.Length < 4 + length)
                return false;
            var value = attributes.Slice(4, length);
            if (type == 0x0020 && length >= 8 && value[1] == 0x01)
            {
                var port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (MagicCookie >> 16));
                var address = BinaryPrimitives.ReadUInt32BigEndian(value[4..]) ^ MagicCookie;
                mapped = new IPEndPoint(new IPAddress(BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(address) : address), port);
                return true;
            }
            if (type == 0x0020 && length >= 20 && value[1] == 0x02)
            {
                // IPv6: XORed with the magic cookie and then the transaction id (RFC 8489 §14.2).
                var port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (MagicCookie >> 16));
                var bytes = value.Slice(4, 16).ToArray();
                Span<byte> key = stackalloc byte[16];
                BinaryPrimitives.WriteUInt32BigEndian(key, MagicCookie);
                transaction.CopyTo(key[4..]);
                for (var i = 0; i < 16; i++)
                    bytes[i] ^= key[i];
                mapped = new IPEndPoint(new IPAddress(bytes), port);
                return true;
            }
            attributes = attributes[(4 + ((length + 3) & ~3))..];
        }
        return false;
    }
}

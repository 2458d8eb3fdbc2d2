using System.Net;

namespace SecretChat.Transport;

/// <summary>
/// The one shape of "send a datagram" in this library: one datagram to one destination
/// (<see cref="IDatagramTransport.SendAsync"/> as a delegate). Protocol clients that do not own the socket (STUN,
/// signaling, the secure datagram channel) send through it, so hole punching, signaling and the session can share
/// one UDP port and one NAT mapping. The datagram is the caller's again once the returned task completes.
/// </summary>
public delegate ValueTask SendDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);

/// <summary>Sending datagrams whose loss the protocol above already covers.</summary>
public static class SendDatagramExtensions
{
    /// <summary>
    /// Sends <paramref name="datagram"/> to <paramref name="destination"/> without waiting for it: for probes, punches and
    /// retried requests, where a send that fails as <see cref="TransportErrors.IsLostDatagram"/> says (whether it throws
    /// at once or later) is one lost datagram and nothing more. Any other failure is a bug and is not caught. The
    /// datagram must stay unchanged until the send completes (a constant or a buffer kept for it).
    /// </summary>
    public static void SendIgnoringLoss(this SendDatagram send, ReadOnlyMemory<byte> datagram, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(send);
        try
        {
            var sending = send(datagram, destination, CancellationToken.None);
            if (!sending.IsCompletedSuccessfully)
                _ = ObserveAsync(sending);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // Lost at once: the protocol's next try covers it.
        }

        static async Task ObserveAsync(ValueTask sending)
        {
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception e) when (TransportErrors.IsLostDatagram(e))
            {
                // Lost on the way out: the same.
            }
        }
    }
}
